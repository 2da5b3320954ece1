import importlib

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest

from .models import Invoice

EXPORTERS = {
    "csv": "billing.exporters.csv_exporter",
    "xlsx": "billing.exporters.xlsx_exporter",
    "pdf": "billing.exporters.pdf_exporter",
}


@login_required
def export_invoices(request):
    backend = EXPORTERS.get(request.GET.get("format", "csv"))
    if backend is None:
        return HttpResponseBadRequest("unknown format")
    module = importlib.import_module(backend)
    invoices = Invoice.objects.filter(customer__owner=request.user)
    content, content_type = module.export(invoices)
    return HttpResponse(content, content_type=content_type)


@login_required
def export_formats(request):
    return HttpResponse(", ".join(sorted(EXPORTERS)), content_type="text/plain")
