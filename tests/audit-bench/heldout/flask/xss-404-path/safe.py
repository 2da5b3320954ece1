import html

from flask import Flask, jsonify, request

app = Flask(__name__, static_folder="static")


@app.route("/")
def index():
    return "<h1>Docs</h1><ul><li><a href='/guide'>Guide</a></li><li><a href='/api/status'>Status</a></li></ul>"


@app.route("/guide")
def guide():
    return app.send_static_file("guide.html")


@app.route("/api/status")
def status():
    return jsonify(status="ok")


@app.errorhandler(404)
def not_found(error):
    if request.path.startswith("/api/"):
        return jsonify({"error": "not found", "path": request.path}), 404
    page = "<h1>Page not found</h1><p>Sorry, <code>" + html.escape(request.path) + "</code> does not exist.</p>"
    return page, 404
