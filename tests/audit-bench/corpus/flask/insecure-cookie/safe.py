import os
import secrets

from flask import Flask, make_response, redirect, render_template, request, url_for
from werkzeug.security import check_password_hash

from .models import Session, User, db

app = Flask(__name__)


@app.post("/login")
def login():
    user = User.query.filter_by(email=request.form["email"]).first()
    if user is None or not check_password_hash(user.password_hash, request.form["password"]):
        return render_template("login.html", error="Invalid credentials"), 401
    token = secrets.token_urlsafe(32)
    db.session.add(Session(user_id=user.id, token=token))
    db.session.commit()
    resp = make_response(redirect(url_for("dashboard")))
    resp.set_cookie("session_token", token, max_age=7 * 24 * 3600, secure=True, httponly=True, samesite="Lax")
    return resp


@app.get("/dashboard")
def dashboard():
    return render_template("dashboard.html", env=os.environ.get("APP_ENV", "production"))
