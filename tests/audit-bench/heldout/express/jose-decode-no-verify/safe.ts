import type { NextFunction, Request, Response } from "express";
import { createRemoteJWKSet, jwtVerify } from "jose";

export interface AuthedRequest extends Request {
  user?: { id: string; email?: string; roles: string[] };
}

const ISSUER = "https://example.eu.auth0.com/";
const JWKS = createRemoteJWKSet(new URL(`${ISSUER}.well-known/jwks.json`));

// Tokens are issued by our identity provider (Auth0) and sent as "Authorization: Bearer <jwt>".
export async function requireAuth(req: AuthedRequest, res: Response, next: NextFunction) {
  const header = req.headers.authorization ?? "";
  const [scheme, token] = header.split(" ");
  if (scheme !== "Bearer" || !token) {
    return res.status(401).json({ error: "missing bearer token" });
  }
  try {
    const { payload: claims } = await jwtVerify(token, JWKS, { issuer: ISSUER, audience: "https://api.example.com" });
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
