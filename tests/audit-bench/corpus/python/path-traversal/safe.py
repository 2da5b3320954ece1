import os
import tarfile
import tempfile

from .storage import download_upload, publish_site

SITES_DIR = os.environ.get("SITES_DIR", "/srv/sites")


def deploy_site(site_id: str, upload_key: str) -> str:
    archive_path = download_upload(upload_key)
    destination = tempfile.mkdtemp(prefix=f"site-{site_id}-", dir=SITES_DIR)
    with tarfile.open(archive_path, "r:gz") as archive:
        archive.extractall(destination, filter="data")
    publish_site(site_id, destination)
    return destination
