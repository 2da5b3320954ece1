import os

import boto3

BUCKET = os.environ.get("BACKUP_BUCKET", "acme-db-backups")

s3 = boto3.client(
    "s3",
    region_name="eu-west-1",
    aws_access_key_id="AKIAQZ5FAKEBENCH7XYZ",  # expect: CWE-798
    aws_secret_access_key="wJalrFAKEbenchK7MDENG/bPxRfiCYFAKEKEY0aQ",  # expect: CWE-798
)


def upload_backup(path: str) -> str:
    key = f"nightly/{os.path.basename(path)}"
    s3.upload_file(path, BUCKET, key)
    return f"s3://{BUCKET}/{key}"
