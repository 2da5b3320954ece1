import os

import httpx
from fastapi import FastAPI

app = FastAPI(title="Shipping")
CARRIER_URL = os.environ.get("CARRIER_URL", "https://api.carrier.example.com")


@app.get("/shipments/{tracking_number}")
async def track(tracking_number: str):
    async with httpx.AsyncClient(base_url=CARRIER_URL, timeout=10.0, verify=True) as client:
        resp = await client.get(f"/v2/track/{tracking_number}")
        resp.raise_for_status()
        data = resp.json()
    return {"tracking_number": tracking_number, "status": data.get("status"), "eta": data.get("eta")}
