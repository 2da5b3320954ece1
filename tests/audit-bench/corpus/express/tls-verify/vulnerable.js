const express = require("express");
const https = require("https");
const axios = require("axios");

const app = express();
const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false }); // expect: CWE-295
const inventory = axios.create({ baseURL: process.env.INVENTORY_URL, httpsAgent: agent, timeout: 5000 });

app.get("/stock/:sku", async (req, res) => {
  const { data } = await inventory.get(`/items/${encodeURIComponent(req.params.sku)}`);
  res.json({ sku: req.params.sku, available: data.available });
});

app.listen(3000);
