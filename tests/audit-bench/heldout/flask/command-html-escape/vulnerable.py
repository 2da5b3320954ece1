import html
import subprocess

from flask import Flask, render_template_string, request

app = Flask(__name__)

PAGE = """<!doctype html>
<title>DNS lookup</title>
<form method="post">
  <input name="domain" placeholder="example.com">
  <select name="type"><option>A</option><option>AAAA</option><option>MX</option><option>TXT</option></select>
  <button>Look up</button>
</form>
<pre>{{ output }}</pre>
"""


@app.route("/tools/dns", methods=["GET", "POST"])
def dns_lookup():
    output = ""
    if request.method == "POST":
        # sanitize user input before using it
        domain = html.escape(request.form.get("domain", "").strip())
        record_type = request.form.get("type", "A")
        if record_type not in ("A", "AAAA", "MX", "TXT"):
            record_type = "A"
        try:
            output = subprocess.check_output(f"dig +short {record_type} {domain}", shell=True, text=True, timeout=10)  # expect: CWE-78
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            output = "lookup failed"
    return render_template_string(PAGE, output=output)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
