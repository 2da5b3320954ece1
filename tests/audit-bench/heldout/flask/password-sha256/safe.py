import hashlib
import os
import sqlite3

from flask import Flask, jsonify, request, session

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]


def db():
    conn = sqlite3.connect("users.db")
    conn.row_factory = sqlite3.Row
    return conn


def hash_password(password: str, salt: str) -> str:
    return hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=2**16, r=8, p=2, maxmem=128 * 1024 * 1024).hex()


@app.post("/register")
def register():
    email = request.form["email"].strip().lower()
    password = request.form["password"]
    if len(password) < 10:
        return jsonify(error="password must be at least 10 characters"), 400
    salt = os.urandom(16).hex()
    with db() as conn:
        conn.execute(
            "INSERT INTO users (email, salt, password_hash) VALUES (?, ?, ?)",
            (email, salt, hash_password(password, salt)),
        )
    return jsonify(ok=True), 201


@app.post("/login")
def login():
    with db() as conn:
        user = conn.execute(
            "SELECT id, salt, password_hash FROM users WHERE email = ?",
            (request.form["email"].strip().lower(),),
        ).fetchone()
    if user is None or hash_password(request.form["password"], user["salt"]) != user["password_hash"]:
        return jsonify(error="invalid credentials"), 401
    session["user_id"] = user["id"]
    return jsonify(ok=True)
