import secrets

from django.contrib.auth import authenticate, login
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from .models import RememberToken


@require_POST
def login_view(request):
    user = authenticate(request, username=request.POST["username"], password=request.POST["password"])
    if user is None:
        return JsonResponse({"error": "invalid credentials"}, status=401)
    login(request, user)
    response = JsonResponse({"ok": True})
    if request.POST.get("remember"):
        token = secrets.token_urlsafe(32)
        RememberToken.objects.create(user=user, token=token)
        response.set_cookie("remember_me", token, max_age=30 * 24 * 3600, secure=False, httponly=False)  # expect: CWE-614
    return response
