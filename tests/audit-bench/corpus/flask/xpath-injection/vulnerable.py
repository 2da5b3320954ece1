import os

from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
CATALOG_PATH = os.path.join(os.path.dirname(__file__), "catalog.xml")
CATALOG = etree.parse(CATALOG_PATH, etree.XMLParser(resolve_entities=False, no_network=True))


@app.get("/books")
def all_books():
    return jsonify([str(t) for t in CATALOG.xpath("//book/title/text()")])


@app.get("/books/by-author")
def books_by_author():
    author = request.args.get("author", "")
    name = author.strip()
    expr = f"//book[author='{name}']/title/text()"
    titles = CATALOG.xpath(expr)  # expect: CWE-643
    return jsonify([str(t) for t in titles])
