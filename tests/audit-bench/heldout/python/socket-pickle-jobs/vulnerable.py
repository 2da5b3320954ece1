"""Render worker: the web app sends render jobs over TCP (4-byte length prefix + payload)."""

import logging
import pickle
import socketserver
import struct

from renderer import render_report

log = logging.getLogger("render-worker")
HEADER = struct.Struct("!I")
MAX_JOB = 1024 * 1024


class JobHandler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            header = self.rfile.read(HEADER.size)
            if len(header) < HEADER.size:
                return
            (length,) = HEADER.unpack(header)
            if length > MAX_JOB:
                log.warning("job from %s too large (%d bytes)", self.client_address[0], length)
                return
            job = pickle.loads(self.rfile.read(length))  # expect: CWE-502
            log.info("rendering %s for %s", job["report"], job["user_id"])
            path = render_report(job["report"], job.get("params", {}), job["user_id"])
            reply = path.encode()
            self.wfile.write(HEADER.pack(len(reply)) + reply)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    with Server(("0.0.0.0", 9400), JobHandler) as server:
        server.serve_forever()
