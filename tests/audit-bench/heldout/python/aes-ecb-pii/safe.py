"""Field-level encryption for customer PII stored in the warehouse."""

import base64
import os

from Crypto.Cipher import AES

KEY = bytes.fromhex(os.environ["PII_ENCRYPTION_KEY"])  # 32 bytes, from the secrets manager


def encrypt_field(value: str) -> str:
    cipher = AES.new(KEY, AES.MODE_GCM)
    ciphertext, tag = cipher.encrypt_and_digest(value.encode("utf-8"))
    return base64.b64encode(cipher.nonce + tag + ciphertext).decode("ascii")


def decrypt_field(token: str) -> str:
    raw = base64.b64decode(token)
    cipher = AES.new(KEY, AES.MODE_GCM, nonce=raw[:16])
    return cipher.decrypt_and_verify(raw[32:], raw[16:32]).decode("utf-8")


def encrypt_customer(record: dict) -> dict:
    out = dict(record)
    for field in ("email", "phone", "national_id", "iban"):
        if out.get(field):
            out[field] = encrypt_field(out[field])
    return out


def decrypt_customer(record: dict) -> dict:
    out = dict(record)
    for field in ("email", "phone", "national_id", "iban"):
        if out.get(field):
            out[field] = decrypt_field(out[field])
    return out
