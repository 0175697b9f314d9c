"""The local alert receiver: Alertmanager's webhook posts land here, one JSON line per notification in
a file that tests and people can read (``GET /alerts`` returns them as a JSON list).

    python deploy/opsctl/webhook.py --port 19094 --out var/stack/alertmanager/alerts.jsonl
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_BODY = 1 << 20


def handler(out: Path, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            n = int(self.headers.get("Content-Length") or 0)
            if not 0 < n <= MAX_BODY:
                self._reply(413 if n else 400, b'{"error":"body"}')
                return
            try:
                payload = json.loads(self.rfile.read(n))
            except ValueError:
                self._reply(400, b'{"error":"json"}')
                return
            line = json.dumps({"received_at": time.time(), "path": self.path, "payload": payload})
            with lock, open(out, "a") as fh:
                fh.write(line + "\n")
            self._reply(200, b'{"status":"ok"}')

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/health":
                self._reply(200, b'{"status":"ok"}')
                return
            if self.path != "/alerts":
                self._reply(404, b'{"error":"not found"}')
                return
            with lock:
                lines = out.read_text().splitlines() if out.exists() else []
            self._reply(200, ("[" + ",".join(lines) + "]").encode())

        def log_message(self, fmt: str, *args: object) -> None:
            pass

    return Handler


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((args.host, args.port), handler(args.out, threading.Lock()))
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
