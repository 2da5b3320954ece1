const express = require("express");
const path = require("path");
const { exec, execFile } = require("child_process");

const app = express();
app.use(express.json());
const VIDEO_DIR = process.env.VIDEO_DIR || "/srv/videos";

app.post("/videos/:id/preview", (req, res) => {
  const id = path.basename(req.params.id);
  const at = req.body.timestamp || "00:00:01";
  const input = path.join(VIDEO_DIR, `${id}.mp4`);
  const output = path.join(VIDEO_DIR, `${id}.jpg`);
  execFile("ffmpeg", ["-y", "-ss", String(at), "-i", input, "-frames:v", "1", output], (err) => {
    if (err) return res.status(500).json({ error: "preview failed" });
    res.json({ preview: `/videos/${id}.jpg` });
  });
});

app.get("/videos/health", (req, res) => {
  execFile("ffmpeg", ["-version"], (err) => res.json({ ffmpeg: !err }));
});

app.listen(3000);
