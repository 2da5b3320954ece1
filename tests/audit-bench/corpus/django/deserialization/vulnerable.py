import yaml
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from .models import Board


@login_required
@require_POST
def restore_board(request):
    upload = request.FILES["backup"]
    raw = upload.read().decode("utf-8")
    data = yaml.unsafe_load(raw)  # expect: CWE-502
    board = Board.objects.create(owner=request.user, title=data["title"])
    for column in data.get("columns", []):
        board.columns.create(name=column["name"], position=column["position"])
    return JsonResponse({"id": board.pk, "columns": board.columns.count()})
