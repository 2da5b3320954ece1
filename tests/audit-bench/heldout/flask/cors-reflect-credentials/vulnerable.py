import os

from flask import Flask, jsonify, request, session
from flask_cors import CORS

from billing import invoices_for, load_account

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
# the SPA is served from a different origin, so the session cookie must be sent cross-site
app.config.update(SESSION_COOKIE_SAMESITE="None", SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=True)

CORS(app, supports_credentials=True)  # expect: CWE-942


@app.get("/api/account")
def account():
    if "account_id" not in session:
        return jsonify(error="not signed in"), 401
    return jsonify(load_account(session["account_id"]))


@app.get("/api/invoices")
def invoices():
    if "account_id" not in session:
        return jsonify(error="not signed in"), 401
    limit = min(int(request.args.get("limit", 20)), 100)
    return jsonify(invoices_for(session["account_id"], limit=limit))
