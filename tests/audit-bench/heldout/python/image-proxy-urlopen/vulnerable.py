"""Image proxy for the forum: GET /img?url=... fetches a remote image so users' IPs are not leaked."""

import shutil
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

COPY_BUFFER = 64 * 1024


class ProxyHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        parsed = urlparse(self.path)
        if parsed.path != "/img":
            self.send_error(404)
            return
        remote = parse_qs(parsed.query).get("url", [""])[0]
        if not remote:
            self.send_error(400, "url is required")
            return
        req = urllib.request.Request(remote, headers={"User-Agent": "forum-image-proxy/2.1"})
        try:
            upstream = urllib.request.urlopen(req, timeout=10)  # expect: CWE-918
        except OSError:
            self.send_error(502, "could not fetch image")
            return
        with upstream:
            content_type = upstream.headers.get("Content-Type", "application/octet-stream")
            if not content_type.startswith("image/"):
                self.send_error(415, "not an image")
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Cache-Control", "public, max-age=86400")
            self.end_headers()
            shutil.copyfileobj(upstream, self.wfile, COPY_BUFFER)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8081), ProxyHandler).serve_forever()
