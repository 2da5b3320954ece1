import ldap
import ldap.filter
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse


@login_required
def directory_lookup(request):
    email = request.GET.get("email", "")
    wanted = ldap.filter.escape_filter_chars(email.strip())
    conn = ldap.initialize(settings.LDAP_URL)
    conn.simple_bind_s(settings.LDAP_BIND_DN, settings.LDAP_BIND_PASSWORD)
    query = "(&(objectClass=person)(mail=" + wanted + "))"
    results = conn.search_s(settings.LDAP_BASE_DN, ldap.SCOPE_SUBTREE, query, ["cn", "telephoneNumber"])
    people = [{"cn": attrs["cn"][0].decode(), "dn": dn} for dn, attrs in results if dn]
    return JsonResponse({"people": people})
