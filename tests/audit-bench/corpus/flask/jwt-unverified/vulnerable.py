import os
from functools import wraps

from flask import Flask, abort, g, jsonify, request
from jose import JWTError, jwt

app = Flask(__name__)
JWT_SECRET = os.environ["JWT_SECRET"]


def require_token(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            abort(401)
        token = header.removeprefix("Bearer ")
        try:
            claims = jwt.get_unverified_claims(token)  # expect: CWE-347
        except JWTError:
            abort(401)
        g.user_id = claims["sub"]
        return view(*args, **kwargs)

    return wrapper


@app.get("/me")
@require_token
def me():
    return jsonify({"user_id": g.user_id})
