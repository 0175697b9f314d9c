"""`cofre dagster dev`: the Dagster UI over the cofre code location (workspace.yaml), on 127.0.0.1.

Sets DAGSTER_HOME=COFRE_HOME/dagster (deploy/dagster/dagster.yaml copied there; not in the repository
root, where ``dagster dev`` would warn that it "will not be used") and COFRE_DAGSTER_STORAGE, then
execs ``dagster dev`` with SIGINT restored to its default: ``dagster dev`` ignores SIGTERM when
started with SIGINT ignored (as background jobs are), so stop it with SIGINT or SIGTERM either way.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import typer

app = typer.Typer(help="Dagster UI and jobs of the cofre pipelines")
ROOT = Path(__file__).resolve().parents[2]
INSTANCE_YAML = ROOT / "deploy" / "dagster" / "dagster.yaml"


def dagster_env() -> dict[str, str]:
    """Environment for Dagster processes: DAGSTER_HOME and COFRE_DAGSTER_STORAGE under COFRE_HOME."""
    from lake.settings import get_settings

    home = get_settings().home / "dagster"
    storage = home / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(INSTANCE_YAML, home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "COFRE_DAGSTER_STORAGE": str(storage)}


@app.command("dev")
def dev(port: int = typer.Option(3000, help="web UI port on 127.0.0.1")) -> None:
    """Run `dagster dev -w workspace.yaml` on 127.0.0.1 (Ctrl-C to stop)."""
    env = dagster_env()
    exe = str(Path(sys.executable).with_name("dagster"))
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # see the module docstring
    os.chdir(ROOT)
    os.execve(exe, [exe, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)], env)  # nosec B606
