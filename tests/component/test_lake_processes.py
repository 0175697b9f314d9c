"""The lake's CLI and writer across processes: `cofre lake sql "SELECT 1"` in a fresh interpreter imports
no data stack, and a Dagster step stamps its run id on the Delta commit it writes."""

from __future__ import annotations

import pytest
from lake_helpers import transactions, use_tmp_lake

from lake import delta

TX = "silver.transactions"


@pytest.fixture(autouse=True)
def _lake(monkeypatch, tmp_path):
    use_tmp_lake(monkeypatch, tmp_path)


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


def test_a_dagster_step_stamps_its_run_id_on_the_commit():
    import dagster as dg

    @dg.asset(name="probe_write")
    def probe_write() -> None:
        delta.append(TX, transactions(["t1"]))

    res = dg.materialize([probe_write])
    assert res.success
    last = delta.history(TX, limit=1)[0]
    assert last["cofre.run_id"] == res.run_id
