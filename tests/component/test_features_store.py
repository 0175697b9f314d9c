"""Feast over gold Delta: config per profile, Delta-correct offline/online serving, point-in-time joins,
on-demand features, reproducible training sets, and the `feast` CLI on the rendered config.

Real Delta tables in a temporary COFRE_HOME, a real Feast registry and SQLite online store.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from lake import delta
from lake.settings import load_settings
from sandbox import sample_gold as sg

UTC = UTC


def QUIET(_m):
    return None


@pytest.fixture(scope="session")
def feast_mods():
    """Import feast once per session (5-10 s)."""
    importlib.import_module("feast")  # import once (seconds)

    from features import definitions, materialize, store, training_sets

    return {
        "materialize": materialize,
        "store": store,
        "training_sets": training_sets,
        "definitions": definitions,
    }


@pytest.fixture
def world(tmp_path, feast_mods):
    s = load_settings(
        home=tmp_path / "home", feast_project=f"t{os.getpid()}_{tmp_path.name[-8:]}".replace("-", "_")
    )
    data = sg.write_gold(s, np.random.default_rng(11), n_customers=5, per_customer=6)
    feast_mods["materialize"].apply(s, progress=QUIET)
    return s, data["tx"]


def _hist(s, entity: pd.DataFrame, features, versions=None) -> pd.DataFrame:
    from features.store import get_store

    st = get_store(s, versions=versions)
    if isinstance(features, str):
        features = st.get_feature_service(features)
    return st.get_historical_features(entity_df=entity, features=features).to_df()


def _latest_before(tx: pl.DataFrame, cpk: str, ts: datetime) -> dict | None:
    rows = tx.filter((pl.col("customer_pk") == cpk) & (pl.col("booked_at") <= ts)).sort("booked_at")
    return rows.row(-1, named=True) if rows.height else None


# --- configuration ------------------------------------------------------------------------------


def test_config_follows_the_profile(tmp_path):
    from features.store import config_dict, render_config

    emb = config_dict(load_settings(home=tmp_path))
    assert emb["online_store"] == {"type": "sqlite", "path": str(tmp_path / "feast" / "online.db")}
    assert emb["registry"]["registry_type"] == "file"
    assert emb["registry"]["path"] == str(tmp_path / "feast" / "registry.db")
    assert emb["offline_store"] == {
        "type": "features.delta_source.DeltaOfflineStore",
        "lake_uri": str(tmp_path / "lake"),
    }

    stack = config_dict(load_settings(home=tmp_path, profile="stack"))
    on = stack["online_store"]
    assert (on["type"], on["host"], on["port"], on["database"], on["user"], on["password"]) == (
        "postgres",
        "127.0.0.1",
        55432,
        "feast",
        "postgres",
        "",
    )
    assert stack["registry"]["registry_type"] == "sql"
    assert stack["registry"]["path"] == "postgresql+psycopg://postgres@127.0.0.1:55432/feast"
    assert stack["offline_store"]["lake_uri"] == "s3://lake/lake"
    assert "cofre-dev-secret" not in str(stack)  # S3 secrets never go into feature_store.yaml

    import yaml

    out = render_config(load_settings(home=tmp_path), tmp_path / "fs.yaml")
    assert yaml.safe_load(out.read_text()) == emb


def test_feast_cli_plan_on_rendered_config(tmp_path):
    from features.store import render_config

    s = load_settings(home=tmp_path / "home", feast_project="cli_plan")
    cfg_dir = tmp_path / "cfg"
    cfg_dir.mkdir()
    render_config(s, cfg_dir / "feature_store.yaml")
    feast = Path(sys.executable).parent / "feast"
    repo = Path(s.feast_repo)
    env = {**os.environ, "COFRE_HOME": str(tmp_path / "home"), "COFRE_FEAST_PROJECT": "cli_plan"}
    res = subprocess.run(
        [str(feast), "-c", str(repo), "-f", str(cfg_dir / "feature_store.yaml"), "plan"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    for name in (
        "customer_transactions",
        "known_counterparties",
        "fraud_request_features",
        "fraud_v1",
        "credit_v1",
    ):
        assert name in res.stdout


# --- the Delta log is honoured ------------------------------------------------------------------


def test_offline_serves_neither_deleted_nor_stale_updated_rows(world):
    s, tx = world
    c0, c1 = sg.customer_pk(0), sg.customer_pk(1)
    when = sg.T0 + timedelta(days=2)
    entity = pd.DataFrame({"customer_pk": [c0, c1], "event_timestamp": [when, when]})
    feats = ["customer_transactions:max_amount_cents_30d", "customer_transactions:tx_count_30d"]
    before = _hist(s, entity, feats).set_index("customer_pk")
    last0, last1 = _latest_before(tx, c0, when), _latest_before(tx, c1, when)
    assert before.loc[c0, "tx_count_30d"] == last0["tx_count_30d"]

    # delete customer 0's latest row; update customer 1's latest row in place (MERGE)
    delta.delete("gold.transaction_features", f"transaction_id = '{last0['transaction_id']}'", s)
    upd = tx.filter(pl.col("transaction_id") == last1["transaction_id"]).with_columns(
        max_amount_cents_30d=pl.lit(999_999_999, pl.Int64)
    )
    assert delta.merge("gold.transaction_features", upd, settings=s)["num_target_rows_updated"] == 1

    after = _hist(s, entity, feats).set_index("customer_pk")
    prev0 = _latest_before(tx.filter(pl.col("transaction_id") != last0["transaction_id"]), c0, when)
    assert after.loc[c0, "tx_count_30d"] == prev0["tx_count_30d"] != last0["tx_count_30d"]
    assert after.loc[c1, "max_amount_cents_30d"] == 999_999_999


def test_online_after_materialisation_drops_deleted_and_updated_rows(world):
    s, tx = world
    from features.materialize import apply_and_materialize
    from features.store import get_store

    end = sg.T0 + timedelta(days=2)
    first = apply_and_materialize(s, end=end, progress=QUIET)
    assert {r["status"] for r in first.values()} == {"materialized"}
    c0, c1, c2 = sg.customer_pk(0), sg.customer_pk(1), sg.customer_pk(2)

    def online() -> dict:
        res = (
            get_store(s)
            .get_online_features(
                features=["customer_transactions:tx_count_30d", "customer_transactions:max_amount_cents_30d"],
                entity_rows=[{"customer_pk": c} for c in (c0, c1, c2)],
            )
            .to_dict()
        )
        return {
            c: (n, m)
            for c, n, m in zip(
                res["customer_pk"], res["tx_count_30d"], res["max_amount_cents_30d"], strict=True
            )
        }

    last0, last1 = _latest_before(tx, c0, end), _latest_before(tx, c1, end)
    assert online()[c0] == (last0["tx_count_30d"], last0["max_amount_cents_30d"])

    delta.delete("gold.transaction_features", f"transaction_id = '{last0['transaction_id']}'", s)
    delta.delete("gold.transaction_features", f"customer_pk = '{c2}'", s)  # erasure of a customer
    upd = tx.filter(pl.col("transaction_id") == last1["transaction_id"]).with_columns(
        max_amount_cents_30d=pl.lit(123_456_789, pl.Int64)
    )
    delta.merge("gold.transaction_features", upd, settings=s)

    second = apply_and_materialize(s, end=end, progress=QUIET)
    assert second["customer_transactions"]["status"] == "materialized"
    assert second["customer_transactions"]["version"] == delta.version("gold.transaction_features", s)
    assert second["customer_daily"]["status"] == "unchanged"
    now = online()
    prev0 = _latest_before(tx.filter(pl.col("transaction_id") != last0["transaction_id"]), c0, end)
    assert now[c0] == (prev0["tx_count_30d"], prev0["max_amount_cents_30d"])
    assert now[c1][1] == 123_456_789
    assert now[c2] == (None, None)


# --- point-in-time correctness ------------------------------------------------------------------


def test_point_in_time_join_never_uses_later_values(world):
    s, tx = world
    rng = np.random.default_rng(3)
    rows = []
    for i in range(5):
        c = sg.customer_pk(i)
        times = tx.filter(pl.col("customer_pk") == c)["booked_at"].to_list()
        rows.append((c, times[0] - timedelta(seconds=1)))  # before any transaction
        rows.append((c, times[2]))  # exactly at a transaction: that row is visible (<=)
        rows.append((c, times[3] - timedelta(microseconds=1)))  # just before: the previous row
        rows.append((c, times[-1] + timedelta(minutes=int(rng.integers(1, 600)))))
        rows.append((c, times[-1] + timedelta(days=31)))  # beyond the 30-day TTL
    entity = pd.DataFrame(rows, columns=["customer_pk", "event_timestamp"])
    got = _hist(s, entity, ["customer_transactions:tx_sum_cents_30d"])
    for c, ts, val in zip(got["customer_pk"], got["event_timestamp"], got["tx_sum_cents_30d"], strict=True):
        ts = ts.to_pydatetime()
        exp = _latest_before(tx, c, ts)
        if exp is None or ts - exp["booked_at"] > timedelta(days=30):
            assert pd.isna(val), (c, ts, val)
        else:
            assert val == exp["tx_sum_cents_30d"], (c, ts)


def test_customer_day_is_joined_only_after_the_sao_paulo_day_ends(world):
    s, _ = world
    c = sg.customer_pk(1)
    d = (sg.T0 - timedelta(days=2)).date()  # 2026-02-28
    # 2026-03-01 02:59 UTC is still 2026-02-28 in São Paulo: that day is not complete yet
    entity = pd.DataFrame(
        {
            "customer_pk": [c, c],
            "event_timestamp": [
                datetime(2026, 3, 1, 2, 59, tzinfo=UTC),
                datetime(2026, 3, 1, 3, 0, tzinfo=UTC),
            ],
        }
    )
    got = _hist(s, entity, ["customer_daily:tx_count"])["tx_count"].tolist()
    assert got == [100 + (d - timedelta(days=1)).day, 100 + d.day]


# --- on-demand features -------------------------------------------------------------------------


def test_on_demand_fraud_features_offline_and_online(world):
    s, tx = world
    from features.materialize import apply_and_materialize
    from features.online import online_features

    c = sg.customer_pk(2)
    pairs = sg.counterparty_pairs(tx).filter(pl.col("customer_pk") == c)
    known = pairs.row(0, named=True)
    unknown_cp = sg.counterparty_pk(999)
    now = datetime(2026, 3, 5, 2, 30, tzinfo=UTC)  # 23:30 on 2026-03-04 in São Paulo
    last = _latest_before(tx, c, now)
    req = {
        "amount_cents": 250_000,
        "request_ts": now,
        "last_login_at": now - timedelta(minutes=90),
        "last_device_change_at": now - timedelta(days=1),
    }
    entity = pd.DataFrame(
        [
            {"customer_pk": c, "counterparty_pk": known["counterparty_pk"], "event_timestamp": now, **req},
            {
                "customer_pk": c,
                "counterparty_pk": unknown_cp,
                "event_timestamp": now,
                **req,
                "last_device_change_at": pd.NaT,
            },
            # the pair's first transaction itself: not yet known at that instant
            {
                "customer_pk": c,
                "counterparty_pk": known["counterparty_pk"],
                "event_timestamp": known["first_seen_at"],
                **{**req, "request_ts": known["first_seen_at"]},
            },
        ]
    )
    got = _hist(s, entity, "fraud_v1")
    r0, r1, r2 = got.to_dict("records")
    assert r0["amount_to_mean_30d"] == pytest.approx(250_000 / last["mean_amount_cents_30d"])
    assert r0["amount_to_max_30d"] == pytest.approx(250_000 / last["max_amount_cents_30d"])
    assert (
        r0["is_first_time_counterparty"],
        r1["is_first_time_counterparty"],
        r2["is_first_time_counterparty"],
    ) == (False, True, True)
    assert r0["hour_of_day_brt"] == 23
    assert r0["minutes_since_last_login"] == pytest.approx(90.0)
    assert r0["minutes_since_device_change"] == pytest.approx(1440.0)
    assert pd.isna(r1["minutes_since_device_change"])

    apply_and_materialize(s, end=now, progress=QUIET)
    on = online_features(
        "fraud_v1",
        [
            {"customer_pk": c, "counterparty_pk": known["counterparty_pk"]},
            {"customer_pk": c, "counterparty_pk": unknown_cp},
        ],
        req,
        settings=s,
    )
    assert on["is_first_time_counterparty"] == [False, True]
    assert on["amount_to_mean_30d"][0] == pytest.approx(r0["amount_to_mean_30d"])
    assert on["hour_of_day_brt"] == [23, 23]
    assert on["minutes_since_last_login"] == [pytest.approx(90.0)] * 2

    # the gateway's one-row fast path gives exactly Feast's values: found and missing entities, request
    # timestamps with microseconds (Feast keeps whole seconds), missing request values, both services
    from features.online import online_row

    odd = {
        "amount_cents": 1,
        "request_ts": now + timedelta(microseconds=987_654),
        "last_login_at": now - timedelta(seconds=59, microseconds=1),
        "last_device_change_at": None,
    }
    for entity in (
        {"customer_pk": c, "counterparty_pk": known["counterparty_pk"]},
        {"customer_pk": c, "counterparty_pk": unknown_cp},
        {"customer_pk": sg.customer_pk(10_000), "counterparty_pk": unknown_cp},
    ):
        for r in (req, odd):
            feast_row = {k: v[0] for k, v in online_features("fraud_v1", [entity], r, settings=s).items()}
            assert online_row("fraud_v1", entity, r, settings=s) == feast_row
        partial = {k: v for k, v in req.items() if k != "last_login_at"}
        with pytest.raises(Exception, match="last_login_at"):
            online_features("fraud_v1", [entity], partial, settings=s)
        with pytest.raises(ValueError, match="last_login_at"):
            online_row("fraud_v1", entity, partial, settings=s)
    for cust in (c, sg.customer_pk(10_000)):
        feast_row = {
            k: v[0] for k, v in online_features("credit_v1", [{"customer_pk": cust}], settings=s).items()
        }
        assert online_row("credit_v1", {"customer_pk": cust}, settings=s) == feast_row


# --- reproducible training sets -----------------------------------------------------------------


def test_same_versions_give_an_identical_training_frame(world):
    s, tx = world
    from features.training_sets import credit_training_set, fraud_training_set

    fr1 = fraud_training_set(s)
    assert set(fr1.versions) == {"gold.transaction_features", "gold.customer_day", "gold.counterparty_pairs"}
    assert fr1.frame.height == tx.height
    assert {"is_fraud", "amount_to_mean_30d", "tx_count", "is_first_time_counterparty"} <= set(
        fr1.frame.columns
    )
    # joined strictly before its own transaction: a pair's first transaction is first-time
    first_ids = set(
        tx.sort("booked_at").unique(["customer_pk", "counterparty_pk"], keep="first")["transaction_id"]
    )
    flags = dict(zip(fr1.frame["transaction_id"], fr1.frame["is_first_time_counterparty"], strict=True))
    assert {t for t, f in flags.items() if f} == first_ids
    cr1 = credit_training_set(s)
    assert "label_defaulted_6m" in cr1.frame.columns and cr1.frame["score_latest"].null_count() == 0

    # the lake moves on: a deletion, an update and new rows
    delta.delete("gold.transaction_features", f"customer_pk = '{sg.customer_pk(4)}'", s)
    delta.merge("gold.transaction_features", tx.head(3).with_columns(is_fraud=pl.lit(True)), settings=s)
    delta.append("gold.customer_day", sg.customer_days(5, [date(2026, 3, 2)]), s)
    delta.append("gold.credit_features", sg.credit_rows(5, [date(2026, 3, 3)]), s)

    fr2 = fraud_training_set(s, versions=fr1.versions)
    assert fr2.versions == fr1.versions
    assert fr2.frame.equals(fr1.frame)
    assert credit_training_set(s, versions=cr1.versions).frame.equals(cr1.frame)
    fr3 = fraud_training_set(s)
    assert fr3.versions != fr1.versions and not fr3.frame.equals(fr1.frame)
