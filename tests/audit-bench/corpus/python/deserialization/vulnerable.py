import logging
import os
import pickle

import redis

from .jobs import run_job

log = logging.getLogger("worker")
QUEUE = "jobs:pending"


def main():
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0"))
    log.info("waiting for jobs on %s", QUEUE)
    while True:
        _, payload = client.blpop(QUEUE)
        job = pickle.loads(payload)  # expect: CWE-502
        try:
            run_job(job["name"], job.get("args", {}))
        except Exception:
            log.exception("job %s failed", job.get("name"))


if __name__ == "__main__":
    main()
