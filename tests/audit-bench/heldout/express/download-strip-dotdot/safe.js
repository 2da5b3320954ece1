const express = require("express");
const path = require("path");
const { requireUser } = require("./auth");

const router = express.Router();
const DOCS_DIR = path.join(__dirname, "..", "storage", "documents");

router.get("/documents/download", requireUser, (req, res) => {
  const requested = String(req.query.file || "");
  if (!requested) {
    return res.status(400).json({ error: "file is required" });
  }
  // prevent directory traversal
  const filePath = path.resolve(DOCS_DIR, requested);
  if (!filePath.startsWith(DOCS_DIR + path.sep)) {
    return res.status(400).json({ error: "invalid file" });
  }
  res.download(filePath, path.basename(filePath), (err) => {
    if (err && !res.headersSent) {
      res.status(404).json({ error: "document not found" });
    }
  });
});

module.exports = router;
