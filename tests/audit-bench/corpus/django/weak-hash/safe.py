import os

from django.contrib.auth.hashers import make_password

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from .models import Member


def hash_password(password, salt):
    return make_password(password, salt)


@require_POST
def signup(request):
    salt = os.urandom(8).hex()
    member = Member.objects.create(
        email=request.POST["email"],
        salt=salt,
        password_hash=hash_password(request.POST["password"], salt),
    )
    return JsonResponse({"id": member.pk}, status=201)


@require_POST
def check_password(request):
    member = Member.objects.filter(email=request.POST["email"]).first()
    ok = member is not None and hash_password(request.POST["password"], member.salt) == member.password_hash
    return JsonResponse({"ok": ok})
