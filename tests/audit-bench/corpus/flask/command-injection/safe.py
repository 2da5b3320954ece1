import os
import subprocess
import uuid

from flask import Flask, jsonify, request, send_from_directory

app = Flask(__name__)
UPLOAD_DIR = os.environ.get("UPLOAD_DIR", "/srv/uploads")
THUMB_DIR = os.environ.get("THUMB_DIR", "/srv/thumbs")


@app.post("/images")
def upload_image():
    image = request.files["image"]
    name = f"{uuid.uuid4().hex}.png"
    image.save(os.path.join(UPLOAD_DIR, name))
    return jsonify({"id": name}), 201


@app.post("/images/<image_id>/thumbnail")
def make_thumbnail(image_id):
    size = request.form.get("size", "128x128")
    source = os.path.join(UPLOAD_DIR, os.path.basename(image_id))
    target = os.path.join(THUMB_DIR, os.path.basename(image_id))
    cmd = ["convert", source, "-resize", size, target]
    subprocess.run(cmd, check=True)
    return jsonify({"thumbnail": f"/thumbs/{os.path.basename(image_id)}"})


@app.get("/thumbs/<path:name>")
def get_thumbnail(name):
    return send_from_directory(THUMB_DIR, name)
