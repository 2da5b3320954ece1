import os

from flask import Flask, abort, request, send_file
from flask_login import LoginManager, current_user, login_required

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
login_manager = LoginManager(app)
DOCUMENTS_DIR = os.environ.get("DOCUMENTS_DIR", "/srv/documents")


@app.get("/documents")
@login_required
def list_documents():
    folder = os.path.join(DOCUMENTS_DIR, str(current_user.id))
    return {"documents": sorted(os.listdir(folder))}


@app.get("/documents/download")
@login_required
def download_document():
    requested = request.args.get("name", "")
    filename = requested.strip()
    folder = os.path.join(DOCUMENTS_DIR, str(current_user.id))
    full_path = os.path.join(folder, filename)
    if not os.path.isfile(full_path):
        abort(404)
    return send_file(full_path, as_attachment=True)  # expect: CWE-22
