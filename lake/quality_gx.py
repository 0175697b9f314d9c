"""great-expectations 1.x execution of :mod:`lake.quality` suites: validation reports and GX-based split.

Each :class:`lake.quality.Check` becomes GX expectations on an ephemeral context with a pandas
datasource (GX does not take polars frames, so the frame goes through ``to_pandas()``):

* ``not_null`` -> ``ExpectColumnValuesToNotBeNull`` per column;
* ``between`` -> ``ExpectColumnValuesToBeBetween`` (Decimal columns are validated as float here);
* ``in_set`` -> ``ExpectColumnValuesToBeInSet``; ``regex`` -> ``ExpectColumnValuesToMatchRegex``;
* ``unique`` -> ``ExpectColumnValuesToBeUnique`` / ``ExpectCompoundColumnsToBeUnique``;
* ``cpf``/``cnpj`` -> a derived boolean column ``__valid_<kind>__<col>`` (the check-digit rule of
  :mod:`lake.domain.document_checks`, which GX lacks) with ``ExpectColumnValuesToBeInSet([True])``.

:func:`failure_flags_gx` runs with ``result_format=COMPLETE`` and turns ``unexpected_index_list``
into per-check flags (identical to the polars flags; tested). :func:`gx_report` runs with
``SUMMARY`` on the whole frame or a seeded sample and returns a :class:`GxReport`.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from lake.domain.document_checks import is_valid_cnpj, is_valid_cpf
from lake.quality import Check, Suite

_VALIDITY = {"cpf": is_valid_cpf, "cnpj": is_valid_cnpj}


def _derived(ch: Check) -> str:
    return f"__valid_{ch.kind}__{ch.column}"


@functools.lru_cache(maxsize=1)
def _batch_definition():
    import great_expectations as gx

    ctx = gx.get_context(mode="ephemeral")
    with contextlib.suppress(Exception):  # progress bars are cosmetic
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = ctx.data_sources.add_pandas("cofre_frames").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole")


def expectations_for(ch: Check) -> list[Any]:
    """The GX expectations implementing one check."""
    import great_expectations as gx

    E = gx.expectations
    p = ch.params
    if ch.kind == "not_null":
        return [E.ExpectColumnValuesToNotBeNull(column=c) for c in ch.columns]
    if ch.kind == "between":
        lo, hi = p.get("min"), p.get("max")
        return [E.ExpectColumnValuesToBeBetween(column=ch.column, min_value=lo, max_value=hi)]
    if ch.kind == "in_set":
        return [E.ExpectColumnValuesToBeInSet(column=ch.column, value_set=list(p["values"]))]
    if ch.kind == "regex":
        return [E.ExpectColumnValuesToMatchRegex(column=ch.column, regex=p["pattern"])]
    if ch.kind == "unique":
        if len(ch.columns) == 1:
            return [E.ExpectColumnValuesToBeUnique(column=ch.column)]
        return [E.ExpectCompoundColumnsToBeUnique(column_list=list(ch.columns))]
    if ch.kind in _VALIDITY:
        return [E.ExpectColumnValuesToBeInSet(column=_derived(ch), value_set=[True])]
    raise ValueError(f"no GX mapping for check kind {ch.kind!r}")


def _to_pandas(df: pl.DataFrame, suite: Suite):
    derived = [
        _VALIDITY[ch.kind](pl.col(ch.column)).alias(_derived(ch))
        for ch in suite.checks
        if ch.kind in _VALIDITY
    ]
    cols = sorted(suite.columns)
    frame = df.select(cols).with_columns(derived) if derived else df.select(cols)
    frame = frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))
    return frame.to_pandas()


_SIG_KEYS = ("column", "column_list", "min_value", "max_value", "value_set", "regex")


def _signature(kind: str, kwargs: dict[str, Any]) -> str:
    return repr((kind, [(k, kwargs.get(k)) for k in _SIG_KEYS]))


def _run(df: pl.DataFrame, suite: Suite, result_format: str) -> list[tuple[Check, list[Any]]]:
    """Validate; return each check with the GX results of its expectations."""
    import great_expectations as gx

    pdf = _to_pandas(df, suite)
    batch_definition = _batch_definition()  # creates the ephemeral context suites need
    expectations: list[Any] = []
    owners: list[Check] = []
    for ch in suite.checks:
        for exp in expectations_for(ch):
            expectations.append(exp)
            owners.append(ch)
    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=expectations)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": pdf})
    result = batch.validate(gx_suite, result_format={"result_format": result_format})
    if len(result.results) != len(owners):
        raise RuntimeError(f"GX returned {len(result.results)} results for {len(owners)} expectations")
    # GX may reorder results: match each result to its expectation by type and arguments
    pending: dict[str, list[Any]] = {}
    for r in result.results:
        pending.setdefault(_signature(r.expectation_config.type, r.expectation_config.kwargs), []).append(r)
    grouped: dict[str, list[Any]] = {ch.name: [] for ch in suite.checks}
    for exp, ch in zip(gx_suite.expectations, owners, strict=True):
        sig = _signature(exp.expectation_type, exp.configuration.kwargs)
        if not pending.get(sig):
            raise RuntimeError(f"GX returned no result for check {ch.name} ({sig})")
        grouped[ch.name].append(pending[sig].pop(0))
    return [(ch, grouped[ch.name]) for ch in suite.checks]


def failure_flags_gx(df: pl.DataFrame, suite: Suite) -> pl.DataFrame:
    """Per-check failure flags from GX ``unexpected_index_list`` (COMPLETE result format)."""
    n = df.height
    cols: list[pl.Series] = []
    for ch, results in _run(df, suite, "COMPLETE"):
        idx: set[int] = set()
        for r in results:
            if r.exception_info and r.exception_info.get("raised_exception"):
                raise RuntimeError(
                    f"GX failed on check {ch.name}: {r.exception_info.get('exception_message')}"
                )
            for i in r.result.get("unexpected_index_list") or []:
                idx.add(int(i))
        mask = pl.Series(ch.name, [False] * n, dtype=pl.Boolean)
        if idx:
            mask = mask.scatter(sorted(idx), True)
        cols.append(mask)
    return pl.DataFrame(cols) if cols else pl.DataFrame()


@dataclass
class GxReport:
    """Outcome of a GX validation: per-check success and unexpected counts."""

    suite: str
    success: bool
    rows_validated: int
    rows_total: int
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sampled(self) -> bool:
        return self.rows_validated < self.rows_total

    def failed_checks(self) -> list[str]:
        return [c["check"] for c in self.checks if not c["success"]]


def gx_report(
    df: pl.DataFrame, suite: Suite, *, sample_rows: int | None = 200_000, seed: int = 0
) -> GxReport:
    """Validate ``df`` (or a seeded sample of ``sample_rows``) with GX; unique checks see the sample only."""
    frame = df.sample(n=sample_rows, seed=seed) if sample_rows is not None and df.height > sample_rows else df
    checks = []
    for ch, results in _run(frame, suite, "SUMMARY"):
        unexpected = sum(int(r.result.get("unexpected_count") or 0) for r in results)
        checks.append(
            {
                "check": ch.name,
                "rule": ch.describe(),
                "success": all(r.success for r in results),
                "unexpected_count": unexpected,
                "expectations": [r.expectation_config.type for r in results],
            }
        )
    return GxReport(suite.name, all(c["success"] for c in checks), frame.height, df.height, checks)
