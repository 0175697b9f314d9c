"""`make security`'s secrets check: a new secret fails, an audited false positive passes, a baseline
entry nobody audited fails (deploy/secrets_scan.py over the real detect-secrets scanner)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("secrets_scan", REPO / "deploy" / "secrets_scan.py")
secrets_scan = importlib.util.module_from_spec(spec)
spec.loader.exec_module(secrets_scan)

# assembled at run time so this file itself holds no secret-looking literal
LEAK = "aws_secret_access_key = " + '"' + "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEYz9" + '"\n'


def _scan(tmp_path: Path, text: str) -> dict:
    f = tmp_path / "config.py"
    f.write_text(text)
    exe = Path(sys.executable).with_name("detect-secrets")
    out = subprocess.run([str(exe), "scan", f.name], cwd=tmp_path, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_a_new_secret_fails_the_scan(tmp_path):
    fresh = _scan(tmp_path, "import os\n" + LEAK)
    problems = secrets_scan.check(fresh, {"results": {}})
    assert problems and "new secret: config.py:2" in problems[0], problems


def test_an_audited_false_positive_passes_even_when_it_moves(tmp_path):
    baseline = secrets_scan.update(_scan(tmp_path, LEAK), {"results": {}})
    for items in baseline["results"].values():
        for item in items:
            item["is_secret"] = False
    moved = _scan(tmp_path, "\n\n# a comment above\n" + LEAK)
    assert secrets_scan.check(moved, baseline) == []


def test_an_unaudited_baseline_entry_fails(tmp_path):
    fresh = _scan(tmp_path, LEAK)
    baseline = secrets_scan.update(fresh, {"results": {}})  # scanned, never audited
    problems = secrets_scan.check(fresh, baseline)
    assert problems and "not audited" in problems[0], problems


def test_the_committed_baseline_is_fully_audited():
    baseline = json.loads((REPO / ".secrets.baseline").read_text())
    entries = [i for items in baseline["results"].values() for i in items]
    assert entries and all(i.get("is_secret") is False for i in entries)
