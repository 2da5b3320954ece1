import os

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse


@login_required
def download_export(request):
    filename = request.GET.get("file", "")
    export_dir = os.path.join(settings.MEDIA_ROOT, "exports", str(request.user.pk))
    file_path = os.path.join(export_dir, filename)
    if not os.path.isfile(file_path):
        raise Http404("Export not found")
    handle = open(file_path, "rb")  # expect: CWE-22
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(file_path))


@login_required
def list_exports(request):
    export_dir = os.path.join(settings.MEDIA_ROOT, "exports", str(request.user.pk))
    names = sorted(os.listdir(export_dir)) if os.path.isdir(export_dir) else []
    return JsonResponse({"exports": names})
