"""Bronze pull of Pix received through the Pix client: ``GET /api/pix`` per day of the window.

The API is queried by period (``inicio``/``fim``), so this pull is naturally partitioned by day:
``pull_day`` reads every page of one UTC day. Each Pix is stored as received, keyed by endToEndId.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from pipelines.common.bronze import BronzeBatch, dumps, now_utc
from pipelines.sources.pix.client import API, PixClient
from pipelines.sources.timefmt import iso_millis

PAGE = 1000


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1) - timedelta(milliseconds=1)


async def pull_day(client: PixClient, day: date, out: BronzeBatch) -> None:
    inicio, fim = day_bounds(day)
    page = 0
    while True:
        rid = str(uuid.uuid4())
        body = await client.json(
            "GET",
            f"{API}/pix",
            headers={"x-request-id": rid},
            params={
                "inicio": iso_millis(inicio),
                "fim": iso_millis(fim),
                "paginacao.paginaAtual": page,
                "paginacao.itensPorPagina": PAGE,
            },
        )
        at = now_utc()
        for p in body.get("pix") or []:
            out.add((p.get("endToEndId"),), dumps(p), request_id=rid, pulled_at=at)
        page += 1
        if page >= body["parametros"]["paginacao"]["quantidadeDePaginas"]:
            return
