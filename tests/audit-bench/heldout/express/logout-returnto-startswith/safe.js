const express = require("express");
const session = require("express-session");

const app = express();
const APP_ORIGIN = "https://app.example.com";
app.use(session({ secret: process.env.SESSION_SECRET, resave: false, saveUninitialized: false }));

app.get("/logout", (req, res, next) => {
  const returnTo = String(req.query.returnTo || "/");
  req.session.destroy((err) => {
    if (err) return next(err);
    res.clearCookie("connect.sid");
    // only follow URLs on our own origin
    const target = URL.canParse(returnTo, APP_ORIGIN) ? new URL(returnTo, APP_ORIGIN) : null;
    if (target && target.origin === APP_ORIGIN) {
      return res.redirect(target.href);
    }
    res.redirect("/");
  });
});

module.exports = app;
