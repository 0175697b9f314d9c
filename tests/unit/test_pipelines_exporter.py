"""The data-platform exporter: Dagster run outcomes and asset freshness from a real Dagster instance,
lake row counts and quarantine per target table from real Delta tables, in Prometheus text format."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from lake import delta
from pipelines.exporter import PlatformCollector, registry
from tests.lgpd_kit import _fill
from tests.unit.serving_kit import make_settings


@dg.asset(key_prefix=["gold"])
def customer_day() -> int:
    return 1


@dg.asset
def broken() -> int:
    raise RuntimeError("source down")


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


def test_runs_assets_and_lake_are_exported(tmp_path):
    s = make_settings(tmp_path)
    now = datetime.now(UTC)
    quarantined = [
        {"source_table": "silver.transactions", "run_id": "r1", "reason": "bad cpf", "quarantined_at": now},
        {
            "source_table": "silver.transactions",
            "run_id": "r1",
            "reason": "bad amount",
            "quarantined_at": now,
        },
        {"source_table": "silver.customers", "run_id": "r1", "reason": "bad cpf", "quarantined_at": now},
    ]
    delta.append("quarantine.rows", _fill("quarantine.rows", quarantined), s)
    inst = dg.DagsterInstance.ephemeral()
    before = datetime.now(UTC).timestamp()
    assert dg.materialize([customer_day], instance=inst).success
    assert dg.materialize([customer_day], instance=inst).success
    assert not dg.materialize([broken], instance=inst, raise_on_error=False).success

    got = _samples(generate_latest(registry(s, instance=inst)).decode())
    job = "__ephemeral_asset_job__"
    assert got[("cofre_dagster_runs_total", (("job", job), ("status", "SUCCESS")))] == 2
    assert got[("cofre_dagster_runs_total", (("job", job), ("status", "FAILURE")))] == 1
    ts = got[
        ("cofre_dagster_asset_last_materialization_timestamp_seconds", (("asset", "gold/customer_day"),))
    ]
    assert before <= ts <= datetime.now(UTC).timestamp()
    assert got[("cofre_dagster_asset_materializations_total", (("asset", "gold/customer_day"),))] == 2
    assert ("cofre_dagster_asset_last_materialization_timestamp_seconds", (("asset", "broken"),)) not in got
    assert got[("cofre_lake_rows", (("layer", "quarantine"), ("table", "quarantine.rows")))] == 3
    assert got[("cofre_lake_quarantine_rows", (("source_table", "silver.transactions"),))] == 2
    assert got[("cofre_lake_quarantine_rows", (("source_table", "silver.customers"),))] == 1
    assert got[("cofre_exporter_up", (("source", "dagster"),))] == 1
    assert got[("cofre_exporter_up", (("source", "lake"),))] == 1


def test_a_failing_source_is_reported_down_not_hidden(tmp_path):
    class Broken:
        def get_runs(self, limit):  # noqa: ANN001, ANN201
            raise ConnectionError("dagster storage unreachable")

    ticks = iter([0.0, 1.0, 20.0])
    c = PlatformCollector(make_settings(tmp_path), instance=Broken(), cache_s=10, clock=lambda: next(ticks))
    first = {(s.name, s.labels.get("source")): s.value for m in c.collect() for s in m.samples}
    assert first[("cofre_exporter_up", "dagster")] == 0 and first[("cofre_exporter_up", "lake")] == 1
    cached = list(c.collect())  # within cache_s: the same families, sources not read again
    assert [m.name for m in cached] == [m.name for m in c._cached[1]]
