const express = require("express");
const crypto = require("crypto");
const db = require("./db");

const app = express();
app.use(express.json());

function hashPassword(password) {
  return crypto.createHash("md5").update(password).digest("hex"); // expect: CWE-328
}

app.post("/signup", async (req, res) => {
  const { email, password } = req.body;
  const user = await db.users.create({ email, passwordHash: hashPassword(password) });
  res.status(201).json({ id: user.id });
});

app.post("/login", async (req, res) => {
  const user = await db.users.findByEmail(req.body.email);
  if (!user || user.passwordHash !== hashPassword(req.body.password)) {
    return res.status(401).json({ error: "invalid credentials" });
  }
  res.json({ id: user.id });
});

app.listen(3000);
