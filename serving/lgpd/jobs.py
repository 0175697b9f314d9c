"""LGPD access exports built in the background, one at a time, and kept until they expire.

An access request is ``received`` when opened; :class:`ExportJobs` claims it (``in_progress``,
an atomic status change, so two gateway processes never build the same archive), builds the ZIP
(:func:`serving.lgpd.export.build_zip`), stores it in the document store under
``lgpd-exports/<user>/<request>.zip`` and marks the request ``done`` with the download link and the
expiry (``lgpd_export_ttl_s``). Downloads serve the stored archive (no rebuild); an expired one
answers 410 and a new request builds a fresh one. One worker thread per gateway process: an export
reads every personal-data table, and several at once starved the request path.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from serving.lgpd import registry as consents
from serving.lgpd.registry import data_subject_requests as dsr
from serving.services import Services


def archive_key(user_id: int, request_id: int) -> str:
    return f"lgpd-exports/{user_id}/{request_id}.zip"


class ExportJobs:
    def __init__(
        self, services: Services, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.services = services
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lgpd-export")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    def submit(self, request_id: int) -> None:
        fut = self._pool.submit(self.run, request_id)
        with self._lock:
            self._pending.add(fut)
        fut.add_done_callback(self._forget)

    def _forget(self, fut: Future[None]) -> None:
        with self._lock:
            self._pending.discard(fut)

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until every submitted export has finished (tests, CLI, shutdown)."""
        with self._lock:
            pending = list(self._pending)
        for fut in pending:
            fut.result(timeout)

    def resume(self) -> int:
        """Submit every access request left ``received`` (e.g. by a restart); returns how many."""
        with self.services.engine.connect() as conn:
            ids = [
                r
                for (r,) in conn.execute(
                    select(dsr.c.id).where(dsr.c.kind == "access", dsr.c.status == "received")
                )
            ]
        for rid in ids:
            self.submit(rid)
        return len(ids)

    def _claim(self, request_id: int) -> dict[str, Any] | None:
        with self.services.engine.begin() as conn:
            claimed = conn.execute(
                update(dsr)
                .where(dsr.c.id == request_id, dsr.c.kind == "access", dsr.c.status == "received")
                .values(status="in_progress", updated_at=self._clock())
            ).rowcount
            return consents.get_request(conn, request_id) if claimed == 1 else None

    def run(self, request_id: int) -> None:
        from serving.lgpd import export
        from serving.lgpd.subject import load_subject

        r = self._claim(request_id)
        if r is None:
            return
        s = self.services
        try:
            with s.sessions() as db:
                subj = load_subject(s, db, r["user_id"])
                if subj is None:  # erased meanwhile: nothing of theirs left to export
                    raise LookupError(f"user {r['user_id']} no longer exists")
                data = export.build_zip(s, db, subj)
            s.documents.put(archive_key(r["user_id"], request_id), data, "application/zip")
            expires = self._clock() + timedelta(seconds=s.settings.lgpd_export_ttl_s)
            result = {
                "download": f"/lgpd/requests/{request_id}/export",
                "expires_at": expires.isoformat(),
                "size_bytes": len(data),
            }
            status = "done"
        except Exception as exc:  # noqa: BLE001 - the request must not stay in_progress forever
            result, status = {"error": type(exc).__name__}, "received"
        with s.engine.begin() as conn:
            consents.set_status(conn, request_id, status, json.dumps(result))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
