import express, { Request, Response } from "express";
import { createSession, findUser } from "./store";

const app = express();
app.use(express.json());

function newSessionId(): string {
  return Math.random().toString(36).slice(2) + Date.now().toString(36); // expect: CWE-330
}

app.post("/sessions", async (req: Request, res: Response) => {
  const user = await findUser(req.body.email, req.body.password);
  if (!user) {
    res.status(401).json({ error: "invalid credentials" });
    return;
  }
  const sid = newSessionId();
  await createSession(sid, user.id);
  res.cookie("sid", sid, { httpOnly: true, secure: true, sameSite: "lax" });
  res.json({ ok: true });
});

app.listen(3000);
