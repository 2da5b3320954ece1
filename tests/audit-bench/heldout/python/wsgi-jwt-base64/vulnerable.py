"""WSGI middleware that puts the caller's identity from the gateway's bearer token into the environ."""

import base64
import json
import time


def _b64url_json(segment: str) -> dict:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))


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
            _, payload, _ = token.split(".")
            claims = _b64url_json(payload)  # expect: CWE-347
        except ValueError:
            return self._unauthorized(start_response)
        if claims.get("aud") != self.audience or claims.get("exp", 0) < time.time():
            return self._unauthorized(start_response)
        environ["app.user_id"] = claims["sub"]
        environ["app.roles"] = claims.get("roles", [])
        return self.app(environ, start_response)

    @staticmethod
    def _unauthorized(start_response):
        start_response("401 Unauthorized", [("Content-Type", "application/json"), ("WWW-Authenticate", "Bearer")])
        return [b'{"error": "unauthorized"}']
