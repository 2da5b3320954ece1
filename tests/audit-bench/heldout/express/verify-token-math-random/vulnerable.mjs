import express from "express";
import { db } from "./db.mjs";
import { sendMail } from "./mail.mjs";

const router = express.Router();
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomString(length) {
  let out = "";
  for (let i = 0; i < length; i++) {
    out += ALPHABET[Math.floor(Math.random() * ALPHABET.length)]; // expect: CWE-330
  }
  return out;
}

router.post("/signup", async (req, res) => {
  const { email, password } = req.body;
  const user = await db.users.create({ email, password });
  const token = randomString(40);
  await db.verificationTokens.create({ userId: user.id, token, expiresAt: new Date(Date.now() + 24 * 3600 * 1000) });
  await sendMail(email, "Confirm your address", `https://app.example.com/verify?token=${token}`);
  res.status(201).json({ id: user.id });
});

router.get("/verify", async (req, res) => {
  const row = await db.verificationTokens.findValid(String(req.query.token || ""));
  if (!row) return res.status(400).send("This link is invalid or has expired.");
  await db.users.markVerified(row.userId);
  res.redirect("/welcome");
});

export default router;
