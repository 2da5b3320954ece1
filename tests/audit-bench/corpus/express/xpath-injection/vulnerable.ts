import express, { Request, Response } from "express";
import fs from "fs";
import { DOMParser } from "@xmldom/xmldom";
import xpath from "xpath";

const app = express();
const doc = new DOMParser().parseFromString(fs.readFileSync("accounts.xml", "utf8"), "text/xml");

app.get("/accounts/plan", (req: Request, res: Response) => {
  const user = String(req.query.user ?? "");
  const expression = `//account[@user='${user}']/plan/text()`;
  const nodes = xpath.select(expression, doc) as Node[]; // expect: CWE-643
  res.json({ plan: nodes.length ? nodes[0].nodeValue : null });
});

app.listen(3000);
