const express = require("express");
const { execSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { requireUser } = require("./auth");
const { analyzeRepository } = require("./analyzer");

const app = express();
app.use(express.json());

app.post("/api/scans", requireUser, (req, res) => {
  const { repoUrl, branch = "main" } = req.body;
  if (!repoUrl) {
    return res.status(400).json({ error: "repoUrl is required" });
  }
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), "scan-"));
  try {
    execSync(`git clone --depth 1 --branch ${branch} ${repoUrl} ${workdir}/src`, { stdio: "ignore", timeout: 60000 }); // expect: CWE-78
    const report = analyzeRepository(path.join(workdir, "src"));
    res.status(201).json({ report });
  } catch (err) {
    res.status(422).json({ error: "could not clone the repository" });
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
});

app.listen(process.env.PORT || 3000);
