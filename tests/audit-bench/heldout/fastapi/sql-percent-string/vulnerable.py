import os
from contextlib import contextmanager

import psycopg2
import psycopg2.extras
from fastapi import Depends, FastAPI, Query

from auth import current_user

app = FastAPI(title="Orders API")


@contextmanager
def cursor():
    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    try:
        with conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            yield cur
    finally:
        conn.close()


@app.get("/orders")
def list_orders(status: str = Query("open", max_length=20), user=Depends(current_user)):
    sql = "SELECT id, total_cents, status, created_at FROM orders WHERE customer_id = %s AND status = '%s' ORDER BY created_at DESC LIMIT 100" % (user.id, status)  # expect: CWE-89
    with cursor() as cur:
        cur.execute(sql)  # expect: CWE-89
        return cur.fetchall()


@app.get("/orders/{order_id}")
def get_order(order_id: int, user=Depends(current_user)):
    with cursor() as cur:
        cur.execute("SELECT * FROM orders WHERE id = %s AND customer_id = %s", (order_id, user.id))
        return cur.fetchone() or {}
