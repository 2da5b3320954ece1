import sqlite3
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DB_PATH = "inventory.db"


class StockHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        params = parse_qs(urlparse(self.path).query)
        sku = params.get("sku", [""])[0]
        with sqlite3.connect(DB_PATH) as conn:
            row = conn.execute("SELECT sku, quantity FROM stock WHERE sku = '%s'" % sku).fetchone()  # expect: CWE-89
            total = conn.execute("SELECT COUNT(*) FROM stock").fetchone()[0]
        self.send_response(200 if row else 404)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(f"{row[0]}: {row[1]} of {total} skus\n".encode() if row else b"unknown sku\n")


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", 8082), StockHandler).serve_forever()
