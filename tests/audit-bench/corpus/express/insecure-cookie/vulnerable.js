const express = require("express");
const crypto = require("crypto");
const { checkCredentials, saveSession } = require("./sessions");

const app = express();
app.use(express.json());

app.post("/login", async (req, res) => {
  const user = await checkCredentials(req.body.email, req.body.password);
  if (!user) return res.status(401).json({ error: "invalid credentials" });
  const token = crypto.randomBytes(32).toString("hex");
  await saveSession(token, user.id);
  res.cookie("session", token, { maxAge: 7 * 24 * 3600 * 1000, httpOnly: false, secure: false }); // expect: CWE-614
  res.json({ ok: true });
});

app.listen(3000);
