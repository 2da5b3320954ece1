const express = require("express");
const cors = require("cors");
const { requireAuth } = require("./auth");

const app = express();
const ALLOWED_ORIGINS = ["https://app.example.com", "https://admin.example.com"];
app.use(cors({ origin: true, credentials: true })); // expect: CWE-942

app.get("/api/profile", requireAuth, (req, res) => {
  res.json({ id: req.user.id, email: req.user.email });
});

app.listen(3000);
