from django.http import Http404
from django.shortcuts import render

from .models import Article


def article_list(request):
    articles = Article.objects.filter(published=True).order_by("-published_at")[:20]
    return render(request, "articles/list.html", {"articles": articles})


def article_by_slug(request):
    slug = request.GET.get("slug", "")
    articles = list(Article.objects.raw("SELECT * FROM articles_article WHERE slug = %s AND published", [slug]))
    if not articles:
        raise Http404("No such article")
    return render(request, "articles/detail.html", {"article": articles[0]})
