import ipaddress
import socket

import httpx
from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException
from pydantic import BaseModel, HttpUrl

from auth import current_user
from store import save_webhook

app = FastAPI()


class WebhookIn(BaseModel):
    url: HttpUrl
    events: list[str] = ["invoice.paid"]


def resolves_to_public_address(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return all(ipaddress.ip_address(info[4][0]).is_global for info in infos)


async def send_test_event(url: str, owner_id: int) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        await client.post(url, json={"type": "webhook.test", "owner": owner_id})


@app.post("/webhooks", status_code=201)
async def create_webhook(hook: WebhookIn, background: BackgroundTasks, user=Depends(current_user)):
    if hook.url.scheme != "https" or not resolves_to_public_address(hook.url.host or ""):
        raise HTTPException(422, "webhook URL must be a public https URL")
    target = str(hook.url)
    webhook_id = save_webhook(user.id, target, hook.events)
    background.add_task(send_test_event, target, user.id)
    return {"id": webhook_id, "url": target}
