"""Prepare a gateway home for the app's browser end-to-end test (mobile/e2e/app.e2e.test.mjs).

A small world: toy gold Delta tables (sandbox.sample_gold, catalog schemas) keyed by the pseudonyms
of the CPFs the test will register, the Feast online store materialised from them, and the fraud,
credit and recommend models trained through Feast point-in-time joins and promoted champions in
MLflow (real models, real registry). The lake, Feast and MLflow part is kept between runs (a stamp
file records the inputs); the gateway's own state (SQL database, log store, documents) is wiped on
every run, so the test always starts from no users.

    python mobile/e2e/prepare_home.py --home var/e2e/home [--customers 24]

prints one JSON line: {"home": ..., "people": [{"cpf", "phone"}, ...], "reused": bool}; the first
person has a fair score with reasons; each has its phone on record for identity proofing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

STAMP = ".e2e-ready"


def cpfs_for(n: int) -> list[str]:
    """Deterministic valid CPFs, none with all digits equal."""
    from lake.domain.identifiers import cpf_with_digits

    return [cpf_with_digits(f"{700_000_001 + 7919 * i:09d}") for i in range(n)]


def phone_of(i: int) -> str:
    """The mobile number on record for the i-th test customer (E.164)."""
    return f"+55119{70_000_000 + i}"


def write_customers(s, cpfs: list[str], key: bytes) -> None:  # noqa: ANN001
    """silver.customers rows for the test CPFs: the contacts on record that identity proofing checks
    a typed phone or e-mail against (keyed hashes only, as the pipeline writes them)."""
    from datetime import UTC, datetime

    import polars as pl

    from lake import delta
    from lake.catalog import get_table
    from lake.pseudonym import pseudonymise_one

    now = datetime(2026, 1, 2, tzinfo=UTC)
    given = {
        "customer_pk": [pseudonymise_one(c, "cpf", key=key) for c in cpfs],
        "customer_id": [f"E2E{i:04d}" for i in range(len(cpfs))],
        "source_record_id": [f"e2e-{i}" for i in range(len(cpfs))],
        "email_pk": [
            pseudonymise_one(f"cliente{i}@e2e.cofre.test", "email", key=key) for i in range(len(cpfs))
        ],
        "phone_pk": [pseudonymise_one(phone_of(i), "phone", key=key) for i in range(len(cpfs))],
        "birth_year": [1985 + i % 20 for i in range(len(cpfs))],
        "state": ["SP"] * len(cpfs),
        "created_at": [now] * len(cpfs),
        "ingested_at": [now] * len(cpfs),
    }
    cols = {}
    for c in get_table("silver.customers").columns:
        values = given.get(c.name, [None] * len(cpfs))
        cols[c.name] = pl.Series(c.name, values).cast(c.dtype)
    delta.append("silver.customers", pl.DataFrame(cols), s)


def write_gold(s, pks: list[str]) -> None:  # noqa: ANN001
    import numpy as np
    import polars as pl

    from sandbox import sample_gold as sg
    from lake import delta

    rng = np.random.default_rng(5)
    mapping = {sg.customer_pk(i): pk for i, pk in enumerate(pks)}

    def remap(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(pl.col("customer_pk").replace_strict(mapping))

    tx = sg.transaction_rows(rng, len(pks), 30)
    # labels that depend on the amount (sample_gold's are coin flips, which teaches the model nothing):
    # large amounts are mostly fraud, middle ones sometimes, everyday ones almost never, so the trained
    # screen approves a small PIX, reviews a middle one and blocks a large one
    u = rng.random(tx.height)
    amount = tx["amount_cents"].to_numpy()
    p = np.where(amount >= 400_000, 0.9, np.where(amount >= 200_000, 0.3, 0.003))
    tx = tx.with_columns(
        is_fraud=pl.Series(u < p),
        channel=pl.lit("PIX"),
        type=pl.lit("PIX"),
        credit_debit_type=pl.lit("DEBITO"),
    )
    delta.append("gold.transaction_features", remap(tx), s)
    delta.append("gold.counterparty_pairs", remap(sg.counterparty_pairs(tx)), s)
    days = [(sg.T0 - timedelta(days=k)).date() for k in range(3, 0, -1)]
    delta.append("gold.customer_day", remap(sg.customer_days(len(pks), days)), s)
    months = [(2025, m) for m in range(8, 13)] + [(2026, m) for m in range(1, 4)]
    as_of = [sg.T0.date().replace(year=y, month=m, day=1) for y, m in months]
    credit = sg.credit_rows(len(pks), as_of).with_columns(
        label_defaulted_6m=(pl.col("score_latest") < 390) | pl.col("score_latest").is_between(451, 452)
    )
    delta.append("gold.credit_features", remap(credit), s)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--customers", type=int, default=24)
    args = ap.parse_args()
    home = Path(args.home).resolve()
    os.environ["COFRE_HOME"] = str(home)
    os.environ.setdefault("COFRE_PROFILE", "embedded")
    os.environ["COFRE_FEAST_PROJECT"] = "cofre_e2e"
    t0 = time.perf_counter()
    from lake.pseudonym import pseudonymise_one
    from lake.settings import get_settings

    cpfs = cpfs_for(args.customers)
    # the lake is keyed with the installation's pseudonym key: an explicit key that changed (e.g. a
    # fresh COFRE_SECRET_KEY per CI run) makes the kept lake unusable
    explicit = f"{os.environ.get('COFRE_SECRET_KEY', '')}|{os.environ.get('COFRE_PSEUDONYM_KEY', '')}"
    inputs = json.dumps(
        {
            "cpfs": cpfs,
            "script": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
            "keys": hashlib.sha256(explicit.encode()).hexdigest(),
        }
    )
    stamp = home / STAMP
    reused = stamp.exists() and stamp.read_text() == inputs
    # the gateway's state: always from scratch
    for name in ("cofre.db", "logs.db", "documents", "sandbox"):
        p = home / name
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    if not reused:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
    # settings only now: without COFRE_SECRET_KEY the embedded profile creates the installation's
    # secrets file under the home on first use, and the gateway must find the one the lake was keyed with
    s = get_settings()
    key = s.pseudonym_key.get_secret_value().encode()
    if not reused:
        write_customers(s, cpfs, key)
        write_gold(s, [pseudonymise_one(c, "cpf", key=key) for c in cpfs])
        from sandbox import sample_gold as sg
        from features.materialize import apply_and_materialize
        from models.from_lake import train_credit, train_fraud, train_recommend

        apply_and_materialize(s, end=sg.T0 + timedelta(days=1), progress=lambda _m: None)
        train_fraud(s, show_progress=False)
        credit = train_credit(s, show_progress=False)
        train_recommend(s, credit_model=credit.model, show_progress=False)
        # the test's customer first: a fair score that comes with reasons makes the richest screens
        from serving.scoring import core

        def rank(cpf: str) -> tuple[bool, int]:
            row = core.credit_features(s, pseudonymise_one(cpf, "cpf", key=key))
            if row is None:
                return (False, -1)
            out = core.score_credit(credit.model, row)
            return (bool(out["reasons"]) and out["score"] > 300, out["score"])

        order = sorted(range(len(cpfs)), key=lambda i: rank(cpfs[i]), reverse=True)
        people = [{"cpf": cpfs[i], "phone": phone_of(i)} for i in order]
        (home / "e2e-people.json").write_text(json.dumps(people))
        stamp.write_text(inputs)
    print(f"e2e home {'reused' if reused else 'built'} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    people = json.loads((home / "e2e-people.json").read_text())
    print(json.dumps({"home": str(home), "people": people, "reused": reused}))


if __name__ == "__main__":
    main()
