import requests
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse

_session = None


def erp_session():
    """One pooled session for the internal ERP API (served with our corporate CA's certificate)."""
    global _session
    if _session is None:
        _session = requests.Session()
        _session.headers["Authorization"] = f"Bearer {settings.ERP_API_TOKEN}"
        _session.verify = settings.ERP_CA_BUNDLE
    return _session


@login_required
def stock_levels(request, sku):
    resp = erp_session().get(f"{settings.ERP_BASE_URL}/api/v2/stock/{sku}", timeout=5)
    if resp.status_code == 404:
        return JsonResponse({"error": "unknown sku"}, status=404)
    resp.raise_for_status()
    data = resp.json()
    return JsonResponse({"sku": sku, "on_hand": data["onHand"], "reserved": data["reserved"]})
