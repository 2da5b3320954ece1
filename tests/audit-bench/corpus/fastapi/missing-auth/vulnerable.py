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


@app.get("/projects")
def list_projects(db: Session = Depends(get_db), user=Depends(get_current_user)):
    rows = db.execute(text("SELECT id, name FROM projects WHERE owner_id = :uid"), {"uid": user.id}).all()
    return [dict(r._mapping) for r in rows]


@app.post("/projects", status_code=201)
def create_project(name: str, db: Session = Depends(get_db), user=Depends(get_current_user)):
    db.execute(text("INSERT INTO projects (name, owner_id) VALUES (:name, :uid)"), {"name": name, "uid": user.id})
    db.commit()
    return {"name": name}


@app.delete("/projects/{project_id}", status_code=204)  # expect: CWE-306
def delete_project(project_id: int, db: Session = Depends(get_db)):  # expect: CWE-306
    db.execute(text("DELETE FROM projects WHERE id = :id"), {"id": project_id})
    db.commit()
