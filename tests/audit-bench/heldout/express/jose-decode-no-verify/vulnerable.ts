import type { NextFunction, Request, Response } from "express";
import { decodeJwt } from "jose";

export interface AuthedRequest extends Request {
  user?: { id: string; email?: string; roles: string[] };
}

// Tokens are issued by our identity provider (Auth0) and sent as "Authorization: Bearer <jwt>".
export function requireAuth(req: AuthedRequest, res: Response, next: NextFunction) {
  const header = req.headers.authorization ?? "";
  const [scheme, token] = header.split(" ");
  if (scheme !== "Bearer" || !token) {
    return res.status(401).json({ error: "missing bearer token" });
  }
  try {
    const claims = decodeJwt(token); // expect: CWE-347
    if (!claims.sub || (claims.exp ?? 0) * 1000 < Date.now()) {
      return res.status(401).json({ error: "token expired" });
    }
    req.user = {
      id: claims.sub,
      email: claims.email as string | undefined,
      roles: (claims["https://example.com/roles"] as string[] | undefined) ?? [],
    };
    next();
  } catch {
    res.status(401).json({ error: "invalid token" });
  }
}
