"""Quality suites: the split keeps every row (good + quarantined == input), reasons name every failing
check, enums and bad CPFs are rejected, polars and great-expectations agree, table-level checks."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from lake_helpers import T0, transactions, use_tmp_lake

from lake import delta, quarantine, table_checks
from lake import quality as q
from lake.domain.world_schema import TRANSACTION_TYPES


@pytest.fixture(autouse=True)
def _lake(monkeypatch, tmp_path):
    use_tmp_lake(monkeypatch, tmp_path)


def _batch() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "transaction_id": ["t0", "t1", "t2", "t2", None, "t5", "t6"],
            "cpf": [
                "529.982.247-25",
                "52998224726",
                "11144477735",
                "111.111.111-11",
                "11144477735",
                None,
                "1234",
            ],
            "type": ["PIX", "TED", "PIX_ROUBADO", "BOLETO", "PIX", "SAQUE", "DOC"],
            "amount_cents": [100, 0, 250, 10, 999, 5, 7],
            "booked_month": ["2026-01", "2026-01", "2026-01", "2026-1", "2026-02", "2026-02", "2026-03"],
        }
    )


SUITE = q.Suite(
    "tx",
    (
        q.not_null("transaction_id"),
        q.unique("transaction_id"),
        q.valid_cpf("cpf"),
        q.in_set("type", TRANSACTION_TYPES, name="enum:type"),
        q.between("amount_cents", min=1),
        q.regex("booked_month", r"^\d{4}-\d{2}$"),
    ),
    table="silver.transactions",
)


def test_split_keeps_every_row_and_names_every_failing_check():
    df = _batch()
    good, bad = q.split_valid(df, SUITE)
    assert good.height + bad.height == df.height
    assert good["transaction_id"].to_list() == ["t0", "t5"]
    checks = {r["_row_index"]: r["_checks"] for r in bad.select("_row_index", "_checks").to_dicts()}
    assert checks == {
        1: ["cpf:cpf", "between:amount_cents"],
        2: ["unique:transaction_id", "enum:type"],
        3: ["unique:transaction_id", "cpf:cpf", "regex:booked_month"],
        4: ["not_null:transaction_id"],
        6: ["cpf:cpf"],
    }
    reason = bad.filter(pl.col("_row_index") == 2)["_reason"][0]
    assert "enum:type" in reason and "PIX_ROUBADO" in reason and "unique:transaction_id" in reason
    # the CPF itself is not copied into the reason
    assert "52998224726" not in bad.filter(pl.col("_row_index") == 1)["_reason"][0]
    # bad rows keep their data unchanged
    assert bad.drop("_row_index", "_checks", "_reason").equals(df[[1, 2, 3, 4, 6]])


def test_split_of_a_clean_batch_returns_it_whole_and_an_empty_bad_frame_of_the_same_shape():
    df = _batch()
    _, mixed_bad = q.split_valid(df, SUITE)
    clean = df[[0, 5]]
    good, bad = q.split_valid(clean, SUITE)
    assert good.equals(clean) and bad.height == 0 and bad.schema == mixed_bad.schema
    for engine in ("polars", "gx"):
        assert q.split_valid(df, SUITE, engine=engine)[0]["transaction_id"].to_list() == ["t0", "t5"]


def test_enum_and_cpf_rules_reject():
    good, bad = q.split_valid(
        pl.DataFrame({"type": ["PIX", "XPTO"], "cpf": ["529.982.247-25", "529.982.247-24"]}),
        q.Suite("s", (q.in_set("type", TRANSACTION_TYPES), q.valid_cpf("cpf"))),
    )
    assert good.height == 1 and bad["_checks"].to_list() == [["in_set:type", "cpf:cpf"]]


def test_gx_engine_agrees_with_polars_engine():
    df = _batch()
    assert [
        a.equals(b)
        for a, b in zip(q.split_valid(df, SUITE), q.split_valid(df, SUITE, engine="gx"), strict=True)
    ] == [True, True]


def test_gx_engine_agrees_on_a_larger_random_batch():
    import numpy as np

    rng = np.random.default_rng(7)
    n = 3000
    df = pl.DataFrame(
        {
            "transaction_id": [f"t{i}" for i in rng.integers(0, 2900, n)],
            "type": rng.choice([*TRANSACTION_TYPES[:4], "BAD"], n).tolist(),
            "amount_cents": rng.integers(-5, 1000, n),
            "booked_month": rng.choice(["2026-01", "2026-13x"], n).tolist(),
            "cpf": rng.choice(["52998224725", "52998224724", None], n).tolist(),
        }
    )
    p_good, p_bad = q.split_valid(df, SUITE)
    g_good, g_bad = q.split_valid(df, SUITE, engine="gx")
    assert p_bad.height > 0 and p_good.height > 0
    assert p_good.equals(g_good) and p_bad.equals(g_bad)


def test_suite_from_catalog_checks_required_columns_and_primary_key():
    s = q.suite_for("silver.transactions", [q.in_set("credit_debit_type", ["CREDITO", "DEBITO"])])
    df = pl.concat([transactions(["a", "b"]), transactions(["b"])]).with_columns(
        pl.when(pl.col("transaction_id") == "a")
        .then(pl.lit("X"))
        .otherwise(pl.col("credit_debit_type"))
        .alias("credit_debit_type")
    )
    good, bad = q.split_valid(df, s)
    assert good.height == 0
    assert bad["_checks"].to_list() == [
        ["in_set:credit_debit_type"],
        ["unique_pk:transaction_id"],
        ["unique_pk:transaction_id"],
    ]


def test_split_and_quarantine_writes_bad_rows_and_is_idempotent():
    df = _batch()
    out = quarantine.split_and_quarantine(df, SUITE, run_id="run-1")
    assert out.good.height + out.quarantined == df.height == out.total
    rows = quarantine.read_quarantine(source_table="silver.transactions", run_id="run-1")
    assert rows.height == out.quarantined == 5
    r2 = rows.filter(pl.col("row_index") == 2).to_dicts()[0]
    assert r2["checks"] == ["unique:transaction_id", "enum:type"]
    assert '"transaction_id":"t2"' in r2["record_key"] and "PIX_ROUBADO" in r2["payload"]
    quarantine.split_and_quarantine(df, SUITE, run_id="run-1")  # re-run: nothing added
    assert delta.row_count("quarantine.rows") == 5
    quarantine.split_and_quarantine(df, SUITE, run_id="run-2")
    assert delta.row_count("quarantine.rows") == 10


def test_row_count_anomaly():
    delta.append("silver.transactions", transactions([f"t{i}" for i in range(10)]))
    assert table_checks.row_count_anomaly("silver.transactions").passed
    delta.delete("silver.transactions", "transaction_id <> 't0'")
    r = table_checks.row_count_anomaly("silver.transactions", max_drop=0.5)
    assert not r.passed and r.metadata["previous_rows"] == 10 and r.metadata["rows"] == 1
    assert r.severity == "ERROR"


def test_freshness():
    delta.append("silver.transactions", transactions(["t1", "t2"]))
    now = T0 + timedelta(hours=2)
    assert table_checks.freshness("silver.transactions", "booked_at", timedelta(hours=3), now=now).passed
    stale = table_checks.freshness("silver.transactions", "booked_at", timedelta(hours=1), now=now)
    assert not stale.passed and "old" in stale.description


def test_referential():
    parents = pl.DataFrame({"account_id": ["acc-1", "acc-2"]})
    ok = table_checks.referential(transactions(["t1"]), "account_id", parents)
    assert ok.passed
    bad = table_checks.referential(
        transactions(["t1"]).with_columns(account_id=pl.lit("acc-9")), "account_id", parents
    )
    assert not bad.passed and bad.metadata["sample"] == [{"account_id": "acc-9"}]


def test_gx_suite_check_reports_failures():
    r = table_checks.gx_suite_check(_batch(), SUITE)
    assert not r.passed and "enum:type" in r.description
    clean = _batch().filter(pl.col("transaction_id").is_in(["t0", "t5"]))
    assert table_checks.gx_suite_check(clean, SUITE).passed
