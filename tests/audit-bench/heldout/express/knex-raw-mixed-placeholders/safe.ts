import express, { Request, Response } from "express";
import knex from "knex";
import { requireUser } from "./auth";

const db = knex({ client: "pg", connection: process.env.DATABASE_URL });
const router = express.Router();

router.get("/customers", requireUser, async (req: Request, res: Response) => {
  const tenantId = req.user!.tenantId;
  const search = String(req.query.search ?? "").trim();
  const limit = Math.min(Number(req.query.limit) || 25, 100);
  const { rows } = await db.raw(
    "SELECT id, name, email, created_at FROM customers WHERE tenant_id = ? AND name ILIKE ? ORDER BY name LIMIT ?",
    [tenantId, `%${search}%`, limit],
  );
  res.json({ customers: rows });
});

router.get("/customers/:id", requireUser, async (req: Request, res: Response) => {
  const customer = await db("customers").where({ id: req.params.id, tenant_id: req.user!.tenantId }).first();
  if (!customer) return res.status(404).json({ error: "not found" });
  res.json(customer);
});

export default router;
