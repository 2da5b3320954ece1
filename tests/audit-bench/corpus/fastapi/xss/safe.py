import html

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from .catalog import search_catalog

app = FastAPI(title="Catalog")


@app.get("/", response_class=HTMLResponse)
def home():
    return HTMLResponse("<h1>Catalog</h1><form action='/search'><input name='q'></form>")


@app.get("/search", response_class=HTMLResponse)
def search(q: str = ""):
    results = search_catalog(q)
    title = f"Results for {html.escape(q)}"
    rows = "".join(f"<li>{html.escape(item.name)}</li>" for item in results)
    body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><ul>{rows}</ul></body></html>"
    return HTMLResponse(content=body)
