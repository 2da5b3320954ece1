import json

import jsonpickle
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from .models import Dashboard


@login_required
def export_dashboard(request, pk):
    dashboard = get_object_or_404(Dashboard, pk=pk, owner=request.user)
    payload = jsonpickle.encode({"title": dashboard.title, "widgets": dashboard.widgets}, unpicklable=False)
    response = HttpResponse(payload, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{dashboard.pk}.json"'
    return response


@login_required
@require_POST
def import_dashboard(request):
    upload = request.FILES.get("dashboard")
    if upload is None:
        return HttpResponseBadRequest("no file")
    layout = json.loads(upload.read().decode("utf-8"))
    if not isinstance(layout, dict) or "widgets" not in layout:
        return HttpResponseBadRequest("not a dashboard export")
    dashboard = Dashboard.objects.create(owner=request.user, title=layout.get("title", "Imported"), widgets=layout["widgets"])
    return JsonResponse({"id": dashboard.pk}, status=201)
