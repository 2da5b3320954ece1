import re

import requests
from flask import Flask, abort, jsonify, request

app = Flask(__name__)

TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
OG_RE = re.compile(r"<meta[^>]+property=[\"']og:(title|description|image)[\"'][^>]+content=[\"']([^\"']*)", re.I)


@app.post("/api/messages/preview")
def link_preview():
    data = request.get_json(silent=True) or {}
    url = (data.get("url") or "").strip()
    if not url.startswith("http"):
        abort(400, "only web links can be previewed")
    resp = requests.get(url, timeout=5, headers={"User-Agent": "ChatPreviewBot/1.0"})  # expect: CWE-918
    resp.raise_for_status()
    html = resp.text[:200_000]
    preview = {"url": resp.url}
    match = TITLE_RE.search(html)
    if match:
        preview["title"] = match.group(1).strip()
    for key, value in OG_RE.findall(html):
        preview.setdefault(key.lower(), value)
    return jsonify(preview)
