from flask import Flask, render_template, request
from markupsafe import Markup, escape

app = Flask(__name__)


@app.get("/comments/new")
def new_comment():
    return render_template("new_comment.html")


@app.post("/comments/preview")
def preview_comment():
    text = request.form.get("body", "")
    author = request.form.get("author", "anonymous")
    body = escape(text).replace("\n", Markup("<br>"))
    snippet = Markup("<p class='comment'><strong>{}</strong>: {}</p>").format(author, body)
    return render_template("preview.html", snippet=snippet)


@app.get("/comments/help")
def comment_help():
    tip = escape(request.args.get("topic", "formatting"))
    return render_template("help.html", tip=tip)
