import os
import sqlite3

from flask import Flask, abort, g, jsonify, request

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


@app.get("/products")
def list_products():
    rows = get_db().execute("SELECT id, name, price FROM products ORDER BY name").fetchall()
    return jsonify([dict(r) for r in rows])


@app.get("/products/<int:product_id>")
def get_product(product_id):
    row = get_db().execute("SELECT id, name, price FROM products WHERE id = ?", (product_id,)).fetchone()
    if row is None:
        abort(404)
    return jsonify(dict(row))


@app.get("/products/search")
def search_products():
    term = request.args.get("q", "").strip()
    max_price = request.args.get("max_price", "1000000")
    pattern = f"%{term}%"
    query = "SELECT id, name, price FROM products WHERE name LIKE ? AND price <= ?"
    rows = get_db().execute(query, (pattern, float(max_price))).fetchall()
    return jsonify([dict(r) for r in rows])
