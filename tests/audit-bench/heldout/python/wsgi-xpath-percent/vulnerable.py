"""Tiny WSGI service answering staff-directory lookups from the HR export (staff.xml)."""

import json
from urllib.parse import parse_qs

from lxml import etree

DIRECTORY = etree.parse("/srv/hr/staff.xml")


def application(environ, start_response):
    if environ.get("PATH_INFO") != "/staff":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    params = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    department = params.get("department", "").strip()
    if not department:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"department is required"]
    query = "/staff/employee[department='%s' and @public='yes']" % department
    people = [
        {"name": e.findtext("name"), "title": e.findtext("title"), "phone": e.findtext("extension")}
        for e in DIRECTORY.xpath(query)  # expect: CWE-643
    ]
    body = json.dumps(people).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
