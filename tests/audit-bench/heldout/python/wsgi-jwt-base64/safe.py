"""WSGI middleware that puts the caller's identity from the gateway's bearer token into the environ."""

import os

import jwt

GATEWAY_PUBLIC_KEY = open(os.environ.get("GATEWAY_PUBLIC_KEY_FILE", "/etc/gateway/jwt.pub")).read()


class BearerAuthMiddleware:
    def __init__(self, app, audience: str):
        self.app = app
        self.audience = audience

    def __call__(self, environ, start_response):
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return self._unauthorized(start_response)
        token = header[len("Bearer "):]
        try:
            claims = jwt.decode(token, GATEWAY_PUBLIC_KEY, algorithms=["RS256"], audience=self.audience, options={"require": ["exp", "sub"]})
        except jwt.InvalidTokenError:
            return self._unauthorized(start_response)
        environ["app.user_id"] = claims["sub"]
        environ["app.roles"] = claims.get("roles", [])
        return self.app(environ, start_response)

    @staticmethod
    def _unauthorized(start_response):
        start_response("401 Unauthorized", [("Content-Type", "application/json"), ("WWW-Authenticate", "Bearer")])
        return [b'{"error": "unauthorized"}']
