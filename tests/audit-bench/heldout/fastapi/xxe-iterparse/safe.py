from fastapi import Depends, FastAPI, File, HTTPException, UploadFile
from lxml import etree

from auth import current_user
from store import upsert_products

app = FastAPI(title="Catalog import")


@app.post("/catalog/import")
async def import_catalog(feed: UploadFile = File(...), user=Depends(current_user)):
    products = []
    try:
        # the supplier feeds use entities like &nbsp; and &euro; declared in their DTD
        for _, elem in etree.iterparse(feed.file, events=("end",), tag="product", load_dtd=False, resolve_entities=False, no_network=True):
            products.append({
                "sku": elem.findtext("sku"),
                "name": elem.findtext("name"),
                "price": elem.findtext("price"),
                "description": elem.findtext("description"),
            })
            elem.clear()
    except etree.XMLSyntaxError as exc:
        raise HTTPException(422, f"invalid feed: {exc}")
    count = upsert_products(user.tenant_id, products)
    return {"imported": count}
