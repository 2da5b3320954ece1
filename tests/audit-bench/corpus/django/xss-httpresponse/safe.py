from django.http import HttpResponse
from django.utils.html import escape

from .models import Product


def product_search(request):
    term = request.GET.get("q", "")
    products = Product.objects.filter(name__icontains=term)[:25]
    items = "".join(f"<li>{escape(p.name)} - {p.price}</li>" for p in products)
    message = f"<p>Showing {len(products)} products matching <b>{escape(term)}</b></p>"
    html = message + f"<ul>{items}</ul>"
    return HttpResponse(html)
