import os

from flask import Flask, jsonify, request
from flask_login import LoginManager, login_required
from ldap3 import ALL, SUBTREE, Connection, Server

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
login_manager = LoginManager(app)

LDAP_URL = os.environ.get("LDAP_URL", "ldaps://ldap.corp.example.com")
BASE_DN = "ou=people,dc=corp,dc=example,dc=com"


def directory():
    server = Server(LDAP_URL, get_info=ALL, use_ssl=True)
    return Connection(server, os.environ["LDAP_BIND_DN"], os.environ["LDAP_BIND_PASSWORD"], auto_bind=True)


@app.get("/api/directory/search")
@login_required
def search_people():
    term = request.args.get("q", "").strip()
    if len(term) < 2:
        return jsonify([])
    search_filter = "(&(objectClass=inetOrgPerson)(|(cn=*%s*)(mail=%s*)))" % (term, term)  # expect: CWE-90
    conn = directory()
    conn.search(BASE_DN, search_filter, search_scope=SUBTREE, attributes=["cn", "mail", "telephoneNumber"], size_limit=25)  # expect: CWE-90
    people = [{"name": str(e.cn), "mail": str(e.mail), "phone": str(e.telephoneNumber)} for e in conn.entries]
    conn.unbind()
    return jsonify(people)
