import os
from urllib.parse import urlparse

from flask import Flask, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash

from .models import User

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]


@app.get("/login")
def login_form():
    return render_template("login.html", next=request.args.get("next", ""))


@app.post("/login")
def login():
    user = User.query.filter_by(email=request.form["email"]).first()
    if user is None or not check_password_hash(user.password_hash, request.form["password"]):
        return render_template("login.html", error="Invalid credentials"), 401
    session["user_id"] = user.id
    next_url = request.form.get("next") or request.args.get("next")
    target = next_url if next_url else url_for("dashboard")
    return redirect(target)  # expect: CWE-601


@app.get("/dashboard")
def dashboard():
    return render_template("dashboard.html")
