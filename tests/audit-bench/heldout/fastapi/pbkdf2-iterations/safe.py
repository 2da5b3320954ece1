import base64
import hashlib
import hmac
import os

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, EmailStr

from db import get_user_by_email, insert_user
from tokens import issue_access_token

app = FastAPI()
ITERATIONS = 600_000


class Credentials(BaseModel):
    email: EmailStr
    password: str


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return f"pbkdf2_sha256${ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    _, iterations, salt_b64, digest_b64 = stored.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt_b64), int(iterations))
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


@app.post("/signup", status_code=201)
def signup(creds: Credentials):
    if get_user_by_email(creds.email):
        raise HTTPException(409, "email already registered")
    user_id = insert_user(creds.email, hash_password(creds.password))
    return {"id": user_id}


@app.post("/token")
def token(creds: Credentials):
    user = get_user_by_email(creds.email)
    if user is None or not verify_password(creds.password, user.password_hash):
        raise HTTPException(401, "invalid credentials")
    return {"access_token": issue_access_token(user.id), "token_type": "bearer"}
