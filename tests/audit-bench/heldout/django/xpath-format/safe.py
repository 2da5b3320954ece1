from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from lxml import etree

CATALOG = etree.parse(str(settings.BASE_DIR / "data" / "catalog.xml"))


@require_GET
def book_search(request):
    title = request.GET.get("title", "").strip()
    author = request.GET.get("author", "").strip()
    conditions = ["not(@internal='true')"]
    if title:
        conditions.append("contains(title, $title)")
    if author:
        conditions.append("author=$author")
    expression = "//book[{}]".format(" and ".join(conditions))
    books = CATALOG.xpath(expression, title=title, author=author)
    return JsonResponse({
        "results": [
            {"isbn": b.get("isbn"), "title": b.findtext("title"), "author": b.findtext("author"), "price": b.findtext("price")}
            for b in books[:50]
        ]
    })
