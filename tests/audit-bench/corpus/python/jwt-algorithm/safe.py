import os

import jwt

PUBLIC_KEY = open(os.environ.get("JWT_PUBLIC_KEY", "/etc/keys/jwt.pub")).read()


class Unauthorized(Exception):
    pass


def authenticate(authorization: str) -> dict:
    if not authorization.startswith("Bearer "):
        raise Unauthorized("missing bearer token")
    token = authorization[len("Bearer "):]
    try:
        claims = jwt.decode(token, PUBLIC_KEY, algorithms=["RS256"], audience="api")
    except jwt.PyJWTError as exc:
        raise Unauthorized(str(exc)) from exc
    return {"user_id": claims["sub"], "scopes": claims.get("scope", "").split()}
