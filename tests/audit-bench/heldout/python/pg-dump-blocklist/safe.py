"""Small ops agent: POST /backup?db=NAME dumps a database into /var/backups/pg."""

import json
import os
import re
import subprocess
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

BACKUP_DIR = "/var/backups/pg"
SHELL_METACHARACTERS = re.compile(r"[;&|<>]")


class BackupHandler(BaseHTTPRequestHandler):
    def _reply(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):
        url = urlparse(self.path)
        if url.path != "/backup":
            return self._reply(404, {"error": "not found"})
        params = parse_qs(url.query)
        database = SHELL_METACHARACTERS.sub("", params.get("db", [""])[0]).strip()
        if not database:
            return self._reply(400, {"error": "db is required"})
        target = os.path.join(BACKUP_DIR, time.strftime("%Y%m%d-%H%M%S") + ".dump")
        status = subprocess.run(["pg_dump", "--format=custom", "--file={}".format(target), "--", database]).returncode
        if status != 0:
            return self._reply(500, {"error": "pg_dump failed", "status": status})
        return self._reply(201, {"file": target})


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", 8750), BackupHandler).serve_forever()
