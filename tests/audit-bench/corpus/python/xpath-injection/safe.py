import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from lxml import etree

USERS = etree.parse("users.xml", etree.XMLParser(resolve_entities=False, no_network=True))


class LookupHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        params = parse_qs(urlparse(self.path).query)
        login = params.get("login", [""])[0]
        condition = "@login=$login"
        query = "//user[" + condition + "]/@role"
        roles = USERS.xpath(query, login=login)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"roles": [str(r) for r in roles]}).encode())


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", 8083), LookupHandler).serve_forever()
