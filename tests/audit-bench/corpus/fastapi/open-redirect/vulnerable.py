from urllib.parse import urlparse

from fastapi import FastAPI, Form, HTTPException
from fastapi.responses import RedirectResponse

from .auth import authenticate, create_session

app = FastAPI(title="SSO")
ALLOWED_HOSTS = {"app.example.com", "docs.example.com"}


@app.post("/sso/login")
def sso_login(username: str = Form(...), password: str = Form(...), return_to: str = Form("/")):
    user = authenticate(username, password)
    if user is None:
        raise HTTPException(status_code=401, detail="Invalid credentials")
    destination = return_to.strip()
    response = RedirectResponse(url=destination, status_code=303)  # expect: CWE-601
    response.set_cookie("sid", create_session(user), secure=True, httponly=True, samesite="lax")
    return response
