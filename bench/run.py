"""`make bench`: run every benchmark module in bench/ in one run and print their figures.

Usage: python -m bench.run [name ...]   (names are module names under bench/, default: all)
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench

SKIP = {"run"}


def main(argv: list[str] | None = None) -> int:
    names = (
        argv if argv else sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name not in SKIP)
    )
    failed = []
    for name in names:
        mod = importlib.import_module(f"bench.{name}")
        if not hasattr(mod, "main"):
            continue
        print(f"\n=== bench.{name} ===", flush=True)
        t0 = time.perf_counter()
        try:
            mod.main()
        except Exception as exc:  # noqa: BLE001 - keep going: one broken benchmark must not hide the others
            failed.append(name)
            print(f"bench.{name} FAILED: {exc!r}", flush=True)
        print(f"--- bench.{name}: {time.perf_counter() - t0:.1f} s", flush=True)
    if failed:
        print(f"failed benchmarks: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
