import json

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from .models import Invoice


@login_required
@require_GET
def invoice_detail(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk, customer__owner=request.user)
    return JsonResponse({"id": invoice.pk, "total": str(invoice.total), "status": invoice.status})


@login_required
@require_POST
def create_invoice(request):
    payload = json.loads(request.body)
    invoice = Invoice.objects.create(customer_id=payload["customer"], total=payload["total"], status="draft")
    return JsonResponse({"id": invoice.pk}, status=201)


@login_required
@require_POST
def mark_invoice_paid(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk, customer__owner=request.user)
    invoice.status = "paid"
    invoice.save(update_fields=["status"])
    return JsonResponse({"id": invoice.pk, "status": invoice.status})
