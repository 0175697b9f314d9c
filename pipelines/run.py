"""Run the code location's named jobs in-process, with one progress line per asset and a report.

Used by ``cofre demo`` and the tests. Each run goes through a named job of the code location
(``lake_job``, ``models_job``, ``drift_job``, ``audit_daily``), so the Dagster UI lists it under that
job (never ``__ephemeral_asset_job__``); with ``persistent`` the runs are recorded in the instance of
DAGSTER_HOME (the one ``make dagster`` shows), else in an ephemeral instance.

Dagster's own log (every event, DEBUG) goes to ``log_file`` when given; the console gets
:class:`Progress` lines only: one per materialised asset (rows, Delta version, seconds), failed
checks and steps, and the asset's own messages once its step has run for more than
``SLOW_STEP_SECONDS`` (long pulls report their counts), one per ``MESSAGE_EVERY_SECONDS``.
:class:`RunReport` keeps what the summary needs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.common.metadata import layer_of
from pipelines.definitions import ASSETS, build_defs

LAYERS = ("bronze", "silver", "gold")
# the named jobs in the order the demo runs them (audit_daily is partitioned: run with a partition key)
JOBS = ("lake_job", "models_job", "drift_job")
DEMO_LAYERS = ("bronze", "silver", "gold", "features", "models", "monitoring")
SLOW_STEP_SECONDS = 5.0
# at most one of a slow step's own messages per this many seconds (warnings always pass)
MESSAGE_EVERY_SECONDS = 15.0


@dataclass
class AssetOutcome:
    key: str
    layer: str
    rows: int | None = None
    version: int | None = None
    seconds: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckOutcome:
    key: str
    passed: bool
    severity: str
    description: str | None


@dataclass
class RunReport:
    """What the runs did: materialised assets, check outcomes, runs (job name -> run id), failures."""

    assets: dict[str, AssetOutcome] = field(default_factory=dict)
    checks: list[CheckOutcome] = field(default_factory=list)
    runs: list[tuple[str, str, bool]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(ok for _, _, ok in self.runs) and not self.failures

    def models(self) -> dict[str, dict[str, Any]]:
        return {k: a.metadata for k, a in self.assets.items() if a.layer == "models"}


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


class Progress(logging.Handler):
    """Dagster log records -> short progress lines on ``echo`` and entries of ``report``."""

    def __init__(self, echo: Callable[[str], None], report: RunReport, total: int) -> None:
        super().__init__(logging.DEBUG)
        self.echo, self.report, self.total = echo, report, total
        self.started: dict[str, float] = {}
        self.last_message: dict[str, float] = {}
        self.done = 0

    def _since(self, step: str | None) -> float:
        return time.perf_counter() - self.started.get(step or "", time.perf_counter())

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        if meta is None:
            return
        step, ev = meta.get("step_key"), meta.get("dagster_event")
        if ev is None:  # a message of the asset's own code
            now, key = time.perf_counter(), step or ""
            slow = self._since(step) > SLOW_STEP_SECONDS
            due = now - self.last_message.get(key, 0.0) >= MESSAGE_EVERY_SECONDS
            if record.levelno >= logging.WARNING or (slow and due and record.levelno >= logging.INFO):
                self.last_message[key] = now
                self.echo(f"        {step}: {meta.get('orig_message', '')[:110]}")
            return
        kind = ev.event_type_value
        if kind == "STEP_START" and step:
            self.started[step] = time.perf_counter()
        elif kind == "ASSET_MATERIALIZATION":
            self._materialised(ev.event_specific_data.materialization, step)
        elif kind == "ASSET_CHECK_EVALUATION":
            e = ev.event_specific_data
            key = f"{e.asset_key.to_user_string()}:{e.check_name}"
            self.report.checks.append(CheckOutcome(key, e.passed, e.severity.value, e.description))
            if not e.passed:
                detail = e.description or {k: _value(v) for k, v in e.metadata.items()}
                self.echo(
                    f"        check {'FAILED' if e.severity.value == 'ERROR' else 'WARN'} {key} {detail}"
                )
        elif kind == "STEP_FAILURE":
            err = ev.event_specific_data.error
            while err is not None and err.cause is not None:
                err = err.cause
            msg = f"step FAILED {step}: {err.message.strip() if err else ''}"
            self.report.failures.append(msg)
            self.echo(f"        {msg}")

    def _materialised(self, m: dg.AssetMaterialization, step: str | None) -> None:
        meta = {k: _value(v) for k, v in m.metadata.items()}
        key = m.asset_key.to_user_string()
        rows = meta.get("dagster/row_count", meta.get("rows"))
        version = meta.get("delta_version")
        out = AssetOutcome(key, layer_of(m.asset_key), rows, version, self._since(step), meta)
        self.report.assets[key] = out
        self.done += 1
        what = f"{rows:>11,} rows".replace(",", " ") if isinstance(rows, int) else " " * 16
        ver = f"v{version}" if version is not None else ""
        extra = ""
        if out.layer == "models":
            metrics = {k.split("/", 1)[1]: v for k, v in meta.items() if k.startswith("metric/")}
            extra = "  " + " ".join(f"{k}={v:.3f}" for k, v in list(metrics.items())[:3])
        self.echo(f"  [{self.done:>2}/{self.total}] {key:<44} {what} {ver:>5} {out.seconds:6.1f}s{extra}")


def _logger(handlers: Sequence[logging.Handler]) -> dg.LoggerDefinition:
    @dg.logger(description="cofre runner: progress lines and the full log file")
    def cofre_logger(_init: dg.InitLoggerContext) -> logging.Logger:
        lg = logging.Logger("cofre.run", level=logging.DEBUG)
        for h in handlers:
            lg.addHandler(h)
        return lg

    return cofre_logger


def run_job(
    name: str,
    *,
    report: RunReport,
    echo: Callable[[str], None] = print,
    instance: dg.DagsterInstance,
    defs: dg.Definitions,
    asset_selection: Sequence[dg.AssetKey] | None = None,
    partition_key: str | None = None,
    log_file: Path | None = None,
) -> bool:
    """Execute the named job ``name`` (optionally a subset of its assets, one partition); True if it succeeded."""
    job = defs.resolve_job_def(name)
    keys = (
        list(asset_selection) if asset_selection is not None else list(job.asset_layer.executable_asset_keys)
    )
    handlers: list[logging.Handler] = [Progress(echo, report, len(keys))]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        handlers.append(fh)
    t0 = time.perf_counter()
    echo(f"[{name}] {len(keys)} assets" + (f", partition {partition_key}" if partition_key else "") + " ...")
    try:
        res = job.with_logger_defs({"cofre": _logger(handlers)}).execute_in_process(
            run_config={"loggers": {"cofre": {}}},  # only this logger: no DEBUG console output
            instance=instance,
            raise_on_error=False,
            asset_selection=asset_selection,
            partition_key=partition_key,
            tags={"cofre/runner": "pipelines.run"},
        )
    finally:
        for h in handlers[1:]:
            h.close()
    report.runs.append((name, res.run_id, res.success))
    echo(
        f"[{name}] {'ok' if res.success else 'FAILED'} in {time.perf_counter() - t0:.1f}s (run {res.run_id[:8]})"
    )
    return res.success


def job_of(key: dg.AssetKey, defs: dg.Definitions, jobs: Sequence[str]) -> str | None:
    """The first of ``jobs`` whose selection holds ``key``."""
    for name in jobs:
        if key in defs.resolve_job_def(name).asset_layer.executable_asset_keys:
            return name
    return None


def run_layers(
    *,
    echo: Callable[[str], None] = print,
    persistent: bool = False,
    lake_uri: str | None = None,
    world_folder: str | None = None,
    layers: tuple[str, ...] = LAYERS,
    log_file: Path | None = None,
    report: RunReport | None = None,
    instance: dg.DagsterInstance | None = None,
) -> bool:
    """Materialise the assets of ``layers`` through the named jobs that hold them (lake_job for the lake
    and the Feast store, models_job, drift_job), in that order; True when every step succeeded."""
    defs = build_defs(lake_uri, world_folder)
    if instance is None:
        instance = dg.DagsterInstance.get() if persistent else dg.DagsterInstance.ephemeral()
    report = report if report is not None else RunReport()
    wanted = [k for a in ASSETS for k in a.keys if layer_of(k) in layers]
    ok = True
    for name in JOBS:
        keys = [k for k in wanted if job_of(k, defs, JOBS) == name]
        if keys:
            ok = (
                run_job(
                    name,
                    report=report,
                    echo=echo,
                    instance=instance,
                    defs=defs,
                    asset_selection=keys,
                    log_file=log_file,
                )
                and ok
            )
    return ok and report.ok
