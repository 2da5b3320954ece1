import os
import sqlite3

from flask import Flask, g, jsonify, request, session
from werkzeug.security import check_password_hash, generate_password_hash

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
    return generate_password_hash(password)


def password_matches(password, stored):
    return check_password_hash(stored, password)


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
