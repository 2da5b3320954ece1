import yaml
from fastapi import Depends, FastAPI, File, HTTPException, UploadFile

from .auth import get_current_user
from .pipelines import save_pipeline

app = FastAPI(title="Pipelines")


@app.post("/pipelines/import")
async def import_pipeline(upload: UploadFile = File(...), user=Depends(get_current_user)):
    raw = await upload.read()
    try:
        spec = yaml.load(raw, Loader=yaml.Loader)  # expect: CWE-502
    except yaml.YAMLError as exc:
        raise HTTPException(status_code=400, detail=f"invalid YAML: {exc}") from exc
    if not isinstance(spec, dict) or "steps" not in spec:
        raise HTTPException(status_code=422, detail="a pipeline needs steps")
    pipeline_id = save_pipeline(owner=user.id, spec=spec)
    return {"id": pipeline_id, "steps": len(spec["steps"])}
