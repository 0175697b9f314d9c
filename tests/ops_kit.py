"""Helpers of the operations tests: free loopback ports and an ASGI app under uvicorn in a thread."""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """``app`` under uvicorn on 127.0.0.1:``port`` in a daemon thread (a context manager: the base URL).

    The socket is bound and listening before the server thread starts (as in ``uvicorn_kit.serve``),
    so a client, or a Prometheus told this port in advance, can connect at once: no start-up polling."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port or 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> str:
        self.sock.listen(128)
        self.thread.start()
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()
