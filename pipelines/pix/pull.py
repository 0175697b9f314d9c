"""Bronze pulls through the Pix client, per day of the window: ``GET /api/pix`` (Pix received, with
their refunds) and ``GET /api/cobv`` (charges with a due date).

The API is queried by period (``inicio``/``fim``), so these pulls are naturally partitioned by day:
each reads every page of one UTC day. Records are stored as received, keyed by endToEndId / txid;
a record that changed since the last pull (a refund, a payment) is a new bronze version.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import msgspec

from pipelines.common.bronze import BronzeBatch, now_utc
from pipelines.sources.pix.client import API, PixClient
from pipelines.sources.timefmt import iso_millis

PAGE = 1000  # paginacao.itensPorPagina: the spec's maximum


class _Paginacao(msgspec.Struct):
    quantidadeDePaginas: int


class _Parametros(msgspec.Struct):
    paginacao: _Paginacao


def _page_type(items: str) -> type:
    """``{"parametros": ..., <items>: [...]}`` with the items left as the JSON text received."""
    return msgspec.defstruct(
        f"_{items.capitalize()}Page",
        [("parametros", _Parametros), (items, list[msgspec.Raw] | None, None)],
    )


_PAGES = {items: msgspec.json.Decoder(_page_type(items)) for items in ("pix", "cobs")}
_KEYS = {
    key: msgspec.json.Decoder(msgspec.defstruct(f"_{key}", [(key, str | None, None)]))
    for key in ("endToEndId", "txid")
}


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1) - timedelta(milliseconds=1)


async def _pull_pages(
    client: PixClient, path: str, items: str, key: str, day: date, out: BronzeBatch
) -> None:
    inicio, fim = day_bounds(day)
    decode, key_of = _PAGES[items], _KEYS[key]
    page = 0
    while True:
        rid = str(uuid.uuid4())
        resp = await client.request(
            "GET",
            f"{API}/{path}",
            headers={"x-request-id": rid},
            params={
                "inicio": iso_millis(inicio),
                "fim": iso_millis(fim),
                "paginacao.paginaAtual": page,
                "paginacao.itensPorPagina": PAGE,
            },
        )
        if resp.status_code != 200:
            client.raise_for(resp)
        body = decode.decode(resp.content)
        at = now_utc()
        for p in getattr(body, items) or []:
            out.add((getattr(key_of.decode(p), key),), bytes(p).decode(), request_id=rid, pulled_at=at)
        page += 1
        if page >= body.parametros.paginacao.quantidadeDePaginas:
            return


async def pull_day(client: PixClient, day: date, out: BronzeBatch) -> None:
    """``GET /pix`` for one UTC day: every Pix received that day, with its refunds (devolucoes)."""
    await _pull_pages(client, "pix", "pix", "endToEndId", day, out)


async def pull_cobv_day(client: PixClient, day: date, out: BronzeBatch) -> None:
    """``GET /cobv`` for one UTC day: every charge with a due date created that day (its status,
    and the Pix that paid it, as of now)."""
    await _pull_pages(client, "cobv", "cobs", "txid", day, out)
