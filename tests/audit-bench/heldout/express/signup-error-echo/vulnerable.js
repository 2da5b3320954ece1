const express = require("express");
const rateLimit = require("express-rate-limit");
const { addSubscriber } = require("./mailing-list");

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(express.static("public"));

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

app.post("/newsletter", rateLimit({ windowMs: 60_000, max: 10 }), async (req, res) => {
  const email = (req.body.email || "").trim();
  if (!EMAIL_RE.test(email)) {
    return res.status(400).send("Sorry, " + email + " is not a valid e-mail address. <a href=\"/\">Try again</a>"); // expect: CWE-79
  }
  await addSubscriber(email);
  res.redirect("/thanks.html");
});

app.listen(8080);
