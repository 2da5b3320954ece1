import os

import uvicorn
from fastapi import FastAPI

from .routers import invoices, customers

app = FastAPI(title="Billing", version="1.4.0", debug=True)  # expect: CWE-489
app.include_router(invoices.router, prefix="/invoices")
app.include_router(customers.router, prefix="/customers")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
