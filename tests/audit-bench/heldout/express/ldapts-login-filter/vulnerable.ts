import express, { Request, Response } from "express";
import { Client } from "ldapts";
import { issueSession } from "./session";

const router = express.Router();
const LDAP_URL = process.env.LDAP_URL ?? "ldaps://ldap.corp.example.com";
const BASE_DN = "ou=people,dc=corp,dc=example,dc=com";

async function findUserDn(username: string): Promise<string | null> {
  const client = new Client({ url: LDAP_URL });
  try {
    await client.bind(process.env.LDAP_BIND_DN!, process.env.LDAP_BIND_PASSWORD!);
    const { searchEntries } = await client.search(BASE_DN, {
      scope: "sub",
      filter: `(&(objectClass=person)(uid=${username})(!(accountStatus=disabled)))`, // expect: CWE-90
      attributes: ["dn"],
    });
    return searchEntries.length === 1 ? searchEntries[0].dn : null;
  } finally {
    await client.unbind();
  }
}

router.post("/login", express.json(), async (req: Request, res: Response) => {
  const { username, password } = req.body as { username?: string; password?: string };
  if (!username || !password) {
    return res.status(400).json({ error: "username and password are required" });
  }
  const dn = await findUserDn(username);
  if (!dn) return res.status(401).json({ error: "invalid credentials" });
  const client = new Client({ url: LDAP_URL });
  try {
    await client.bind(dn, password);
  } catch {
    return res.status(401).json({ error: "invalid credentials" });
  } finally {
    await client.unbind();
  }
  res.json({ token: await issueSession(dn) });
});

export default router;
