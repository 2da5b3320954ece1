import httpx
from fastapi import BackgroundTasks, Depends, FastAPI
from pydantic import BaseModel, HttpUrl

from auth import current_user
from store import save_webhook

app = FastAPI()


class WebhookIn(BaseModel):
    url: HttpUrl
    events: list[str] = ["invoice.paid"]


async def send_test_event(url: str, owner_id: int) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        await client.post(url, json={"type": "webhook.test", "owner": owner_id})  # expect: CWE-918


@app.post("/webhooks", status_code=201)
async def create_webhook(hook: WebhookIn, background: BackgroundTasks, user=Depends(current_user)):
    target = str(hook.url)
    webhook_id = save_webhook(user.id, target, hook.events)
    background.add_task(send_test_event, target, user.id)
    return {"id": webhook_id, "url": target}
