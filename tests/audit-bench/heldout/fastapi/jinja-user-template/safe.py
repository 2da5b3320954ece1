from fastapi import Depends, FastAPI, HTTPException
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel

from auth import require_tenant_admin
from store import save_template

app = FastAPI()
env = SandboxedEnvironment(autoescape=True)

SAMPLE_CONTEXT = {
    "customer": {"first_name": "Ada", "last_name": "Lovelace"},
    "order": {"number": "A-1042", "total": "42.00", "currency": "EUR"},
}


class EmailTemplate(BaseModel):
    subject: str
    body: str


@app.post("/tenants/{tenant_id}/email-templates/preview")
def preview_template(tenant_id: int, tpl: EmailTemplate, admin=Depends(require_tenant_admin)):
    try:
        subject = env.from_string(tpl.subject).render(**SAMPLE_CONTEXT)
        body = env.from_string(tpl.body).render(**SAMPLE_CONTEXT)
    except TemplateError as exc:
        raise HTTPException(422, f"template error: {exc}")
    return {"subject": subject, "html": body}


@app.put("/tenants/{tenant_id}/email-templates/{name}")
def update_template(tenant_id: int, name: str, tpl: EmailTemplate, admin=Depends(require_tenant_admin)):
    save_template(tenant_id, name, tpl.subject, tpl.body)
    return {"saved": name}
