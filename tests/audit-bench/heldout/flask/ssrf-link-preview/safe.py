import ipaddress
import re
import socket
from urllib.parse import urlsplit

import requests
from flask import Flask, abort, jsonify, request

app = Flask(__name__)

TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
OG_RE = re.compile(r"<meta[^>]+property=[\"']og:(title|description|image)[\"'][^>]+content=[\"']([^\"']*)", re.I)


def is_public_http_url(url):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443)
    except (socket.gaierror, ValueError):
        return False
    return all(ipaddress.ip_address(info[4][0]).is_global for info in infos)


@app.post("/api/messages/preview")
def link_preview():
    data = request.get_json(silent=True) or {}
    url = (data.get("url") or "").strip()
    if not is_public_http_url(url):
        abort(400, "only public web links can be previewed")
    resp = requests.get(url, timeout=5, headers={"User-Agent": "ChatPreviewBot/1.0"}, allow_redirects=False)
    resp.raise_for_status()
    html = resp.text[:200_000]
    preview = {"url": resp.url}
    match = TITLE_RE.search(html)
    if match:
        preview["title"] = match.group(1).strip()
    for key, value in OG_RE.findall(html):
        preview.setdefault(key.lower(), value)
    return jsonify(preview)
