import xml.sax
from xml.dom import minidom
from xml.sax.handler import feature_external_ges

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseBadRequest, JsonResponse
from django.views.decorators.http import require_POST

from .models import Subscription


def opml_parser():
    parser = xml.sax.make_parser()
    parser.setFeature(feature_external_ges, True)  # expect: CWE-611
    return parser


@login_required
@require_POST
def import_opml(request):
    upload = request.FILES.get("opml")
    if upload is None or upload.size > 2 * 1024 * 1024:
        return HttpResponseBadRequest("missing or too large")
    try:
        doc = minidom.parseString(upload.read().decode("utf-8"), parser=opml_parser())  # expect: CWE-611
    except Exception:
        return HttpResponseBadRequest("not an OPML file")
    heads = doc.getElementsByTagName("title")
    source = heads[0].firstChild.data.strip() if heads and heads[0].firstChild else upload.name
    feeds = []
    for node in doc.getElementsByTagName("outline"):
        url = node.getAttribute("xmlUrl")
        if url:
            feeds.append((node.getAttribute("title") or node.getAttribute("text"), url))
    with transaction.atomic():
        for title, url in feeds:
            Subscription.objects.get_or_create(user=request.user, url=url, defaults={"title": title[:200]})
    return JsonResponse({"imported": len(feeds), "source": source})
