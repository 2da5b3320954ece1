import csv

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpResponse
from django.utils.dateparse import parse_date
from django.views import View
from django.views.generic import DetailView, ListView

from .models import Invoice


class InvoiceListView(LoginRequiredMixin, ListView):
    model = Invoice
    paginate_by = 25

    def get_queryset(self):
        return Invoice.objects.filter(company=self.request.user.company).order_by("-issued_on")


class InvoiceDetailView(LoginRequiredMixin, DetailView):
    model = Invoice

    def get_queryset(self):
        return Invoice.objects.filter(company=self.request.user.company)


class InvoiceExportView(View):  # expect: CWE-306
    """CSV of every company's invoices in a date range, for the finance team."""

    def get(self, request):  # expect: CWE-306
        start = parse_date(request.GET.get("from", "")) or parse_date("2000-01-01")
        end = parse_date(request.GET.get("to", "")) or parse_date("2100-01-01")
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="invoices.csv"'
        writer = csv.writer(response)
        writer.writerow(["number", "company", "issued_on", "total", "iban"])
        for inv in Invoice.objects.filter(issued_on__range=(start, end)).select_related("company"):
            writer.writerow([inv.number, inv.company.name, inv.issued_on, inv.total, inv.company.iban])
        return response
