from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.safestring import mark_safe


@login_required
def dashboard(request):
    name = request.GET.get("display_name") or request.user.get_full_name()
    greeting = f"Welcome back, <strong>{name}</strong>!"
    context = {"greeting": mark_safe(greeting)}  # expect: CWE-79
    return render(request, "dashboard.html", context)


@login_required
def settings_page(request):
    return render(request, "settings.html", {"banner": format_html("<em>{}</em>", "Settings")})
