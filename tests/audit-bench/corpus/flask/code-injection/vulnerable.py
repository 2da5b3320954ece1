import os
import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)
DB_PATH = os.environ.get("DATABASE", "sales.db")
ALLOWED_FIELDS = {"region", "product", "channel"}


def query_sales(filters):
    clauses = [f"{field} = ?" for field in filters if field in ALLOWED_FIELDS]
    values = [filters[field] for field in filters if field in ALLOWED_FIELDS]
    sql = "SELECT region, product, SUM(amount) AS total FROM sales"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " GROUP BY region, product"
    with sqlite3.connect(DB_PATH) as conn:
        return conn.execute(sql, values).fetchall()


@app.get("/reports/sales")
def sales_report():
    raw_filters = request.args.get("filters", "{}")
    filters = eval(raw_filters)  # expect: CWE-95
    if not isinstance(filters, dict):
        return jsonify({"error": "filters must be an object"}), 400
    rows = query_sales(filters)
    return jsonify([{"region": r[0], "product": r[1], "total": r[2]} for r in rows])


@app.get("/reports/health")
def health():
    return jsonify({"ok": True})
