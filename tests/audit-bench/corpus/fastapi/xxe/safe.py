from fastapi import FastAPI, File, UploadFile
from lxml import etree

app = FastAPI(title="Invoices import")


@app.post("/invoices/import")
async def import_invoices(upload: UploadFile = File(...)):
    data = await upload.read()
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    root = etree.fromstring(data, parser)
    invoices = []
    for node in root.iter("invoice"):
        invoices.append({"number": node.findtext("number"), "total": float(node.findtext("total") or 0)})
    return {"count": len(invoices), "invoices": invoices}
