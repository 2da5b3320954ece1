from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.html import format_html


@login_required
def dashboard(request):
    name = request.GET.get("display_name") or request.user.get_full_name()
    greeting = format_html("Welcome back, <strong>{}</strong>!", name)
    context = {"greeting": greeting}
    return render(request, "dashboard.html", context)


@login_required
def settings_page(request):
    return render(request, "settings.html", {"banner": format_html("<em>{}</em>", "Settings")})
