"""Training under load: model training idle and next to a busy process, with the thread settings of
:mod:`models.threads`.

``BENCH_LOAD_MODE=quick`` (default; minutes on the shared machine): three fits of the recommender on
a small simulated world inside ``training_threads`` as the models assets run them.
``BENCH_LOAD_MODE=step``: the whole Dagster models step (fraud, credit, recommend, drift);
it builds a small world once (``cofre demo`` on a temporary COFRE_HOME, ``BENCH_LOAD_CUSTOMERS`` x
``BENCH_LOAD_MONTHS``; the credit model needs about 2 000 x 12 to train), or copies an existing
built home (``BENCH_LOAD_HOME``, e.g. one ``make demo`` filled), then times the ``models`` layer
(:func:`pipelines.run.run_layers`) in fresh
processes, in the same run: idle, and while one CPU-bound busy-loop process runs. The machine is
shared, so "idle" is only "no extra load from this bench"; the ratio is the figure. Configurations
(``BENCH_LOAD_THREADS``, default ``1``; ``1,0`` adds the old one): ``COFRE_MODEL_THREADS=1`` (the
default, :mod:`models.threads`) and ``0`` (before: OpenMP on every core with libgomp's spinning wait).

Goal (issue 21): loaded <= 2.5 x idle.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEP = (
    "import sys\n"
    "from pipelines.run import run_layers\n"
    "sys.exit(0 if run_layers(layers=('models',), echo=lambda m: None) else 1)\n"
)
# quick mode: one of the models step's trainings (the recommender on a small simulated world), as the
# asset runs it: inside models.threads.training_threads(Settings.model_threads)
QUICK = (
    "from models.threads import training_threads\n"
    "from models.recommend.history import add_history\n"
    "from models.recommend.ranker import fit_ranker\n"
    "from models.recommend.simulate_offers import make_customers, simulate_offers\n"
    "from models.recommend.train import split_period\n"
    "cu = make_customers(1500, seed=1)\n"
    "train, _ = split_period(add_history(simulate_offers(cu, seed=1, periods=8)))\n"
    "with training_threads():\n"
    "    for seed in range(3):\n"
    "        fit_ranker(cu, train, seed=seed)\n"
)
TIMEOUT_S = 900


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    env.update(
        COFRE_HOME=str(home),
        COFRE_SIM_CUSTOMERS=os.environ.get("BENCH_LOAD_CUSTOMERS", "2000"),
        COFRE_SIM_MONTHS=os.environ.get("BENCH_LOAD_MONTHS", "12"),
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def _models_step(env: dict[str, str], busy: bool, code: str = STEP) -> float:
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, timeout=TIMEOUT_S, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"training failed: {done.stderr[-2000:]}")
        return time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        return float("inf")
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


def _build(home: Path) -> None:
    t0 = time.perf_counter()
    if os.environ.get("BENCH_LOAD_HOME"):
        # the stack's running state (sockets, server data) is not part of a built home
        skip = shutil.ignore_patterns("stack", "*.sock")
        shutil.copytree(os.environ["BENCH_LOAD_HOME"], home, dirs_exist_ok=True, symlinks=True, ignore=skip)
        print(f"copied {os.environ['BENCH_LOAD_HOME']} in {time.perf_counter() - t0:.0f} s", flush=True)
        return
    done = subprocess.run(
        [sys.executable, "-m", "cofre.cli", "demo"], env=_env(home), cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"cofre demo failed: {done.stdout[-1500:]}")
    print(f"world built and first models run in {time.perf_counter() - t0:.0f} s", flush=True)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="cofre-bench-load-"))
    quick = os.environ.get("BENCH_LOAD_MODE", "quick") == "quick"
    try:
        if quick:
            print("quick mode: 3 recommender fits (1 500 simulated customers x 8 rounds) per measurement")
        else:
            _build(home)
        names = {"1": "model_threads=1 (default)", "0": "model_threads=0 (before: all cores, spinning)"}
        print(f"{'configuration':<50} {'idle s':>8} {'+1 busy s':>10} {'ratio':>7}")
        for threads in os.environ.get("BENCH_LOAD_THREADS", "1").split(","):
            env = _env(home, COFRE_MODEL_THREADS=threads)
            idle = _models_step(env, busy=False, code=QUICK if quick else STEP)
            loaded = _models_step(env, busy=True, code=QUICK if quick else STEP)
            name = names.get(threads, f"model_threads={threads}")
            if loaded == float("inf"):
                print(f"{name:<50} {idle:>8.1f} {'timeout':>10}", flush=True)
                continue
            print(f"{name:<50} {idle:>8.1f} {loaded:>10.1f} {loaded / idle:>7.2f}", flush=True)
        print("goal: ratio <= 2.5 for the default configuration")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
