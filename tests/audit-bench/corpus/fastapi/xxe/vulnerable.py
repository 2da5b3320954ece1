from fastapi import FastAPI, File, UploadFile
from lxml import etree

app = FastAPI(title="Invoices import")


@app.post("/invoices/import")
async def import_invoices(upload: UploadFile = File(...)):
    data = await upload.read()
    parser = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)  # expect: CWE-611
    root = etree.fromstring(data, parser)  # expect: CWE-611
    invoices = []
    for node in root.iter("invoice"):
        invoices.append({"number": node.findtext("number"), "total": float(node.findtext("total") or 0)})
    return {"count": len(invoices), "invoices": invoices}
