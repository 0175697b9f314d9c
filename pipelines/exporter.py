"""Prometheus exporter of the data platform: Dagster run and asset outcomes, asset freshness, and the
lake's row counts and quarantine per table (what the pipeline-freshness SLO and the lake dashboard read).

Metrics (collected on each scrape, at most once per ``cache_s``):

* ``cofre_dagster_runs_total{job, status}`` — runs in the Dagster instance by outcome (SUCCESS,
  FAILURE, CANCELED, STARTED ...);
* ``cofre_dagster_asset_last_materialization_timestamp_seconds{asset}`` — the last materialisation
  of each asset (``gold/customer_day``); the freshness SLO compares it with ``time()``;
* ``cofre_dagster_asset_materializations_total{asset}`` — materialisation events per asset;
* ``cofre_model_feature_psi{model, feature}`` — the latest PSI of each feature (asset ``models/drift``);
* ``cofre_lake_rows{layer, table}`` — rows of every existing Delta table of the catalog;
* ``cofre_lake_quarantine_rows{source_table}`` — quarantined rows by the table they were meant for;
* ``cofre_exporter_up{source}`` / ``cofre_exporter_scrape_duration_seconds`` — 0 when a source failed.

    python -m pipelines.exporter --port 9464     # 127.0.0.1 only; DAGSTER_HOME from COFRE_HOME
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from lake.settings import Settings, get_settings

log = logging.getLogger("cofre.pipelines.exporter")
RUN_LIMIT = 5000  # newest runs counted; older ones are outside any alert window


def dagster_home(settings: Settings) -> str:
    return os.environ.get("DAGSTER_HOME") or str(settings.home / "dagster")


class PlatformCollector(Collector):
    def __init__(self, settings: Settings, instance: Any = None, cache_s: float = 10.0, clock=time.monotonic):
        self.settings = settings
        self._instance = instance
        self.cache_s = cache_s
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    # --- sources -----------------------------------------------------------------------------------
    def instance(self):  # -> DagsterInstance
        if self._instance is None:
            from dagster import DagsterInstance

            home = dagster_home(self.settings)
            os.makedirs(home, exist_ok=True)
            os.environ.setdefault("COFRE_DAGSTER_STORAGE", os.path.join(home, "storage"))
            self._instance = DagsterInstance.from_config(home)
        return self._instance

    def dagster(self) -> list[Metric]:
        inst = self.instance()
        runs = CounterMetricFamily(
            "cofre_dagster_runs", "Dagster runs by job and outcome", labels=["job", "status"]
        )
        counts: dict[tuple[str, str], int] = {}
        for run in inst.get_runs(limit=RUN_LIMIT):
            key = (run.job_name, run.status.value)
            counts[key] = counts.get(key, 0) + 1
        for (job, status), n in sorted(counts.items()):
            runs.add_metric([job, status], n)
        last = GaugeMetricFamily(
            "cofre_dagster_asset_last_materialization_timestamp_seconds",
            "Unix time of the asset's last materialisation",
            labels=["asset"],
        )
        total = CounterMetricFamily(
            "cofre_dagster_asset_materializations", "Materialisations per asset", labels=["asset"]
        )
        from dagster import AssetRecordsFilter

        for key in sorted(inst.get_asset_keys(), key=lambda k: k.to_user_string()):
            name = "/".join(key.path)
            event = inst.get_latest_materialization_event(key)
            if event is None:
                continue
            last.add_metric([name], event.timestamp)
            records = inst.fetch_materializations(AssetRecordsFilter(asset_key=key), limit=RUN_LIMIT).records
            total.add_metric([name], len(records))
        psi = GaugeMetricFamily(
            "cofre_model_feature_psi",
            "Population stability index of a model feature, last day against training (models/drift)",
            labels=["model", "feature"],
        )
        from dagster import AssetKey

        drift = inst.get_latest_materialization_event(AssetKey(["models", "drift"]))
        if drift is not None and drift.asset_materialization is not None:
            for name, value in sorted(drift.asset_materialization.metadata.items()):
                if name.startswith("psi/") and name.count("/") == 2:
                    _, model, feature = name.split("/")
                    psi.add_metric([model, feature], float(value.value))
        return [runs, last, total, psi]

    def lake(self) -> list[Metric]:
        import polars as pl

        from lake import delta
        from lake.catalog import tables

        rows = GaugeMetricFamily("cofre_lake_rows", "Rows in the current version", labels=["layer", "table"])
        quarantine = GaugeMetricFamily(
            "cofre_lake_quarantine_rows", "Quarantined rows by target table", labels=["source_table"]
        )
        for t in tables():
            if not delta.exists(t, self.settings):
                continue
            rows.add_metric([t.layer, t.name], delta.row_count(t, settings=self.settings))
            if t.name == "quarantine.rows":
                by = delta.scan(t, settings=self.settings).group_by("source_table").agg(pl.len()).collect()
                for source, n in by.iter_rows():
                    quarantine.add_metric([str(source)], n)
        return [rows, quarantine]

    # --- collection --------------------------------------------------------------------------------
    def _fresh(self) -> list[Metric]:
        t0 = time.perf_counter()
        up = GaugeMetricFamily("cofre_exporter_up", "1 when the source was read", labels=["source"])
        out: list[Metric] = []
        for name, fn in (("dagster", self.dagster), ("lake", self.lake)):
            try:
                out += fn()
                up.add_metric([name], 1)
            except Exception as exc:  # noqa: BLE001 - one failing source must not hide the other
                log.warning("exporter: %s unavailable: %s", name, exc)
                up.add_metric([name], 0)
        took = GaugeMetricFamily("cofre_exporter_scrape_duration_seconds", "Time to read the sources")
        took.add_metric([], time.perf_counter() - t0)
        return [*out, up, took]

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = self.clock()
            if self._cached is None or now - self._cached[0] >= self.cache_s:
                self._cached = (now, self._fresh())
            yield from self._cached[1]


def registry(settings: Settings | None = None, **kwargs: Any) -> CollectorRegistry:
    reg = CollectorRegistry()
    reg.register(PlatformCollector(settings or get_settings(), **kwargs))
    return reg


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=9464)
    p.add_argument("--host", default="127.0.0.1")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    server, thread = start_http_server(args.port, addr=args.host, registry=registry())
    log.info("exporter on http://%s:%d/metrics", args.host, args.port)
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
