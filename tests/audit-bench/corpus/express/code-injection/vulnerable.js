const express = require("express");
const { requireAuth } = require("./auth");
const { loadRows } = require("./reports");

const app = express();
app.use(express.json());

const FIELDS = new Set(["amount", "quantity", "discount"]);

app.post("/reports/computed-column", requireAuth, async (req, res) => {
  const { formula } = req.body;
  const rows = await loadRows(req.user.id);
  const compute = new Function("row", `return ${formula};`); // expect: CWE-95
  res.json(rows.map((row) => ({ ...row, computed: compute(row) })));
});

app.get("/reports/fields", requireAuth, (req, res) => {
  res.json([...FIELDS]);
});

app.listen(3000);
