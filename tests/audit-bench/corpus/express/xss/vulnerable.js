const express = require("express");
const escapeHtml = require("escape-html");
const { findProducts } = require("./catalog");

const app = express();

app.get("/", (req, res) => {
  res.send("<h1>Shop</h1><form action='/search'><input name='q'></form>");
});

app.get("/search", async (req, res) => {
  const term = req.query.q || "";
  const products = await findProducts(term);
  const list = products.map((p) => `<li>${escapeHtml(p.name)}</li>`).join("");
  const heading = `<h2>Results for "${term}"</h2>`;
  const page = `<!doctype html><html><body>${heading}<ul>${list}</ul></body></html>`;
  res.send(page); // expect: CWE-79
});

app.listen(3000);
