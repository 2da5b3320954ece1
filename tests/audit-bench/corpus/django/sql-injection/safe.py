from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse

POST_COLUMNS = "id, title, slug, created_at"


@login_required
def recent_posts(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, title FROM blog_post ORDER BY created_at DESC LIMIT 10")
        rows = cursor.fetchall()
    return JsonResponse({"posts": [{"id": r[0], "title": r[1]} for r in rows]})


@login_required
def search_posts(request):
    q = request.GET.get("q", "").strip()
    where = "title ILIKE %s"
    sql = f"SELECT {POST_COLUMNS} FROM blog_post WHERE {where} ORDER BY created_at DESC"
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"%{q}%"])
        rows = cursor.fetchall()
    return JsonResponse({"posts": [{"id": r[0], "title": r[1], "slug": r[2]} for r in rows]})
