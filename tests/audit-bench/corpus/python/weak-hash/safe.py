import hashlib
import hmac
import json
import os
import urllib.request

WEBHOOK_SECRET = os.environ["WEBHOOK_SECRET"]


def sign(body: bytes) -> str:
    return hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def deliver(url: str, event: dict) -> int:
    body = json.dumps(event, separators=(",", ":")).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Signature", sign(body))
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.status


def verify(body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(body), signature)
