"""Secrets scan of the tracked tree (``make security``): detect-secrets over every file git tracks,
compared with the committed, audited baseline ``.secrets.baseline``.

A finding passes only when the baseline holds the same file, secret hash and type and an auditor
marked it ``is_secret: false`` (test passwords, documentation placeholders, check-digit fixtures).
Line numbers are not compared, so editing a file above an allowed fixture does not fail the scan.

    python deploy/secrets_scan.py            # check (exit 1 on a new or unaudited secret)
    python deploy/secrets_scan.py --update   # rewrite the baseline, keeping earlier audit verdicts
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess  # nosec B404
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / ".secrets.baseline"


def scan() -> dict:
    exe = Path(sys.executable).with_name("detect-secrets")
    files = subprocess.run(  # nosec B603 B607 # git with a fixed argv
        ["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True
    ).stdout.split(b"\0")
    names = [n for n in (f.decode() for f in files if f) if n != BASELINE.name and (REPO / n).is_file()]
    # one scanner per core, each over every other file (the scan is CPU-bound and single-threaded)
    n = max(1, min(len(names), os.cpu_count() or 1))
    chunks = [names[i::n] for i in range(n)]
    procs = [
        subprocess.Popen(  # nosec B603 # detect-secrets from this venv, tracked file names
            [str(exe), "scan", *chunk], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        for chunk in chunks
        if chunk
    ]
    merged: dict = {}
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, proc.args)
        part = json.loads(out)
        results = {**merged.get("results", {}), **part["results"]}
        merged = {**part, "results": dict(sorted(results.items()))}
    return merged


def _key(path: str, item: dict) -> tuple[str, str, str]:
    return path, item["hashed_secret"], item["type"]


def check(fresh: dict, baseline: dict) -> list[str]:
    allowed = {
        _key(path, item): item for path, items in baseline.get("results", {}).items() for item in items
    }
    problems = []
    for path, items in fresh["results"].items():
        for item in items:
            known = allowed.get(_key(path, item))
            where = f"{path}:{item['line_number']} {item['type']}"
            if known is None:
                problems.append(f"new secret: {where} (remove it, or audit it into .secrets.baseline)")
            elif known.get("is_secret") is not False:
                problems.append(f"baseline entry not audited as a false positive: {where}")
    return problems


def update(fresh: dict, baseline: dict) -> dict:
    verdicts = {
        _key(path, item): item.get("is_secret")
        for path, items in baseline.get("results", {}).items()
        for item in items
    }
    for path, items in fresh["results"].items():
        for item in items:
            verdict = verdicts.get(_key(path, item))
            if verdict is not None:
                item["is_secret"] = verdict
    return fresh


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the baseline (keeps audit verdicts)")
    args = parser.parse_args(argv)
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {"results": {}}
    fresh = scan()
    if args.update:
        BASELINE.write_text(json.dumps(update(fresh, baseline), indent=2, sort_keys=True) + "\n")
        print(f"wrote {BASELINE}")
        return 0
    problems = check(fresh, baseline)
    n = sum(len(v) for v in fresh["results"].values())
    files = len(fresh["results"])
    if problems:
        print("detect-secrets: FAILED")
        for p in problems:
            print("  " + p)
        return 1
    print(f"detect-secrets: {n} findings in {files} files, all audited false positives in the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
