import json
import socket
import ssl

PAYMENTS_HOST = "payments.internal.example.com"


def make_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile="/etc/ssl/internal-ca.pem")
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def send_charge(charge: dict) -> dict:
    body = json.dumps(charge).encode()
    with socket.create_connection((PAYMENTS_HOST, 8443), timeout=10) as raw:
        with make_context().wrap_socket(raw, server_hostname=PAYMENTS_HOST) as tls:
            tls.sendall(len(body).to_bytes(4, "big") + body)
            size = int.from_bytes(tls.recv(4), "big")
            return json.loads(tls.recv(size))
