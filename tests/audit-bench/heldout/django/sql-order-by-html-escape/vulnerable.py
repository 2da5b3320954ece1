from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.utils.html import escape

PAGE_SIZE = 50


@login_required
def ticket_report(request):
    sort = escape(request.GET.get("sort", "created_at"))
    direction = "DESC" if request.GET.get("dir") == "desc" else "ASC"
    page = max(int(request.GET.get("page", 1)), 1)
    with connection.cursor() as cursor:
        cursor.execute(  # expect: CWE-89
            "SELECT id, title, status, created_at FROM helpdesk_ticket WHERE owner_id = %s ORDER BY " + sort + " " + direction + " LIMIT %s OFFSET %s",  # expect: CWE-89
            [request.user.id, PAGE_SIZE, (page - 1) * PAGE_SIZE],
        )
        columns = [col[0] for col in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return JsonResponse({"page": page, "tickets": rows})
