const express = require("express");
const libxmljs = require("libxmljs");

const app = express();
app.use(express.text({ type: ["application/xml", "text/xml"], limit: "1mb" }));

app.post("/orders/import", (req, res) => {
  const xml = req.body;
  const doc = libxmljs.parseXml(xml, { noent: true, dtdload: true }); // expect: CWE-611
  const orders = doc.find("//order").map((o) => ({
    id: o.attr("id").value(),
    total: Number(o.get("total").text()),
  }));
  res.json({ imported: orders.length, orders });
});

app.listen(3000);
