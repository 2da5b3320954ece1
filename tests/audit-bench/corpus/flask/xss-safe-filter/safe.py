from flask import Flask, render_template_string, request

app = Flask(__name__)

PROFILE_CARD = """
<div class="card">
  <h3>{{ name }}</h3>
  <p>{{ role }}</p>
</div>
"""


@app.get("/team/<name>")
def team_member(name):
    role = request.args.get("role", "Engineer")
    return render_template_string(PROFILE_CARD, name=name, role=role)


@app.post("/profile/preview")
def preview_profile():
    display_name = request.form.get("display_name", "")
    bio = request.form.get("bio", "")
    return render_template_string("<h3>{{ display_name }}</h3><div class='bio'>{{ bio }}</div>", display_name=display_name, bio=bio)
