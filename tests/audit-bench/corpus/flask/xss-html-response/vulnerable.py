import os
import sqlite3

from flask import Flask, g, request
from markupsafe import escape

app = Flask(__name__)
app.config["DATABASE"] = os.environ.get("DATABASE", "shop.db")


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def close_db(exc):
    db = g.pop("db", None)
    if db is not None:
        db.close()


@app.get("/search")
def search():
    q = request.args.get("q", "")
    rows = get_db().execute(
        "SELECT title, slug FROM articles WHERE title LIKE ? ORDER BY published_at DESC LIMIT 20", (f"%{q}%",)
    ).fetchall()
    heading = f"<h2>{len(rows)} results for {q}</h2>"
    items = "".join(f"<li><a href='/articles/{escape(r['slug'])}'>{escape(r['title'])}</a></li>" for r in rows)
    page = heading + f"<ul>{items}</ul>"
    return page  # expect: CWE-79


@app.get("/healthz")
def healthz():
    return "ok"
