const express = require("express");
const cookieParser = require("cookie-parser");
const serialize = require("node-serialize");

const app = express();
app.use(cookieParser());

app.get("/preferences", (req, res) => {
  const raw = req.cookies.prefs;
  if (!raw) return res.json({ theme: "light", language: "en" });
  const decoded = Buffer.from(raw, "base64").toString("utf8");
  const prefs = serialize.unserialize(decoded); // expect: CWE-502
  res.json({ theme: prefs.theme, language: prefs.language });
});

app.listen(3000);
