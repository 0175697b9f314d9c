"""Per-installation secrets (issue 14, item 3) across processes: six processes starting at once on a
fresh COFRE_HOME agree on one generated secret and leave no temporary file behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lake.settings import load_settings


@pytest.fixture(autouse=True)
def _no_explicit_secrets(monkeypatch):
    for var in ("COFRE_SECRET_KEY", "COFRE_PSEUDONYM_KEY", "COFRE_STELLAR_SECRET_SEED", "COFRE_PROFILE"):
        monkeypatch.delenv(var, raising=False)


_START = (
    "import sys; from lake.settings import load_settings; s = load_settings(home=sys.argv[1]); "
    "print(s.pseudonym_key.get_secret_value(), s.document_link_key().hex())"
)


def test_concurrent_first_start_agrees_on_one_secret(tmp_path):
    """Six processes starting at once on a fresh COFRE_HOME end up with one secret."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _START, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for _ in range(6)
    ]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        outs.append(out.decode().strip())
    assert len(set(outs)) == 1 and len(outs[0].split()) == 2
    assert sorted(os.listdir(tmp_path / "secrets")) == ["installation.json"]  # no temporary left
    assert outs[0].split()[0] == load_settings(home=str(tmp_path)).pseudonym_key.get_secret_value()
