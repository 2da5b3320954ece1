const express = require("express");
const session = require("express-session");
const { verifyPassword } = require("./users");

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(session({ secret: process.env.SESSION_SECRET, resave: false, saveUninitialized: false, cookie: { secure: true, httpOnly: true } }));

app.post("/login", async (req, res) => {
  const user = await verifyPassword(req.body.email, req.body.password);
  if (!user) return res.status(401).send("Invalid credentials");
  req.session.userId = user.id;
  const returnTo = req.query.returnTo || "/dashboard";
  const destination = /^\/(?![\/\\])/.test(returnTo) ? returnTo : "/dashboard";
  res.redirect(destination);
});

app.get("/dashboard", (req, res) => res.send("Dashboard"));

app.listen(3000);
