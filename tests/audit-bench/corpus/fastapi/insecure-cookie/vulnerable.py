from fastapi import FastAPI, Form, HTTPException, Response

from .auth import authenticate, create_session

app = FastAPI(title="Portal")


@app.post("/login")
def login(response: Response, username: str = Form(...), password: str = Form(...)):
    user = authenticate(username, password)
    if user is None:
        raise HTTPException(status_code=401, detail="Invalid credentials")
    token = create_session(user)
    response.set_cookie(key="session", value=token, max_age=86400, httponly=False)  # expect: CWE-1004
    return {"ok": True}


@app.post("/logout")
def logout(response: Response):
    response.delete_cookie("session")
    return {"ok": True}
