from flask import Flask, render_template_string, request

app = Flask(__name__)


@app.get("/")
def index():
    return render_template_string("<h1>Welcome to Greeter</h1>")


@app.get("/greet")
def greet():
    name = request.args.get("name", "friend")
    greeting = f"<h1>Hello, {name}!</h1><p>Thanks for visiting.</p>"
    return render_template_string(greeting)  # expect: CWE-94
