"""Test kit for LGPD erasure: seed a person through the whole platform, then search every store.

Used by tests/component/test_lgpd_erasure_embedded.py (embedded profile, tiny lake) and
tests/stack/test_lgpd_erasure.py (the stack: PostgreSQL, FerretDB, SeaweedFS S3).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl
from serving_kit import PASSWORD, auth, deposit, enrol_device, new_cpf, step_up, verify_identity
from sqlalchemy import create_engine, inspect, text

from lake import delta
from lake.catalog import get_table, tables
from lake.pseudonym import pseudonymise_one

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
_n = itertools.count(1)
FIRST = ["Joaquina", "Benedito", "Filomena", "Anselmo"]


def register_person(client, tag: str) -> dict:
    cpf = new_cpf()
    i = next(_n)
    name = f"{FIRST[i % len(FIRST)]} Quixabeira {tag}{i}"
    email = f"{tag}{i}.{cpf}@exemplo.com.br"
    r = client.post("/auth/register", json={"cpf": cpf, "name": name, "email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    user = r.json()
    r = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    phone = f"+551198{i:03d}{cpf[-5:]}"
    person = {
        **user,
        "cpf": cpf,
        "name": name,
        "email": email,
        "phone": phone,
        "access": r.json()["access_token"],
    }
    verify_identity(client, person)  # the lake's data about the CPF is theirs only once proven
    return person


def seed_gateway(client, admin: dict, person: dict, control: dict) -> None:
    """Phone (rectification), consents, device + step-up, PIX keys, deposits, transfers both ways,
    a document, a recorded credit decision."""
    for p in (person, control):
        r = client.patch("/lgpd/me", json={"phone": p["phone"]}, headers=auth(p["access"]))
        assert r.status_code == 200, r.text
        for purpose in ("credit_analysis", "marketing"):
            assert client.post(f"/lgpd/consents/{purpose}", headers=auth(p["access"])).status_code == 201
        r = client.post(
            "/lgpd/consents/open_finance_sharing",
            json={"external_ref": f"urn:cofre:{uuid.uuid4()}"},
            headers=auth(p["access"]),
        )
        assert r.status_code == 201
        p["of_consent"] = r.json()["external_ref"]
        stepped = step_up(client, p, enrol_device(client, p))
        keys = []
        for kt, key in (("EVP", None), ("EMAIL", p["email"])):
            body = {"key_type": kt} | ({"key": key} if key else {})
            r = client.post("/pix/keys", json=body, headers=auth(stepped))
            assert r.status_code == 201, r.text
            keys.append((kt, r.json()["key"]))
        p["pix_keys"] = keys
        deposit(client, admin, p["account_id"], 50_000)
    for payer, payee in ((person, control), (control, person)):
        r = client.post(
            "/pix/transfers",
            json={"amount_cents": 1_234, "key": payee["pix_keys"][0][1]},
            headers=auth(
                payer["access"], **{"Idempotency-Key": uuid.uuid4().hex, "X-Device-ID": "dev-" + payer["cpf"]}
            ),
        )
        assert r.status_code == 201, r.text
    for p in (person, control):
        r = client.post(
            "/documents",
            files={"file": (f"extrato-{p['cpf']}.pdf", PDF + p["name"].encode(), "application/pdf")},
            data={"kind": "statement"},
            headers=auth(p["access"]),
        )
        assert r.status_code == 201, r.text
        services = client.app.state.services
        from serving.audit.store import make_event

        services.audit.append(
            make_event(
                actor=services.pseudonym(p["id"]),
                action="decision:credit",
                resource=f"credit_application:{p['id']}",
                outcome="decline",
                model_version="credit-test-1",
                details={"reasons": ["score_latest below 400", "income_regularity low"], "probability": 0.71},
            )
        )


def identities(settings, p: dict) -> dict[str, str]:
    """Every string that must vanish for person ``p``."""
    key = settings.pseudonym_key.get_secret_value().encode()
    d = p["cpf"]
    from serving.audit.pseudonym import actor_pseudonym

    out = {
        "cpf": d,
        "cpf_formatted": f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}",
        "name": p["name"],
        "email": p["email"],
        "phone": p["phone"],
        "customer_pk": pseudonymise_one(d, "cpf", key=key),
        "email_pk": pseudonymise_one(p["email"], "email", key=key),
        "actor_pk": actor_pseudonym(key, p["id"]),
    }
    for kt, k in p["pix_keys"]:
        out[f"pix_{kt}"] = k
        out[f"pix_{kt}_pk"] = pseudonymise_one(k, "pix_key", key_type=kt, key=key)
    return out


# --- lake ----------------------------------------------------------------------------------------


def _fill(table: str, rows: list[dict]) -> pl.DataFrame:
    t = get_table(table)
    full = []
    for r in rows:
        row = {}
        for c in t.columns:
            if c.name in r:
                row[c.name] = r[c.name]
            elif c.dtype == pl.Boolean:
                row[c.name] = False
            elif c.dtype == pl.String:
                row[c.name] = None if c.nullable else "x"
            elif isinstance(c.dtype, pl.List):
                row[c.name] = ["check"]
            elif c.dtype == pl.Date:
                row[c.name] = date(2026, 3, 1)
            elif c.dtype.is_temporal():
                row[c.name] = datetime(2026, 3, 1, tzinfo=UTC)
            else:
                row[c.name] = None if c.nullable else 0
        full.append(row)
    return pl.DataFrame(full, schema=t.schema)


def seed_lake(settings, person: dict, control: dict) -> None:
    """Bronze/silver/gold/quarantine rows for both people (two appends each: >= 2 Delta versions)."""
    from sandbox import sample_gold as sg

    ip, ic = identities(settings, person), identities(settings, control)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for i, (p, ids) in enumerate(((person, ip), (control, ic))):
        other = ic if p is person else ip
        serasa = {"cpf": p["cpf"], "name": p["name"], "score": 640}
        pixrx = {
            "endToEndId": f"E0000000020260301{i}",
            "valor": "12.34",
            "chave": p["pix_keys"][0][1],
            "pagador": {"nome": other["name"], "cpf": other["cpf_formatted"]},
        }
        for table, payload, nat in (
            ("bronze.serasa_scores", serasa, {"cpf": p["cpf"], "consulted_at": now}),
            ("bronze.pix_received", pixrx, {"end_to_end_id": pixrx["endToEndId"]}),
        ):
            delta.append(
                table,
                _fill(
                    table,
                    [
                        {
                            "record_id": uuid.uuid4().hex,
                            "source": table.split(".")[1].split("_")[0],
                            "request_id": "r",
                            "pulled_at": now,
                            "ingest_date": now.date(),
                            "payload": json.dumps(payload),
                            "consent_id": p["of_consent"],
                            **nat,
                        }
                    ],
                ),
                settings,
            )
        delta.append(
            "silver.customers",
            _fill(
                "silver.customers",
                [
                    {
                        "customer_pk": ids["customer_pk"],
                        "customer_id": f"CUS{i}",
                        "email_pk": ids["email_pk"],
                        "source_record_id": "r",
                        "ingested_at": now,
                    }
                ],
            ),
            settings,
        )
        delta.append(
            "quarantine.rows",
            _fill(
                "quarantine.rows",
                [
                    {
                        "run_id": f"run-{i}",
                        "source_table": "silver.customers",
                        "row_index": 0,
                        "record_key": json.dumps({"cpf": ids["cpf"]}),
                        "reason": "bad e-mail",
                        "payload": json.dumps({"cpf": ids["cpf"], "email": p["email"]}),
                        "quarantined_at": now,
                        "quarantine_date": now.date(),
                    }
                ],
            ),
            settings,
        )
        delta.append(
            "silver.transactions",
            _fill(
                "silver.transactions",
                [
                    {
                        "transaction_id": f"tx-{i}",
                        "source": "ACCOUNT",
                        "customer_pk": ids["customer_pk"],
                        "customer_key": int(ids["customer_pk"][:15], 16),
                        "booked_at": now,
                        "booked_month": "2026-03",
                        "amount_cents": 1234,
                        "signed_amount_cents": -1234,
                        "counterparty_pk": other["pix_EVP_pk"],
                        "source_record_id": "r",
                        "ingested_at": now,
                    }
                ],
            ),
            settings,
        )
    # gold from the Feast sample generator, customers 0/1 mapped to the two people
    rng = np.random.default_rng(5)
    remap = {sg.customer_pk(0): ip["customer_pk"], sg.customer_pk(1): ic["customer_pk"]}

    def m(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(pl.col("customer_pk").replace(remap))

    tx = m(sg.transaction_rows(rng, 2, 4))
    for half in (tx.head(4), tx.tail(tx.height - 4)):
        delta.append("gold.transaction_features", half, settings)
    delta.append("gold.counterparty_pairs", sg.counterparty_pairs(tx), settings)
    days = [date(2026, 2, 27), date(2026, 2, 28)]
    delta.append("gold.customer_day", m(sg.customer_days(2, days)), settings)
    delta.append("gold.credit_features", m(sg.credit_rows(2, [date(2026, 2, 1)])), settings)


def feast_online(settings) -> None:
    from features.materialize import apply_and_materialize

    apply_and_materialize(settings, datetime(2026, 3, 5, tzinfo=UTC), progress=lambda _m: None)


def online_values(settings, customer_pk: str) -> list:
    from features.store import get_store

    out = (
        get_store(settings)
        .get_online_features(
            features=["customer_credit:score_latest", "customer_daily:tx_count"],
            entity_rows=[{"customer_pk": customer_pk}],
        )
        .to_dict()
    )
    return [out["score_latest"][0], out["tx_count"][0]]


# --- search --------------------------------------------------------------------------------------


def _hits(blob: str | bytes, needles: dict[str, str], where: str) -> list[str]:
    out = []
    for label, n in needles.items():
        if not n:
            continue
        nb = n.encode() if isinstance(blob, bytes) else n
        if nb in blob:
            out.append(f"{where}: {label}")
    return out


def search_sql(url: str, needles: dict[str, str]) -> list[str]:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    eng = create_engine(url)
    out = []
    try:
        with eng.connect() as conn:
            for t in inspect(conn).get_table_names():
                rows = conn.execute(text(f'SELECT * FROM "{t}"')).all()
                out += _hits(repr([tuple(r) for r in rows]), needles, f"sql {t}")
    finally:
        eng.dispose()
    return out


def search_audit(settings, needles: dict[str, str]) -> list[str]:
    url = str(settings.log_store_url)
    out = []
    if url.startswith("mongodb"):
        from pymongo import MongoClient

        c = MongoClient(url)
        try:
            for dbn in (settings.log_store_db, f"{settings.log_store_db}_limits"):
                for coll in c[dbn].list_collection_names():
                    docs = list(c[dbn][coll].find({}))
                    out += _hits(repr(docs), needles, f"mongo {dbn}.{coll}")
        finally:
            c.close()
        return out
    con = sqlite3.connect(url[len("sqlite:///") :])
    for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
        out += _hits(repr(con.execute(f'SELECT * FROM "{t}"').fetchall()), needles, f"logs {t}")
    con.close()
    return out


def _s3(settings):
    from urllib.parse import urlparse

    from minio import Minio

    ep = urlparse(settings.s3_endpoint)
    return Minio(
        ep.netloc,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=False,
        region=settings.s3_region,
    )


def _files(settings, uri: str) -> list[tuple[str, bytes]]:
    if uri.startswith("s3://"):
        bucket, _, prefix = uri[5:].partition("/")
        c = _s3(settings)
        out = []
        for o in c.list_objects(bucket, prefix=prefix.rstrip("/") + "/" if prefix else None, recursive=True):
            resp = c.get_object(bucket, o.object_name)
            try:
                out.append((f"s3://{bucket}/{o.object_name}", resp.read()))
            finally:
                resp.close()
                resp.release_conn()
        return out
    root = Path(uri)
    return [(str(p), p.read_bytes()) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def search_files(settings, uri: str, needles: dict[str, str]) -> tuple[list[str], int]:
    """Raw bytes of every file under ``uri``; parquet files also decoded (compressed pages)."""
    import io

    import pyarrow.parquet as pq

    out, n = [], 0
    for name, data in _files(settings, uri):
        n += 1
        out += _hits(data, needles, f"file {name}")
        if name.endswith(".parquet"):
            out += _hits(repr(pq.read_table(io.BytesIO(data)).to_pylist()), needles, f"parquet {name}")
    return out, n


def search_lake_versions(settings, needles: dict[str, str]) -> tuple[list[str], int]:
    """Every loadable version of every table (time travel)."""
    out, n = [], 0
    for t in tables():
        if not delta.exists(t, settings):
            continue
        for v in range(delta.version(t, settings) + 1):
            try:
                df = delta.read(t, version=v, settings=settings)
            except Exception:  # noqa: BLE001 - versions whose log was cleaned up cannot be loaded
                continue
            n += 1
            out += _hits(repr(df.to_dicts()), needles, f"lake {t.name}@v{v}")
    return out, n


def search_feast(settings, needles: dict[str, str]) -> list[str]:
    url = str(settings.feast_online_url)
    if url.startswith("sqlite"):
        p = Path(url[len("sqlite:///") :])
        return _hits(p.read_bytes(), needles, "feast sqlite file") if p.exists() else []
    from features.erasure import _pg_connect, _tables_pg

    out = []
    with _pg_connect(url) as conn, conn.cursor() as cur:
        for t in _tables_pg(cur, settings.feast_project):
            cur.execute(f'SELECT entity_key, feature_name, value FROM "{t}"')
            out += _hits(
                b"".join(bytes(a) + b.encode() + bytes(c or b"") for a, b, c in cur.fetchall()),
                needles,
                f"feast pg {t}",
            )
    return out


def search_everything(settings, needles: dict[str, str]) -> dict:
    hits: list[str] = []
    hits += search_sql(str(settings.database_url), needles)
    hits += search_audit(settings, needles)
    doc_hits, n_docs = search_files(settings, str(settings.documents_uri), needles)
    lake_hits, n_lake_files = search_files(settings, str(settings.lake_uri), needles)
    ver_hits, n_versions = search_lake_versions(settings, needles)
    hits += doc_hits + lake_hits + ver_hits + search_feast(settings, needles)
    return {"hits": hits, "documents": n_docs, "lake_files": n_lake_files, "lake_versions": n_versions}
