import json
import ssl
import urllib.parse
import urllib.request

from django.conf import settings
from django.http import JsonResponse


def weather(request):
    city = request.GET.get("city", "Paris")
    context = ssl._create_unverified_context()  # expect: CWE-295
    url = f"{settings.WEATHER_API}/current?city={urllib.parse.quote(city)}"
    with urllib.request.urlopen(url, context=context, timeout=10) as resp:
        data = json.load(resp)
    return JsonResponse({"city": city, "temperature": data["temp_c"]})
