import os

import boto3

BUCKET = os.environ.get("BACKUP_BUCKET", "acme-db-backups")

s3 = boto3.client(
    "s3",
    region_name="eu-west-1",
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
)


def upload_backup(path: str) -> str:
    key = f"nightly/{os.path.basename(path)}"
    s3.upload_file(path, BUCKET, key)
    return f"s3://{BUCKET}/{key}"
