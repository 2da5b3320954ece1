import os

import httpx
from fastapi import FastAPI

app = FastAPI(title="Release notes")
GITHUB_API = "https://api.github.com"
GITHUB_TOKEN = "ghp_FAKEbench7Qk2LmN9xR4tV6wY8zA1cE3gH5j"  # expect: CWE-798


@app.get("/releases/{owner}/{repo}")
async def releases(owner: str, repo: str):
    headers = {"Authorization": f"Bearer {GITHUB_TOKEN}", "Accept": "application/vnd.github+json"}
    async with httpx.AsyncClient(base_url=GITHUB_API, timeout=10.0) as client:
        resp = await client.get(f"/repos/{owner}/{repo}/releases", headers=headers)
    resp.raise_for_status()
    return [{"tag": r["tag_name"], "name": r["name"]} for r in resp.json()]


@app.get("/healthz")
def healthz():
    return {"status": "ok", "region": os.environ.get("REGION", "local")}
