import os

from flask import Flask, redirect, render_template, request, url_for
from flask_login import LoginManager, login_required, login_user

from models import User

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
login_manager = LoginManager(app)
login_manager.login_view = "login"

TRUSTED_PREFIX = "https://shop.example.com"


@login_manager.user_loader
def load_user(user_id):
    return User.get(user_id)


@app.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    user = User.authenticate(request.form["email"], request.form["password"])
    if user is None:
        return render_template("login.html", error="Invalid credentials", next=request.form.get("next", "")), 401
    login_user(user, remember=request.form.get("remember") == "on")
    next_url = request.form.get("next") or url_for("account")
    # only redirect back into our own shop
    if next_url.startswith(TRUSTED_PREFIX) or next_url.startswith("/"):
        return redirect(next_url)  # expect: CWE-601
    return redirect(url_for("account"))


@app.route("/account")
@login_required
def account():
    return render_template("account.html")
