import secrets
import string

from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from .auth import get_current_user
from .db import get_db
from .models import ApiKey

app = FastAPI(title="Developer portal")
KEY_CHARS = string.ascii_letters + string.digits


@app.post("/api-keys")
def create_api_key(db: Session = Depends(get_db), user=Depends(get_current_user)):
    key = "".join(secrets.choice(KEY_CHARS) for _ in range(40))
    db.add(ApiKey(owner_id=user.id, key=key))
    db.commit()
    return {"api_key": key}


@app.get("/api-keys")
def list_api_keys(db: Session = Depends(get_db), user=Depends(get_current_user)):
    return [{"id": k.id, "prefix": k.key[:6]} for k in db.query(ApiKey).filter_by(owner_id=user.id)]
