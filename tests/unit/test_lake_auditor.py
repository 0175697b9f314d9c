"""DuckDB auditor: views over the current Delta version (deleted rows stay deleted), AS OF time travel,
restricted bronze, and the `cofre lake` CLI."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from lake_helpers import transactions, use_tmp_lake
from typer.testing import CliRunner

from lake import auditor, delta

TX = "silver.transactions"


@pytest.fixture(autouse=True)
def _lake(monkeypatch, tmp_path):
    use_tmp_lake(monkeypatch, tmp_path)


def _ids(aud: auditor.Auditor, sql: str) -> list[str]:
    return sorted(r[0] for r in aud.sql(sql).fetchall())


def test_deleted_rows_do_not_come_back_and_time_travel_does():
    delta.append(TX, transactions(["t1", "t2", "t3"]))
    v_before = delta.version(TX)
    time.sleep(0.02)
    between = datetime.now(UTC)
    time.sleep(0.02)
    delta.delete(TX, "transaction_id = 't2'")
    delta.merge(TX, transactions(["t3"], cents=777))
    with auditor.connect() as aud:
        assert aud.uses_delta_scan
        assert _ids(aud, "SELECT transaction_id FROM silver.transactions") == ["t1", "t3"]
        assert aud.sql(
            "SELECT amount_cents FROM silver.transactions WHERE transaction_id = 't3'"
        ).fetchone() == (777,)
        assert _ids(aud, f"SELECT transaction_id FROM silver.transactions AS OF VERSION {v_before}") == [
            "t1",
            "t2",
            "t3",
        ]
        assert _ids(
            aud,
            f"SELECT x.transaction_id FROM silver.transactions as of version {v_before} x "
            "WHERE x.amount_cents = 1000",
        ) == ["t1", "t2", "t3"]
        assert _ids(
            aud, f"SELECT transaction_id FROM silver.transactions AS OF TIMESTAMP '{between.isoformat()}'"
        ) == ["t1", "t2", "t3"]
        # both versions in one query
        row = aud.sql(
            f"SELECT (SELECT count(*) FROM silver.transactions), "
            f"(SELECT count(*) FROM silver.transactions AS OF VERSION {v_before})"
        ).fetchone()
        assert row == (2, 3)
        view = aud.open_table(TX, version=v_before)
        assert aud.sql(f"SELECT count(*) FROM {view}").fetchone() == (3,)
        with pytest.raises(auditor.AuditorError, match="does not exist"):
            aud.sql("SELECT * FROM silver.transactions AS OF VERSION 99")
        with pytest.raises(auditor.AuditorError, match="no version at or before"):
            aud.sql("SELECT * FROM silver.transactions AS OF TIMESTAMP '2001-01-01T00:00:00'")


def test_view_follows_new_commits_within_a_session():
    delta.append(TX, transactions(["t1"]))
    with auditor.connect() as aud:
        assert aud.sql("SELECT count(*) FROM silver.transactions").fetchone() == (1,)
        delta.append(TX, transactions(["t2"]))
        assert aud.sql("SELECT count(*) FROM silver.transactions").fetchone() == (2,)


def test_bronze_is_restricted_unless_enabled(monkeypatch):
    import polars as pl

    from lake.settings import get_settings

    bronze = pl.DataFrame(
        {
            "record_id": ["r1"],
            "source": ["pix"],
            "consent_id": [None],
            "request_id": ["q1"],
            "pulled_at": [datetime(2026, 1, 1, tzinfo=UTC)],
            "ingest_date": [datetime(2026, 1, 1).date()],
            "payload": ['{"endToEndId":"E1","pagador":{"cpf":"52998224725"}}'],
            "end_to_end_id": ["E1"],
        },
        schema_overrides={"consent_id": pl.String},
    )
    delta.merge("bronze.pix_received", bronze)
    with auditor.connect() as aud:
        assert "bronze.pix_received" not in aud.views
        with pytest.raises(auditor.AuditorError, match="access-restricted"):
            aud.sql("SELECT payload FROM bronze.pix_received")
    monkeypatch.setenv("COFRE_LAKE_AUDITOR_BRONZE", "true")
    get_settings.cache_clear()
    with auditor.connect() as aud:
        assert aud.sql("SELECT end_to_end_id FROM bronze.pix_received").fetchall() == [("E1",)]


def test_cli_sql_formats_history_tables_vacuum():
    from cofre.cli import app

    delta.append(TX, transactions(["t1", "t2"]))
    delta.delete(TX, "transaction_id = 't1'")
    runner = CliRunner()
    res = runner.invoke(
        app, ["lake", "sql", "SELECT transaction_id, amount FROM silver.transactions", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == [{"transaction_id": "t2", "amount": "10.00"}]
    res = runner.invoke(
        app,
        ["lake", "sql", "SELECT count(*) AS n FROM silver.transactions AS OF VERSION 1", "--format", "csv"],
    )
    assert res.exit_code == 0 and res.output.splitlines() == ["n", "2"]
    res = runner.invoke(app, ["lake", "sql", "SELECT transaction_id FROM silver.transactions"])
    assert res.exit_code == 0 and "t2" in res.output and "t1" not in res.output
    res = runner.invoke(app, ["lake", "history", TX])
    assert res.exit_code == 0 and "DELETE" in res.output and "WRITE" in res.output
    res = runner.invoke(app, ["lake", "tables"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if x.startswith("silver.transactions "))
    assert line.split()[:4] == ["silver.transactions", "silver", "2", "1"]
    res = runner.invoke(app, ["lake", "vacuum", TX])
    assert res.exit_code == 0 and "removed" in res.output
    res = runner.invoke(app, ["lake", "sql", "SELECT * FROM bronze.pix_received"])
    assert res.exit_code == 2 and "access-restricted" in res.output
    res = runner.invoke(app, ["lake", "history", "silver.nope"])
    assert res.exit_code == 2 and "unknown table" in res.output


def test_select_1_opens_no_table_and_imports_no_data_stack(tmp_path):
    """`cofre lake sql "SELECT 1"` starts fast: no polars, pyarrow or delta-rs import and no Delta log
    read (the views are created when a query names their table)."""
    import os
    import subprocess
    import sys

    delta.append(TX, transactions(["t1"]))
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from cofre.cli import app\n"
        "res = CliRunner().invoke(app, ['lake', 'sql', 'SELECT 1 AS one', '--format', 'csv'])\n"
        "assert res.exit_code == 0, res.output\n"
        "print(res.output.split())\n"
        "print(sorted(m for m in ('polars', 'pyarrow', 'deltalake', 'rich.console') if m in sys.modules))\n"
    )
    env = {**os.environ, "COFRE_PROFILE": "embedded", "COFRE_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["['one', '1']", "[]"]


def test_views_are_created_on_demand_and_show_lists_them():
    delta.append(TX, transactions(["t1"]))
    delta.append("silver.logins", _logins())
    with auditor.connect() as aud:
        assert aud.views == {}
        assert aud.sql("SELECT count(*) FROM silver.transactions").fetchone() == (1,)
        assert set(aud.views) == {"silver.transactions"}
        names = {r[0] for r in aud.sql("SELECT table_name FROM information_schema.tables").fetchall()}
        assert {"transactions", "logins"} <= names
        assert "pix_received" not in names  # restricted: never created
        with pytest.raises(auditor.AuditorError, match="no Delta table"):
            aud.sql("SELECT * FROM gold.credit_features")


def _logins():
    import polars as pl

    from lake.catalog import get_table

    t = get_table("silver.logins")
    return pl.DataFrame(schema=t.schema)


def test_cli_tables_and_history_formats_never_cut_identifiers():
    from cofre.cli import app
    from lake import runinfo

    wm = {"bronze.open_finance_transactions": 4, "bronze.open_finance_credit_card_transactions": 2}
    with runinfo.run_scope("run-0f5c2a"):
        delta.append(TX, transactions(["t1"]), metadata={"cofre.watermark": json.dumps(wm)})
    delta.merge(TX, transactions(["t1", "t2"]))
    runner = CliRunner()
    res = runner.invoke(app, ["lake", "tables", "--format", "json"], env={"COLUMNS": "40"})
    assert res.exit_code == 0, res.output
    by_name = {r["table"]: r for r in json.loads(res.output)}
    assert by_name["silver.transactions"] == {
        "table": "silver.transactions",
        "layer": "silver",
        "version": 2,
        "rows": 2,
        "primary_key": "transaction_id",
    }
    assert by_name["gold.credit_features"]["version"] is None
    res = runner.invoke(app, ["lake", "tables"], env={"COLUMNS": "40"})  # narrow terminal: nothing cut
    longest = max((r for r in by_name), key=len)
    assert any(line.split()[0] == longest for line in res.output.splitlines()[2:])
    res = runner.invoke(app, ["lake", "tables", "-f", "csv"])
    assert "silver.transactions,silver,2,2,transaction_id" in res.output.splitlines()

    res = runner.invoke(app, ["lake", "history", TX, "--format", "json"], env={"COLUMNS": "40"})
    assert res.exit_code == 0, res.output
    commits = {c["version"]: c for c in json.loads(res.output)}
    assert commits[1]["operation"] == "WRITE" and commits[1]["mode"] == "Append"
    assert commits[1]["run_id"] == "run-0f5c2a" and commits[1]["watermark"] == wm
    assert commits[2]["operation"] == "MERGE" and commits[2]["run_id"] is None
    res = runner.invoke(app, ["lake", "history", TX], env={"COLUMNS": "40"})
    assert "run-0f5c2a" in res.output and "bronze.open_finance_credit_card_transactions" in res.output
    res = runner.invoke(app, ["lake", "history", TX, "-f", "xml"])
    assert res.exit_code == 2 and "--format" in res.output


def test_layer_files_get_restrictive_modes(tmp_path):
    """Plain tools (duckdb, cat) respect file modes only: bronze/quarantine are the owner's alone,
    silver/gold/audit are readable by the group (auditors), nothing is world-readable."""
    import os
    import stat

    import polars as pl

    from lake.layers import secure_tree
    from lake.settings import get_settings

    def mode(p) -> int:
        return stat.S_IMODE(os.stat(p).st_mode)

    delta.append(TX, transactions(["t1"]))
    bronze = pl.DataFrame(
        {
            "record_id": ["r1"],
            "source": ["pix"],
            "consent_id": [None],
            "request_id": ["q1"],
            "pulled_at": [datetime(2026, 1, 1, tzinfo=UTC)],
            "ingest_date": [datetime(2026, 1, 1).date()],
            "payload": ['{"pagador":{"cpf":"52998224725"}}'],
            "end_to_end_id": ["E1"],
        },
        schema_overrides={"consent_id": pl.String},
    )
    delta.merge("bronze.pix_received", bronze)
    lake = tmp_path / "lake"
    assert mode(lake) == 0o751
    assert mode(lake / "bronze") == 0o700 and mode(lake / "silver") == 0o750
    counts = secure_tree(str(get_settings().lake_uri))
    assert counts["bronze"] >= 2 and counts["silver"] >= 2  # log entries and data files
    for layer, (dmode, fmode) in {"bronze": (0o700, 0o600), "silver": (0o750, 0o640)}.items():
        for dirpath, _, files in os.walk(lake / layer):
            assert mode(dirpath) == dmode, dirpath
            for f in files:
                assert mode(os.path.join(dirpath, f)) == fmode, f
    # a new commit after securing: its files sit in a directory others cannot traverse
    delta.merge("bronze.pix_received", bronze.with_columns(pl.lit("r2").alias("record_id")))
    assert mode(lake / "bronze") == 0o700 and mode(lake / "bronze" / "pix_received") == 0o700


def test_a_dagster_step_stamps_its_run_id_on_the_commit():
    import dagster as dg

    @dg.asset(name="probe_write")
    def probe_write() -> None:
        delta.append(TX, transactions(["t1"]))

    res = dg.materialize([probe_write])
    assert res.success
    last = delta.history(TX, limit=1)[0]
    assert last["cofre.run_id"] == res.run_id
