import io

import numpy as np
from fastapi import Depends, FastAPI, File, HTTPException, UploadFile

from auth import api_key
from index import VectorIndex

app = FastAPI(title="Embedding search")
index = VectorIndex.open("/data/index.faiss")


@app.post("/v1/search/by-vector", dependencies=[Depends(api_key)])
async def search_by_vector(file: UploadFile = File(...), k: int = 10):
    raw = await file.read()
    if len(raw) > 5 * 1024 * 1024:
        raise HTTPException(413, "vector file too large")
    vectors = np.load(io.BytesIO(raw), allow_pickle=True)  # expect: CWE-502
    if vectors.ndim != 2 or vectors.shape[1] != index.dim:
        raise HTTPException(422, f"expected an (n, {index.dim}) array")
    return {"results": index.nearest(vectors.astype("float32"), k=min(k, 100))}
