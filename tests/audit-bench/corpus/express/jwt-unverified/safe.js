const express = require("express");
const jwt = require("jsonwebtoken");

const app = express();
const JWT_SECRET = process.env.JWT_SECRET;

function authenticate(req, res, next) {
  const header = req.headers.authorization || "";
  const token = header.startsWith("Bearer ") ? header.slice(7) : null;
  if (!token) return res.status(401).json({ error: "missing token" });
  let payload;
  try {
    payload = jwt.verify(token, JWT_SECRET, { algorithms: ["HS256"] });
  } catch {
    return res.status(401).json({ error: "invalid token" });
  }
  req.user = { id: payload.sub, role: payload.role };
  next();
}

app.get("/admin/stats", authenticate, (req, res) => {
  if (req.user.role !== "admin") return res.status(403).end();
  res.json({ users: 1200, orders: 5400 });
});

app.listen(3000);
