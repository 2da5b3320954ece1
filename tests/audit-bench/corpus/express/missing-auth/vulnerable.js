const express = require("express");
const { requireAuth } = require("./auth");
const db = require("./db");

const router = express.Router();

router.get("/posts", async (req, res) => {
  res.json(await db.posts.list());
});

router.post("/posts", requireAuth, async (req, res) => {
  const post = await db.posts.create({ authorId: req.user.id, title: req.body.title, body: req.body.body });
  res.status(201).json(post);
});

router.put("/posts/:id", requireAuth, async (req, res) => {
  res.json(await db.posts.update(req.params.id, { title: req.body.title, body: req.body.body }));
});

router.delete("/posts/:id", async (req, res) => { // expect: CWE-306
  await db.posts.remove(req.params.id);
  res.status(204).end();
});

module.exports = router;
