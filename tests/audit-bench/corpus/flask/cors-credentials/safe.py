from flask import Flask, jsonify, request, session

app = Flask(__name__)
ALLOWED_ORIGINS = {"https://app.example.com", "https://admin.example.com"}


@app.after_request
def add_cors_headers(response):
    origin = request.headers.get("Origin")
    if origin in ALLOWED_ORIGINS:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
    return response


@app.get("/api/account")
def account():
    if "user_id" not in session:
        return jsonify({"error": "not signed in"}), 401
    return jsonify({"user_id": session["user_id"]})
