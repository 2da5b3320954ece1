import base64
import json

from flask import Flask, jsonify, make_response, request

app = Flask(__name__)


def load_cart():
    raw = request.cookies.get("cart")
    if not raw:
        return {}
    data = base64.b64decode(raw)
    return json.loads(data)


@app.get("/cart")
def view_cart():
    return jsonify(load_cart())


@app.post("/cart/items")
def add_item():
    cart = load_cart()
    sku = request.json["sku"]
    cart[sku] = cart.get(sku, 0) + int(request.json.get("quantity", 1))
    resp = make_response(jsonify(cart))
    resp.set_cookie("cart", base64.b64encode(json.dumps(cart).encode()).decode(), secure=True, httponly=True, samesite="Lax")
    return resp
