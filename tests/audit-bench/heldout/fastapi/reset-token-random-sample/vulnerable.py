import random
import string
from datetime import datetime, timedelta, timezone

from fastapi import BackgroundTasks, FastAPI
from pydantic import BaseModel, EmailStr

from db import find_user_by_email, save_reset_token
from mail import send_reset_email

app = FastAPI()
TOKEN_ALPHABET = string.ascii_letters + string.digits


class ResetRequest(BaseModel):
    email: EmailStr


def new_reset_token(length: int = 32) -> str:
    return "".join(random.sample(TOKEN_ALPHABET, length))  # expect: CWE-330


@app.post("/auth/password-reset", status_code=202)
def request_reset(body: ResetRequest, background: BackgroundTasks):
    user = find_user_by_email(body.email)
    if user is not None:
        token = new_reset_token()
        save_reset_token(user.id, token, expires=datetime.now(timezone.utc) + timedelta(hours=1))
        background.add_task(send_reset_email, user.email, f"https://app.example.com/reset?token={token}")
    return {"detail": "If the address is registered, a reset link is on its way."}
