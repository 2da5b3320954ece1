import os
import shlex

from fastapi import Depends, FastAPI
from pydantic import BaseModel

from .auth import require_admin

app = FastAPI(title="Network tools")


class PingRequest(BaseModel):
    host: str
    count: int = 1


@app.post("/diagnostics/ping")
def ping(body: PingRequest, admin=Depends(require_admin)):
    count = max(1, min(body.count, 5))
    status = os.system(f"ping -c {count} -W 2 {body.host} > /dev/null 2>&1")  # expect: CWE-78
    return {"host": body.host, "reachable": status == 0}


@app.get("/diagnostics/uptime")
def uptime(admin=Depends(require_admin)):
    with open("/proc/uptime") as fh:
        return {"seconds": float(fh.read().split()[0])}
