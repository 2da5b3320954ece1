const express = require("express");
const ldap = require("ldapjs");
const { requireAuth } = require("./auth");

const app = express();
const client = ldap.createClient({ url: process.env.LDAP_URL });

app.get("/directory/search", requireAuth, (req, res) => {
  const name = (req.query.name || "").trim();
  const filter = new ldap.AndFilter({
    filters: [
      new ldap.EqualityFilter({ attribute: "objectClass", value: "person" }),
      new ldap.SubstringFilter({ attribute: "cn", any: [name] }),
    ],
  });
  const opts = { filter, scope: "sub", attributes: ["cn", "mail", "telephoneNumber"] };
  const people = [];
  client.search("ou=people,dc=example,dc=com", opts, (err, search) => {
    if (err) return res.status(500).json({ error: "directory unavailable" });
    search.on("searchEntry", (entry) => people.push(entry.pojo));
    search.on("end", () => res.json(people));
  });
});

app.listen(3000);
