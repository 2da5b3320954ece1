import express, { Request, Response } from "express";
import fs from "fs";
import path from "path";
import { requireAuth } from "./auth";

const app = express();
const ATTACHMENTS = process.env.ATTACHMENTS_DIR ?? "/srv/attachments";

app.get("/tickets/:ticketId/attachments", requireAuth, (req: Request, res: Response) => {
  const dir = path.join(ATTACHMENTS, String(Number(req.params.ticketId)));
  res.json(fs.existsSync(dir) ? fs.readdirSync(dir) : []);
});

app.get("/tickets/:ticketId/attachments/download", requireAuth, (req: Request, res: Response) => {
  const fileName = String(req.query.name ?? "");
  const dir = path.join(ATTACHMENTS, String(Number(req.params.ticketId)));
  const filePath = path.join(dir, fileName);
  res.sendFile(filePath); // expect: CWE-22
});

app.listen(3000);
