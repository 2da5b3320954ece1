import json
import os
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MEDIA_DIR = os.environ.get("MEDIA_DIR", "/srv/media")


class ProbeHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        params = parse_qs(urlparse(self.path).query)
        name = params.get("file", [""])[0]
        target = os.path.join(MEDIA_DIR, os.path.basename(name))
        command = ["ffprobe", "-v", "quiet", "-print_format", "json", "-show_format", target]
        info = subprocess.run(command, capture_output=True, text=True, check=False).stdout
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write((info or json.dumps({"error": "unreadable"})).encode())


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", 8081), ProbeHandler).serve_forever()
