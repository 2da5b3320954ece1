import os

from flask import Flask, jsonify

from .api import api_blueprint

app = Flask(__name__)
app.register_blueprint(api_blueprint, url_prefix="/api")


@app.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "5000")), debug=False)
