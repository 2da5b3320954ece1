import os

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import FileResponse

from .auth import User, get_current_user

app = FastAPI(title="Reports")
REPORTS_DIR = os.environ.get("REPORTS_DIR", "/srv/reports")


@app.get("/reports")
def list_reports(user: User = Depends(get_current_user)):
    folder = os.path.join(REPORTS_DIR, str(user.id))
    return {"reports": sorted(f for f in os.listdir(folder) if f.endswith(".pdf"))}


@app.get("/reports/download")
def download_report(name: str = Query(..., min_length=1), user: User = Depends(get_current_user)):
    filename = f"{name}.pdf"
    base = os.path.join(REPORTS_DIR, str(user.id))
    path = os.path.join(base, filename)
    if not os.path.exists(path):
        raise HTTPException(status_code=404, detail="Report not found")
    return FileResponse(path, media_type="application/pdf", filename=filename)  # expect: CWE-22
