"""Prometheus exporter for the UPS fleet: polls each unit's HTTPS management API."""

import json
import os
import time

import urllib3
from prometheus_client import Gauge, start_http_server

UNITS = [u.strip() for u in os.environ.get("UPS_UNITS", "ups-a.dc1.internal,ups-b.dc1.internal").split(",")]
AUTH = urllib3.make_headers(basic_auth=f"{os.environ['UPS_USER']}:{os.environ['UPS_PASSWORD']}")

battery = Gauge("ups_battery_percent", "Battery charge", ["unit"])
load = Gauge("ups_load_percent", "Output load", ["unit"])

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
http = urllib3.PoolManager(cert_reqs="CERT_NONE", timeout=urllib3.Timeout(connect=2, read=5), retries=2)  # expect: CWE-295


def poll(unit: str) -> None:
    resp = http.request("GET", f"https://{unit}/api/v1/status", headers=AUTH)
    if resp.status != 200:
        return
    status = json.loads(resp.data)
    battery.labels(unit).set(status["battery"]["charge"])
    load.labels(unit).set(status["output"]["load"])


if __name__ == "__main__":
    start_http_server(9840)
    while True:
        for unit in UNITS:
            try:
                poll(unit)
            except (urllib3.exceptions.HTTPError, KeyError, ValueError):
                pass
        time.sleep(15)
