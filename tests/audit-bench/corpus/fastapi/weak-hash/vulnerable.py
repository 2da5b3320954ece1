import hashlib
import secrets

from fastapi import Depends, FastAPI, Header, HTTPException
from sqlalchemy.orm import Session

from .db import get_db
from .models import ApiToken

app = FastAPI(title="Tokens")


def token_digest(token: str) -> str:
    return hashlib.md5(token.encode()).hexdigest()  # expect: CWE-328


@app.post("/tokens")
def create_token(db: Session = Depends(get_db)):
    token = secrets.token_urlsafe(32)
    db.add(ApiToken(digest=token_digest(token)))
    db.commit()
    return {"token": token}


@app.get("/whoami")
def whoami(x_api_token: str = Header(...), db: Session = Depends(get_db)):
    record = db.query(ApiToken).filter_by(digest=token_digest(x_api_token)).first()
    if record is None:
        raise HTTPException(status_code=401, detail="Unknown token")
    return {"token_id": record.id}
