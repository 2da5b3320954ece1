import os
import shutil
import tempfile
import zipfile

from fastapi import Depends, FastAPI, File, HTTPException, UploadFile

from auth import require_admin

app = FastAPI()
THEMES_DIR = "/var/lib/site/themes"


@app.post("/themes/{theme_name}", dependencies=[Depends(require_admin)])
async def install_theme(theme_name: str, archive: UploadFile = File(...)):
    if not theme_name.isidentifier():
        raise HTTPException(400, "invalid theme name")
    target_dir = os.path.join(THEMES_DIR, theme_name)
    os.makedirs(target_dir, exist_ok=True)
    with tempfile.TemporaryFile() as tmp:
        shutil.copyfileobj(archive.file, tmp)
        tmp.seek(0)
        with zipfile.ZipFile(tmp) as zf:
            for member in zf.infolist():
                if member.is_dir():
                    continue
                dest = os.path.join(target_dir, member.filename)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with zf.open(member) as src, open(dest, "wb") as out:  # expect: CWE-22
                    shutil.copyfileobj(src, out)
    return {"installed": theme_name}
