from flask import Flask, abort, jsonify, request
from flask_login import LoginManager, current_user, login_required

from .db import db
from .models import Note

app = Flask(__name__)
login_manager = LoginManager(app)


@app.get("/notes")
@login_required
def list_notes():
    notes = Note.query.filter_by(owner_id=current_user.id).all()
    return jsonify([n.to_dict() for n in notes])


@app.post("/notes")
@login_required
def create_note():
    note = Note(owner_id=current_user.id, body=request.json["body"])
    db.session.add(note)
    db.session.commit()
    return jsonify(note.to_dict()), 201


@app.delete("/notes/<int:note_id>")  # expect: CWE-306
def delete_note(note_id):  # expect: CWE-306
    note = db.session.get(Note, note_id)
    if note is None:
        abort(404)
    db.session.delete(note)
    db.session.commit()
    return "", 204
