import os

from fastapi import Depends, FastAPI, HTTPException, Query
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from .auth import get_current_user

engine = create_engine(os.environ.get("DATABASE_URL", "sqlite:///./app.db"))
SessionLocal = sessionmaker(bind=engine, autoflush=False)
app = FastAPI(title="Accounts API")


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.get("/users")
def list_users(limit: int = Query(50, le=200), db: Session = Depends(get_db), user=Depends(get_current_user)):
    rows = db.execute(text("SELECT id, email, full_name FROM users ORDER BY id LIMIT :limit"), {"limit": limit}).all()
    return [dict(r._mapping) for r in rows]


@app.get("/users/lookup")
def lookup_user(email: str, db: Session = Depends(get_db), user=Depends(get_current_user)):
    row = db.execute(text("SELECT id, email, full_name FROM users WHERE email = :email"), {"email": email}).first()
    if row is None:
        raise HTTPException(status_code=404, detail="User not found")
    return dict(row._mapping)
