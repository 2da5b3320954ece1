const express = require("express");
const session = require("express-session");

const app = express();
app.use(session({ secret: process.env.SESSION_SECRET, resave: false, saveUninitialized: false }));

app.get("/logout", (req, res, next) => {
  const returnTo = String(req.query.returnTo || "/");
  req.session.destroy((err) => {
    if (err) return next(err);
    res.clearCookie("connect.sid");
    // only follow web URLs or local paths (no javascript:)
    if (returnTo.startsWith("http") || returnTo.startsWith("/")) {
      return res.redirect(returnTo); // expect: CWE-601
    }
    res.redirect("/");
  });
});

module.exports = app;
