import io
import xml.sax
import xml.sax.handler

from flask import Flask, jsonify, request

app = Flask(__name__)


class FeedHandler(xml.sax.ContentHandler):
    def __init__(self):
        super().__init__()
        self.titles = []
        self._in_title = False

    def startElement(self, name, attrs):
        self._in_title = name == "title"

    def characters(self, content):
        if self._in_title and content.strip():
            self.titles.append(content.strip())


@app.post("/feeds/import")
def import_feed():
    handler = FeedHandler()
    parser = xml.sax.make_parser()
    parser.setFeature(xml.sax.handler.feature_external_ges, True)  # expect: CWE-611
    parser.setContentHandler(handler)
    parser.parse(io.BytesIO(request.get_data()))  # expect: CWE-611
    return jsonify({"imported": len(handler.titles), "titles": handler.titles[:10]})
