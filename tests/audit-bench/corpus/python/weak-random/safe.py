import secrets
import sqlite3
from datetime import datetime, timedelta, timezone


def create_invite(conn: sqlite3.Connection, team_id: int, email: str) -> str:
    code = secrets.token_hex(8)
    expires = datetime.now(timezone.utc) + timedelta(days=7)
    conn.execute(
        "INSERT INTO invites (team_id, email, code, expires_at) VALUES (?, ?, ?, ?)",
        (team_id, email, code, expires.isoformat()),
    )
    conn.commit()
    return code


def accept_invite(conn: sqlite3.Connection, code: str) -> int | None:
    row = conn.execute("SELECT team_id FROM invites WHERE code = ? AND expires_at > ?", (code, datetime.now(timezone.utc).isoformat())).fetchone()
    return row[0] if row else None
