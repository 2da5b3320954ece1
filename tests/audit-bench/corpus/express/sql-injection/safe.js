const express = require("express");
const mysql = require("mysql2/promise");
const { requireAuth } = require("./auth");

const app = express();
app.use(express.json());

const pool = mysql.createPool({
  host: process.env.DB_HOST,
  user: process.env.DB_USER,
  password: process.env.DB_PASSWORD,
  database: "shop",
});

app.get("/orders", requireAuth, async (req, res) => {
  const [rows] = await pool.query("SELECT id, total, status FROM orders WHERE user_id = ? ORDER BY id DESC", [req.user.id]);
  res.json(rows);
});

app.get("/orders/search", requireAuth, async (req, res) => {
  const status = req.query.status || "open";
  const sort = req.query.sort === "total" ? "total" : "created_at";
  const sql = `SELECT id, total, status FROM orders WHERE user_id = ? AND status = ? ORDER BY ${sort}`;
  const [rows] = await pool.query(sql, [req.user.id, status]);
  res.json(rows);
});

app.listen(process.env.PORT || 3000);
