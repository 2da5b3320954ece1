import os

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse


@login_required
def download_export(request):
    filename = request.GET.get("file", "")
    export_dir = os.path.join(settings.MEDIA_ROOT, "exports", str(request.user.pk))
    file_path = os.path.realpath(os.path.join(export_dir, os.path.basename(filename)))
    if not file_path.startswith(os.path.realpath(export_dir) + os.sep) or not os.path.isfile(file_path):
        raise Http404("Export not found")
    handle = open(file_path, "rb")
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(file_path))


@login_required
def list_exports(request):
    export_dir = os.path.join(settings.MEDIA_ROOT, "exports", str(request.user.pk))
    names = sorted(os.listdir(export_dir)) if os.path.isdir(export_dir) else []
    return JsonResponse({"exports": names})
