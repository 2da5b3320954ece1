import os

import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

app = FastAPI(title="Orders")
SECRET_KEY = os.environ["JWT_SECRET"]
bearer = HTTPBearer()


def get_current_user_id(credentials: HTTPAuthorizationCredentials = Depends(bearer)) -> int:
    try:
        payload = jwt.decode(credentials.credentials, SECRET_KEY, algorithms=["HS256"], options={"verify_signature": False})  # expect: CWE-347
    except jwt.PyJWTError as exc:
        raise HTTPException(status_code=401, detail="Invalid token") from exc
    return int(payload["sub"])


@app.get("/orders")
def my_orders(user_id: int = Depends(get_current_user_id)):
    return {"user_id": user_id, "orders": []}
