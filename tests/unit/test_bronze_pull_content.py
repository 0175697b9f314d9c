"""The bronze pulls' content: the faster path (msgspec pages, raw item text, one-call record ids,
msgspec-rendered sandbox pages) stores exactly what the straightforward path stored.

References, each independent of the code under test: the sandbox serialisers applied to the world
rows and dumped with the canonical ``json.dumps`` (Open Finance transactions), the Pix pages read
through the client's generic ``json()`` and dumped the same way, the record id computed by feeding
sha256 field by field, and Starlette's own ``JSONResponse`` for the page bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from fixtures_world import make_world
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from lake.settings import load_settings
from pipelines.common.bronze import BronzeBatch, dumps, record_ids
from pipelines.common.parallel import run_pool
from pipelines.open_finance.pull import OpenFinancePull, RawOpenFinanceClient, pull_customer, window
from pipelines.pix.pull import PAGE, day_bounds, pull_day
from pipelines.sources.pix.client import API, PixClient
from pipelines.sources.timefmt import iso_millis, iso_seconds
from sandbox.faults import FaultPlan
from sandbox.json_response import CompactJSONResponse
from sandbox.open_finance import serialize as ser
from sandbox.open_finance.server import create_app as of_app
from sandbox.pix.server import create_app as pix_app
from sandbox.world_index import WorldIndex


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=12, seed=23)


@pytest.fixture(scope="module")
def index(world):
    return WorldIndex(world)


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path)


def _reference_record_id(source: str, key: tuple, payload: str) -> str:
    h = hashlib.sha256(source.encode())
    for k in key:
        h.update(b"|")
        h.update(str(k).encode())
    h.update(b"|")
    h.update(payload.encode())
    return h.hexdigest()


def _pull_open_finance(index, settings, **client_kw) -> tuple[OpenFinancePull, list]:
    app = of_app(index, settings, **client_kw.pop("app_kw", {}))
    clients: list[RawOpenFinanceClient] = []

    def make() -> RawOpenFinanceClient:
        client = RawOpenFinanceClient.from_settings(settings, app=app, **client_kw)
        clients.append(client)
        return client

    out = OpenFinancePull()
    cpfs = sorted(index.customer_by_cpf)
    run_pool(cpfs, make, lambda c, cpf: pull_customer(c, cpf, index.today, out), threads=1, concurrency=4)
    return out, clients


def _expected_transactions(index) -> tuple[set, set]:
    start, end = window(index.today)
    accounts, cards = set(), set()
    for account_id, rows in index.tx_by_account.items():
        for t in rows:
            if start <= t["booked_at"].date() <= end:
                accounts.add((account_id, t["transaction_id"], dumps(ser.account_transaction(t))))
    for card_id, rows in index.tx_by_card.items():
        for t in rows:
            if start <= t["booked_at"].date() <= end:
                cards.add((card_id, t["transaction_id"], dumps(ser.card_transaction(t, card_id))))
    return accounts, cards


def _rows(batch: BronzeBatch) -> set:
    return {(*key, payload) for key, payload, *_ in batch.rows}


def test_open_finance_bronze_holds_the_serialised_world_canonically(index, settings):
    """Every account and card transaction of the 12-month window, each payload the canonical JSON of
    the sandbox's serialisation of the world row, keyed by account/card and transaction id; every
    table's payloads canonical, record ids as the field-by-field sha256 gives them."""
    out, _ = _pull_open_finance(index, settings)
    accounts, cards = _expected_transactions(index)
    assert len(accounts) > 200 and len(cards) > 20  # the world exercises both
    assert _rows(out.transactions) == accounts and len(out.transactions.rows) == len(accounts)
    assert _rows(out.card_transactions) == cards and len(out.card_transactions.rows) == len(cards)
    assert not out.errors
    for table, batch in out.batches().items():
        frame = batch.frame()
        assert frame.height == len(batch.rows), table
        for _key, payload, *_ in batch.rows:
            assert payload == dumps(json.loads(payload)), table
        expected = [_reference_record_id(batch.source, k, p) for k, p, *_ in batch.rows]
        assert sorted(frame.get_column("record_id").to_list()) == sorted(expected), table


def test_open_finance_raw_pages_follow_links_and_honour_retry_after(index, settings):
    """Small pages (many links.next) and a sandbox answering 429 + Retry-After / 503 to a fifth of
    the requests: the same rows, and every retry waited at least the Retry-After the sandbox sent."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    RawOpenFinanceClient.page_size, saved = 7, RawOpenFinanceClient.page_size
    try:
        plan = FaultPlan(rate=0.2, seed=5, retry_after_s=2)
        out, clients = _pull_open_finance(index, settings, sleep=sleep, app_kw={"faults": plan})
    finally:
        RawOpenFinanceClient.page_size = saved
    accounts, cards = _expected_transactions(index)
    assert _rows(out.transactions) == accounts and _rows(out.card_transactions) == cards
    retries = sum(c.retries for c in clients)
    assert plan.injected > 10 and retries == plan.injected
    slept = sorted(s for c in clients for s in c.sleeps)
    assert waits and sorted(waits) == slept
    assert sum(1 for s in slept if s >= 2.0) >= plan.injected // 2  # the 429s' Retry-After, at least


def test_pix_bronze_equals_the_pages_read_with_the_stdlib_decoder(index, settings):
    """``pull_day`` (msgspec, raw items) stores what ``client.json`` + ``json.dumps`` of each item gives,
    for every day of the year, with one page per day or with pages of 3 items."""
    app = pix_app(index, settings)
    days = [index.today - timedelta(days=i) for i in range(366)]

    async def reference(client: PixClient, day, page_size: int) -> set:
        inicio, fim = day_bounds(day)
        rows, page = set(), 0
        while True:
            body = await client.json(
                "GET",
                f"{API}/pix",
                params={
                    "inicio": iso_millis(inicio),
                    "fim": iso_millis(fim),
                    "paginacao.paginaAtual": page,
                    "paginacao.itensPorPagina": page_size,
                },
            )
            rows |= {(p.get("endToEndId"), dumps(p)) for p in body.get("pix") or []}
            page += 1
            if page >= body["parametros"]["paginacao"]["quantidadeDePaginas"]:
                return rows

    async def scenario(page_size: int) -> tuple[set, set]:
        import pipelines.pix.pull as pix_pull

        async with PixClient.from_settings(settings, app=app) as client:
            expected: set = set()
            for d in days:
                expected |= await reference(client, d, PAGE)
            saved, pix_pull.PAGE = pix_pull.PAGE, page_size
            try:
                batch = BronzeBatch("bronze.pix_received", "pix")
                for d in days:
                    await pull_day(client, d, batch)
            finally:
                pix_pull.PAGE = saved
        return expected, _rows(batch)

    for page_size in (PAGE, 3):
        expected, got = asyncio.run(scenario(page_size))
        assert len(expected) > 20 and got == expected


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@hsettings(max_examples=100, deadline=None)
@given(body=st.dictionaries(st.text(max_size=8), _JSON, max_size=5))
def test_compact_response_renders_the_bytes_of_starlettes(body):
    """The sandboxes' msgspec-rendered pages are byte for byte Starlette's JSONResponse (no floats in
    these bodies: amounts are strings)."""
    expected = JSONResponse(body).body
    assert CompactJSONResponse(body).body == expected


@hsettings(max_examples=100, deadline=None)
@given(
    source=st.text(max_size=6),
    rows=st.lists(
        st.tuples(st.lists(st.text(max_size=6) | st.integers(), max_size=3), st.text(max_size=20)),
        max_size=5,
    ),
)
def test_record_ids_are_the_field_by_field_sha256(source, rows):
    keys = [tuple(k) for k, _ in rows]
    payloads = [p for _, p in rows]
    expected = [_reference_record_id(source, k, p) for k, p in zip(keys, payloads, strict=True)]
    assert record_ids(source, keys, payloads) == expected


def _reference_iso(ts: datetime, millis: bool) -> str:
    t = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return text + (f".{t.microsecond // 1000:03d}Z" if millis else "Z")


@hsettings(max_examples=200, deadline=None)
@given(
    ts=st.datetimes(
        # naive bounds (hypothesis' API), a day inside the representable range so any zone converts
        min_value=datetime(1, 1, 2, tzinfo=UTC).replace(tzinfo=None),
        max_value=datetime(9999, 12, 30, tzinfo=UTC).replace(tzinfo=None),
        timezones=st.none() | st.just(UTC) | st.timezones(),
    )
)
def test_timestamps_keep_their_wire_format(ts):
    """``iso_seconds``/``iso_millis`` (isoformat based) give the field-by-field format: 4-digit year,
    UTC, milliseconds truncated."""
    assert iso_seconds(ts) == _reference_iso(ts, millis=False)
    assert iso_millis(ts) == _reference_iso(ts, millis=True)
