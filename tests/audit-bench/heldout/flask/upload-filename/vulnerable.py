import os

from flask import Flask, abort, jsonify, request
from flask_login import LoginManager, current_user, login_required

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
app.config["UPLOAD_FOLDER"] = "/srv/app/uploads"
app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
login_manager = LoginManager(app)

ALLOWED_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "pdf"}


def allowed_file(filename):
    return "." in filename and filename.rsplit(".", 1)[1].lower() in ALLOWED_EXTENSIONS


@app.route("/upload", methods=["POST"])
@login_required
def upload():
    file = request.files.get("file")
    if file is None or file.filename == "":
        abort(400, "no file")
    if not allowed_file(file.filename):
        abort(400, "file type not allowed")
    folder = os.path.join(app.config["UPLOAD_FOLDER"], str(current_user.id))
    os.makedirs(folder, exist_ok=True)
    filename = file.filename
    destination = os.path.join(folder, filename)
    file.save(destination)  # expect: CWE-22
    return jsonify({"stored": filename}), 201


@app.route("/uploads")
@login_required
def list_uploads():
    folder = os.path.join(app.config["UPLOAD_FOLDER"], str(current_user.id))
    return jsonify(sorted(os.listdir(folder)) if os.path.isdir(folder) else [])
