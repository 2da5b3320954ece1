import express, { Request, Response } from "express";
import { requireUser } from "./auth";

const router = express.Router();

type Embed = { title?: string; html?: string; thumbnail_url?: string; provider_name?: string };

router.get("/api/embed", requireUser, async (req: Request, res: Response) => {
  const { url, maxwidth = "640" } = req.query as { url?: string; maxwidth?: string };
  if (!url) {
    return res.status(400).json({ error: "url is required" });
  }
  const endpoint = new URL(url);
  endpoint.searchParams.set("format", "json");
  endpoint.searchParams.set("maxwidth", maxwidth);
  try {
    const upstream = await fetch(endpoint, { signal: AbortSignal.timeout(5000) }); // expect: CWE-918
    if (!upstream.ok) {
      return res.status(502).json({ error: `provider answered ${upstream.status}` });
    }
    const embed = (await upstream.json()) as Embed;
    res.json({ title: embed.title, html: embed.html, thumbnail: embed.thumbnail_url, provider: embed.provider_name });
  } catch {
    res.status(502).json({ error: "could not reach the provider" });
  }
});

export default router;
