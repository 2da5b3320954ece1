import subprocess

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse


@staff_member_required
def repo_history(request):
    count = request.GET.get("count", "20")
    path = request.GET.get("path", ".")
    output = subprocess.check_output(["git", "log", "--oneline", "-n", str(int(count)), "--", path], cwd=settings.REPO_DIR, text=True)
    return JsonResponse({"commits": output.splitlines()})


@staff_member_required
def repo_branch(request):
    branch = subprocess.check_output(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=settings.REPO_DIR, text=True)
    return JsonResponse({"branch": branch.strip()})
