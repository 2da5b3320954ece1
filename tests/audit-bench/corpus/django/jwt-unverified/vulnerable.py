import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import JsonResponse


def user_from_token(request):
    header = request.headers.get("Authorization", "")
    token = header.split(" ", 1)[1] if header.startswith("Bearer ") else ""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})  # expect: CWE-347
    except jwt.InvalidTokenError:
        return None
    return get_user_model().objects.filter(pk=claims.get("user_id")).first()


def profile(request):
    user = user_from_token(request)
    if user is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    return JsonResponse({"username": user.username, "email": user.email})


def token_settings(request):
    return JsonResponse({"issuer": settings.JWT_ISSUER})
