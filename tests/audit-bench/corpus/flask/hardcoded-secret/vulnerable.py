import os

import stripe
from flask import Flask, jsonify, request

app = Flask(__name__)
stripe.api_key = "sk_live_51FAKEbenchQ8Wn3LzT0vR2mXc9Yb4KdHs7PjA1uE6gN"  # expect: CWE-798
PRICE_IDS = {"basic": "price_basic_monthly", "pro": "price_pro_monthly"}


@app.post("/checkout")
def create_checkout_session():
    plan = request.json.get("plan", "basic")
    checkout = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": PRICE_IDS[plan], "quantity": 1}],
        success_url=os.environ.get("APP_URL", "https://app.example.com") + "/billing/success",
        cancel_url=os.environ.get("APP_URL", "https://app.example.com") + "/billing",
    )
    return jsonify({"url": checkout.url})
