const express = require("express");
const bcrypt = require("bcrypt");
const db = require("./db");

const app = express();
app.use(express.json());

function hashPassword(password) {
  return bcrypt.hash(password, 12);
}

app.post("/signup", async (req, res) => {
  const { email, password } = req.body;
  const user = await db.users.create({ email, passwordHash: await hashPassword(password) });
  res.status(201).json({ id: user.id });
});

app.post("/login", async (req, res) => {
  const user = await db.users.findByEmail(req.body.email);
  if (!user || !(await bcrypt.compare(req.body.password, user.passwordHash))) {
    return res.status(401).json({ error: "invalid credentials" });
  }
  res.json({ id: user.id });
});

app.listen(3000);
