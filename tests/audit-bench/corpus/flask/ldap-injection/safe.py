import os

from flask import Flask, jsonify, request, session
from ldap3 import SUBTREE, Connection, Server
from ldap3.utils.conv import escape_filter_chars

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
LDAP_SERVER = Server(os.environ.get("LDAP_URL", "ldaps://ldap.corp.example.com"))
BASE_DN = "ou=people,dc=corp,dc=example,dc=com"


@app.post("/login")
def login():
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    service = Connection(LDAP_SERVER, user=os.environ["LDAP_BIND_DN"], password=os.environ["LDAP_BIND_PASSWORD"], auto_bind=True)
    uid = escape_filter_chars(username.strip().lower())
    search_filter = f"(&(objectClass=inetOrgPerson)(uid={uid}))"
    service.search(BASE_DN, search_filter, search_scope=SUBTREE, attributes=["cn", "mail"])
    if len(service.entries) != 1:
        return jsonify({"error": "invalid credentials"}), 401
    entry = service.entries[0]
    if not Connection(LDAP_SERVER, user=entry.entry_dn, password=password).bind():
        return jsonify({"error": "invalid credentials"}), 401
    session["user"] = str(entry.mail)
    return jsonify({"name": str(entry.cn)})
