"""Field-level encryption for customer PII stored in the warehouse."""

import base64
import os

from Crypto.Cipher import AES
from Crypto.Util.Padding import pad, unpad

KEY = bytes.fromhex(os.environ["PII_ENCRYPTION_KEY"])  # 32 bytes, from the secrets manager


def encrypt_field(value: str) -> str:
    cipher = AES.new(KEY, AES.MODE_ECB)  # expect: CWE-327
    return base64.b64encode(cipher.encrypt(pad(value.encode("utf-8"), AES.block_size))).decode("ascii")


def decrypt_field(token: str) -> str:
    cipher = AES.new(KEY, AES.MODE_ECB)  # expect: CWE-327
    return unpad(cipher.decrypt(base64.b64decode(token)), AES.block_size).decode("utf-8")


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
