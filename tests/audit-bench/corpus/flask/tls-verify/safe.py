import os

import requests
from flask import Flask, jsonify, request

app = Flask(__name__)
RATES_API = os.environ.get("RATES_API", "https://rates.partner.example.com")


@app.get("/convert")
def convert():
    amount = float(request.args.get("amount", "1"))
    currency = request.args.get("to", "EUR").upper()
    resp = requests.get(f"{RATES_API}/v1/latest", params={"base": "USD"}, timeout=10, verify=True)
    resp.raise_for_status()
    rate = resp.json()["rates"].get(currency)
    if rate is None:
        return jsonify({"error": f"unknown currency {currency}"}), 400
    return jsonify({"amount": round(amount * rate, 2), "currency": currency})
