import os
import secrets
from datetime import timedelta

from flask import Flask, jsonify, make_response, request

from auth import find_remember_token, store_remember_token, verify_credentials

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]

REMEMBER_COOKIE = "remember_token"
COOKIE_OPTIONS = {
    "max_age": int(timedelta(days=30).total_seconds()),
    "samesite": "Lax",
    "path": "/",
    "secure": True,
    "httponly": True,
}


@app.post("/login")
def login():
    user = verify_credentials(request.form["username"], request.form["password"])
    if user is None:
        return jsonify(error="invalid credentials"), 401
    resp = make_response(jsonify(ok=True, user=user.username))
    if request.form.get("remember") == "on":
        token = secrets.token_urlsafe(32)
        store_remember_token(user.id, token)
        resp.set_cookie(REMEMBER_COOKIE, token, **COOKIE_OPTIONS)
    return resp


@app.get("/me")
def me():
    user = find_remember_token(request.cookies.get(REMEMBER_COOKIE, ""))
    if user is None:
        return jsonify(error="not signed in"), 401
    return jsonify(user=user.username)


@app.post("/logout")
def logout():
    resp = make_response(jsonify(ok=True))
    resp.delete_cookie(REMEMBER_COOKIE, path="/")
    return resp
