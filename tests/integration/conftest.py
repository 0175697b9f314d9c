"""Fixtures for integration tests against the local stack (``make stack-up``) or real servers via COFRE_*.

``stack_settings`` is ``load_settings(profile="stack")``. Nothing is skipped: when a server the settings
point at does not answer, every test using the fixture FAILS with a message naming the server and the
command that starts the stack.

The stack profile needs an explicit ``COFRE_SECRET_KEY``: ``deploy/run-tests.sh`` exports it; when the
tests are run by hand after ``deploy/stack.sh up``, the stack's own (``$COFRE_HOME/stack/secrets.env``,
written by ``up``) is put into the environment here.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlparse

import pytest

from lake.settings import Settings, load_settings


def _stack_secrets() -> None:
    if os.environ.get("COFRE_SECRET_KEY"):
        return
    path = load_settings(profile="stack").home / "stack" / "secrets.env"
    if not path.exists():
        return  # the fixtures below fail with a message saying how to start the stack
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name == "COFRE_SECRET_KEY":
            os.environ[name] = value


_stack_secrets()


def _endpoints(s: Settings) -> dict[str, tuple[str, int]]:
    db = urlparse(s.database_url)
    mongo = urlparse(s.log_store_url)
    s3 = urlparse(s.s3_endpoint)
    return {
        f"PostgreSQL ({s.database_url})": (db.hostname or "127.0.0.1", db.port or 5432),
        f"MongoDB/FerretDB ({s.log_store_url})": (mongo.hostname or "127.0.0.1", mongo.port or 27017),
        f"S3/SeaweedFS ({s.s3_endpoint})": (
            s3.hostname or "127.0.0.1",
            s3.port or (443 if s3.scheme == "https" else 80),
        ),
    }


def _unreachable(s: Settings) -> list[str]:
    down = []
    for what, (host, port) in _endpoints(s).items():
        try:
            with socket.create_connection((host, port), timeout=2):
                pass
        except OSError as exc:
            down.append(f"{what}: {exc}")
    return down


@pytest.fixture(scope="session")
def _stack_checked() -> Settings:
    s = load_settings(profile="stack")
    down = _unreachable(s)
    if down:
        pytest.fail(
            "local stack not reachable (start it with `make stack-up`, or point COFRE_* at real servers):\n  "
            + "\n  ".join(down),
            pytrace=False,
        )
    return s


@pytest.fixture
def stack_settings(_stack_checked: Settings) -> Settings:
    """Settings of the ``stack`` profile, after checking that every server answers on its port."""
    return _stack_checked


@pytest.fixture
def unique() -> str:
    """A short unique suffix so that repeated runs never collide on table, collection or object names."""
    return uuid.uuid4().hex[:10]
