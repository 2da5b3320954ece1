import random
import secrets

from django.core.mail import send_mail
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from .models import LoginCode, Product


def featured_products(request):
    products = list(Product.objects.filter(featured=True)[:12])
    random.shuffle(products)
    return JsonResponse({"products": [p.name for p in products[:4]]})


@require_POST
def send_login_code(request):
    email = request.POST["email"]
    code = str(100000 + secrets.randbelow(900000))
    LoginCode.objects.create(email=email, code=code)
    send_mail("Your login code", f"Your code is {code}", "no-reply@example.com", [email])
    return JsonResponse({"sent": True})
