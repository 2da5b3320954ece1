import sqlite3

from flask import Flask, g, jsonify, request

app = Flask(__name__)
DATABASE = "inventory.db"

SORT_COLUMNS = {"name": "name", "price": "price", "stock": "stock_count"}


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def close_db(exc):
    db = g.pop("db", None)
    if db is not None:
        db.close()


@app.route("/api/products")
def list_products():
    category = request.args.get("category", "all")
    sort = SORT_COLUMNS.get(request.args.get("sort", "name"), "name")
    db = get_db()
    if category == "all":
        rows = db.execute(f"SELECT id, name, price FROM products ORDER BY {sort}").fetchall()
    else:
        query = "SELECT id, name, price FROM products WHERE category = '{}' ORDER BY {}".format(category.strip().lower(), sort)  # expect: CWE-89
        rows = db.execute(query).fetchall()  # expect: CWE-89
    return jsonify([dict(r) for r in rows])


@app.route("/api/products/<int:product_id>")
def get_product(product_id):
    row = get_db().execute("SELECT id, name, price, stock_count FROM products WHERE id = ?", (product_id,)).fetchone()
    if row is None:
        return jsonify(error="not found"), 404
    return jsonify(dict(row))
