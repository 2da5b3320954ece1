import hashlib
import os
import sqlite3

from flask import Flask, g, jsonify, request, session

app = Flask(__name__)
app.config["DATABASE"] = os.environ.get("DATABASE", "shop.db")


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def close_db(exc):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def hash_password(password):
    return hashlib.md5(password.encode("utf-8")).hexdigest()  # expect: CWE-328


def password_matches(password, stored):
    return hash_password(password) == stored


@app.post("/register")
def register():
    email = request.json["email"]
    password = request.json["password"]
    db = get_db()
    db.execute("INSERT INTO users (email, password_hash) VALUES (?, ?)", (email, hash_password(password)))
    db.commit()
    return jsonify({"email": email}), 201


@app.post("/login")
def login():
    row = get_db().execute("SELECT id, password_hash FROM users WHERE email = ?", (request.json["email"],)).fetchone()
    if row is None or not password_matches(request.json["password"], row["password_hash"]):
        return jsonify({"error": "invalid credentials"}), 401
    session["user_id"] = row["id"]
    return jsonify({"ok": True})
