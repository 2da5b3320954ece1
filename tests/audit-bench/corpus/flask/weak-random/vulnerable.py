import random
import string
from datetime import datetime, timedelta, timezone

from flask import Flask, jsonify, request

from .db import db
from .mail import send_reset_email
from .models import PasswordReset, User

app = Flask(__name__)
TOKEN_ALPHABET = string.ascii_letters + string.digits


def make_reset_token():
    return "".join(random.choice(TOKEN_ALPHABET) for _ in range(32))  # expect: CWE-330


@app.post("/password/forgot")
def forgot_password():
    user = User.query.filter_by(email=request.json.get("email", "")).first()
    if user is not None:
        token = make_reset_token()
        expires = datetime.now(timezone.utc) + timedelta(hours=1)
        db.session.add(PasswordReset(user_id=user.id, token=token, expires_at=expires))
        db.session.commit()
        send_reset_email(user.email, token)
    return jsonify({"message": "If the address exists, a reset link was sent."})
