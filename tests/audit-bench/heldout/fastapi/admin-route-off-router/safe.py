from fastapi import APIRouter, Depends, FastAPI, HTTPException
from sqlalchemy.orm import Session

from auth import current_user, require_admin
from db import User, get_session

app = FastAPI()
admin = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@app.get("/me")
def me(user: User = Depends(current_user)):
    return {"id": user.id, "email": user.email, "role": user.role}


@admin.get("/users")
def list_users(session: Session = Depends(get_session)):
    return [{"id": u.id, "email": u.email, "role": u.role} for u in session.query(User).order_by(User.id)]


@admin.post("/users/{user_id}/disable")
def disable_user(user_id: int, session: Session = Depends(get_session)):
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(404, "no such user")
    user.active = False
    session.commit()
    return {"id": user.id, "active": user.active}


@admin.post("/users/{user_id}/role")
def set_role(user_id: int, role: str, session: Session = Depends(get_session)):
    if role not in ("member", "admin"):
        raise HTTPException(422, "unknown role")
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(404, "no such user")
    user.role = role
    session.commit()
    return {"id": user.id, "role": user.role}


app.include_router(admin)
