"""The whole Dagster pipeline on the embedded profile over a tiny world (100 customers x 2 months).

Real parts only: the sandboxes in-process over HTTP semantics (ASGI), real Delta tables on disk,
Dagster ``materialize`` with every asset check.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, materialize
from pipeline_helpers import counts, make_world, world_frames

from lake import delta
from lake.catalog import tables
from lake.settings import get_settings
from pipelines.definitions import ASSETS, CHECKS
from pipelines.resources import default_resources
from pipelines.run import RunReport, run_job, run_layers

SILVER_GOLD = [t.name for t in tables("silver") + tables("gold")]


@pytest.fixture(scope="module")
def lake_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    world = make_world(home)
    mp = pytest.MonkeyPatch()
    mp.setenv("COFRE_HOME", str(home))
    mp.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()
    msgs: list[str] = []
    instance, report, log = DagsterInstance.ephemeral(), RunReport(), home / "logs" / "run.log"
    ok = run_layers(echo=msgs.append, world_folder=str(world), instance=instance, report=report, log_file=log)
    first = counts(SILVER_GOLD + ["quarantine.rows"])
    yield {
        "home": home,
        "world": world,
        "ok": ok,
        "msgs": msgs,
        "first": first,
        "instance": instance,
        "report": report,
        "log": log,
    }
    mp.undo()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _env(lake_env, monkeypatch):
    monkeypatch.setenv("COFRE_HOME", str(lake_env["home"]))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()


def test_pipeline_succeeds_with_every_check_passing(lake_env):
    assert lake_env["ok"], "\n".join(lake_env["msgs"])
    assert not [m for m in lake_env["msgs"] if "FAILED" in m], "\n".join(lake_env["msgs"])
    assert delta.exists("quarantine.rows")  # queryable by auditors even when nothing was rejected


def test_the_run_goes_through_the_named_lake_job_quietly(lake_env):
    """Issue 22: runs were all `__ephemeral_asset_job__`; the console got Dagster's DEBUG lines."""
    instance = lake_env["instance"]
    runs = instance.get_runs()
    assert runs and {r.job_name for r in runs} == {"lake_job"}
    assert [r.run_id for r in runs] == [run_id for _, run_id, _ in lake_env["report"].runs]
    msgs = lake_env["msgs"]
    assert not [m for m in msgs if "DEBUG" in m or "STEP_START" in m], msgs
    assert sum(1 for m in msgs if "rows" in m) == len(lake_env["report"].assets) == 30
    log = lake_env["log"].read_text()  # the full log went to the file
    assert "STEP_START" in log and "RUN_SUCCESS" in log and len(log.splitlines()) > 3 * len(msgs)


def test_materialisations_carry_schema_delta_version_path_and_row_count(lake_env):
    instance = lake_env["instance"]
    for table in ("bronze.pix_received", "silver.transactions", "gold.customer_day", "gold.credit_features"):
        event = instance.get_latest_materialization_event(AssetKey(table.split(".")))
        meta = {k: v.value for k, v in event.asset_materialization.metadata.items()}
        assert meta["dagster/row_count"] == delta.row_count(table), table
        assert meta["delta_version"] == delta.version(table)
        assert meta["path"] == delta.table_uri(table) and Path(meta["path"]).is_dir()
        columns = [c.name for c in meta["dagster/column_schema"].columns]
        assert columns == delta.read(table).columns
        assert event.run_id in {run_id for _, run_id, _ in lake_env["report"].runs}


def test_a_sampled_quality_check_says_how_many_rows_it_validated(lake_env):
    from pipelines.common.checks import quality_check

    n = delta.row_count("silver.transactions")
    check = quality_check("silver.transactions", sample_rows=500)
    res = materialize(
        [*ASSETS, check],
        selection=AssetSelection.checks(check),
        resources=default_resources(None, str(lake_env["world"])),
        raise_on_error=False,
    )
    (ev,) = res.get_asset_check_evaluations()
    assert ev.passed
    assert ev.description.startswith(
        f"great-expectations validated 500 of {n:,} rows (seeded sample)".replace(",", " ")
    )
    # the full-size checks of the run validated every row and say so
    full = [c for c in lake_env["report"].checks if c.key == "silver/transactions:quality"]
    assert full and full[0].description.startswith(
        f"great-expectations validated {n:,} of {n:,} rows;".replace(",", " ")
    )


def test_the_audit_partition_of_today_runs_through_audit_daily(lake_env):
    from datetime import UTC, datetime

    from pipelines.definitions import build_defs

    report, today = RunReport(), datetime.now(UTC).date().isoformat()
    instance = DagsterInstance.ephemeral()
    assert run_job(
        "audit_daily",
        report=report,
        echo=lambda _m: None,
        instance=instance,
        defs=build_defs(None, str(lake_env["world"])),
        partition_key=today,
    )
    (run,) = instance.get_runs()
    assert run.job_name == "audit_daily" and run.tags["dagster/partition"] == today
    assert {"audit/events", "audit/anchors"} <= set(report.assets)


def test_the_demo_summary_reports_layers_rows_checks_and_next_steps(lake_env):
    from cofre.demo_summary import summary_lines

    report = lake_env["report"]
    lines = summary_lines(
        report,
        log_file="var/logs/demo.log",
        audit={"day": "2026-12-03", "events": 12, "event_id": "ev-1", "anchor": "anchored"},
    )
    text = "\n".join(lines)
    rows = {
        layer: sum(a.rows for a in report.assets.values() if a.layer == layer)
        for layer in ("bronze", "silver", "gold")
    }
    assert rows["silver"] == sum(lake_env["first"][t] for t in SILVER_GOLD if t.startswith("silver."))
    for layer, n in rows.items():
        count = sum(1 for a in report.assets.values() if a.layer == layer)
        assert f"  {layer:<11}{count:>7}{f'{n:,}'.replace(',', ' '):>14}" in lines
    assert f"checks: {len(report.checks)} passed, 0 failed, 0 warnings" in text
    assert "lake_job " + report.runs[0][1][:8] in text
    assert "full log: var/logs/demo.log" in text
    assert (
        ".venv/bin/cofre audit prove ev-1" in text and ".venv/bin/cofre audit verify --require-events" in text
    )
    assert "day 2026-12-03: 12 events exported, anchor anchored" in text


def test_silver_and_gold_cover_the_world(lake_env):
    w = world_frames(lake_env["world"])
    c = lake_env["first"]
    assert c["silver.transactions"] == w["transactions"].height
    assert c["gold.transaction_features"] == w["transactions"].height
    assert c["silver.customers"] == w["customers"].height
    assert c["silver.loans"] == w["loans"].height
    assert c["silver.bureau_scores"] == w["bureau_scores"].height
    assert c["silver.logins"] == w["logins"].height
    assert c["silver.pix_keys"] == w["pix_keys"].filter(pl.col("customer_id").is_not_null()).height
    assert c["quarantine.rows"] == 0  # clean world: nothing quarantined (the table exists, empty)
    fraud = delta.read("silver.transactions").get_column("is_fraud").sum()
    assert fraud == w["transactions"].get_column("is_fraud").sum()


def test_money_is_exact_and_timestamps_utc(lake_env):
    w = world_frames(lake_env["world"]).get("transactions")
    s = delta.read("silver.transactions").join(
        w.select("transaction_id", pl.col("amount_cents").alias("w")), on="transaction_id"
    )
    assert (s["amount_cents"] == s["w"]).all()
    assert (s["amount"].cast(pl.String).str.replace(r"\.", "").cast(pl.Int64) == s["w"]).all()
    assert s.schema["booked_at"] == pl.Datetime("us", "UTC")


def test_no_cpf_in_clear_below_bronze(lake_env):
    cpfs = set(world_frames(lake_env["world"])["customers"]["cpf"].to_list())
    for t in SILVER_GOLD:
        if not delta.exists(t):
            continue
        df = delta.read(t)
        for col, dt in df.schema.items():
            if dt == pl.String:
                vals = set(df.get_column(col).drop_nulls().to_list())
                assert not (vals & cpfs), f"{t}.{col} holds a CPF in clear"


def test_features_are_strictly_before_the_transaction(lake_env):
    f = delta.read("gold.transaction_features")
    tx = delta.read("silver.transactions").select(
        "transaction_id", "customer_pk", "booked_at", "amount_cents"
    )
    # recompute a few rows naively and compare
    sample = f.sort("transaction_id").head(40)
    for row in sample.iter_rows(named=True):
        hist = tx.filter(
            (pl.col("customer_pk") == row["customer_pk"]) & (pl.col("booked_at") < row["booked_at"])
        )
        day = hist.filter(pl.col("booked_at") >= row["booked_at"] - pl.duration(hours=24))
        assert row["tx_count_24h"] == day.height
        assert row["tx_sum_cents_24h"] == (day["amount_cents"].sum() or 0)
        month = hist.filter(pl.col("booked_at") >= row["booked_at"] - pl.duration(days=30))
        assert row["tx_count_30d"] == month.height
    assert f.filter(pl.col("minutes_since_last_login") <= 0).height == 0


def test_rerun_adds_nothing(lake_env):
    consents = delta.read("bronze.open_finance_consents", columns=["consent_id"]).get_column("consent_id")
    ok = run_layers(echo=lambda _m: None, world_folder=str(lake_env["world"]))
    assert ok
    after = counts(SILVER_GOLD + ["quarantine.rows"])
    assert after == lake_env["first"]
    # the sandbox still holds every consent AUTHORISED: the re-pull asks the customers for nothing new
    again = delta.read("bronze.open_finance_consents", columns=["consent_id"]).get_column("consent_id")
    assert again.sort().equals(consents.sort())
    ids = delta.read("silver.transactions", columns=["transaction_id"])
    assert ids.height == ids.unique().height


def test_checks_fail_on_seeded_bad_data(lake_env, tmp_path, monkeypatch):
    """Copy silver.bureau_scores into a fresh lake with one out-of-range score: the quality check fails."""
    good = delta.read("silver.bureau_scores")
    bad = pl.concat(
        [
            good,
            good.head(1).with_columns(
                pl.lit(1500, pl.Int16).alias("score"), pl.col("consulted_at").dt.offset_by("1d")
            ),
        ]
    )
    other = tmp_path / "lake2"
    s2 = get_settings().model_copy(update={"lake_uri": str(other)})
    delta.write("silver.bureau_scores", bad, mode="overwrite", settings=s2)
    key = AssetKey(["silver", "bureau_scores"])
    res = materialize(
        [*ASSETS, *CHECKS],
        selection=AssetSelection.checks_for_assets(key),
        resources=default_resources(str(other), str(lake_env["world"])),
        raise_on_error=False,
    )
    evals = {e.check_name: e.passed for e in res.get_asset_check_evaluations()}
    assert evals.get("quality") is False
    # and the same check passes on the clean table
    res = materialize(
        [*ASSETS, *CHECKS],
        selection=AssetSelection.checks_for_assets(key),
        resources=default_resources(None, str(lake_env["world"])),
        raise_on_error=False,
    )
    assert {e.check_name: e.passed for e in res.get_asset_check_evaluations()}.get("quality") is True


def test_the_lake_tour_notebook_runs_headless_from_its_own_folder(lake_env):
    """Issue 22: the notebook failed when opened from Jupyter (working directory notebooks/)."""
    import nbformat
    from nbclient import NotebookClient

    root = Path(__file__).resolve().parents[2]
    nb = nbformat.read(root / "notebooks" / "lake_tour.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(root / "notebooks")}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the plot is inline, not only saved
    assert (lake_env["home"] / "notebooks" / "fraud_rate_by_scenario_day.png").exists()
    text = "".join(str(o.get("data", {}).get("text/html", "")) + o.get("text", "") for o in outputs)
    assert "label_not_yet_observable" in text
