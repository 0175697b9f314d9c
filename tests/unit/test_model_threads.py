"""Training thread pools (models/threads.py): OpenMP limited while a model trains, passive waiting.

The defect (issue 21): the models step took 14x longer next to other CPU-bound jobs, because
HistGradientBoosting ran OpenMP on every core with libgomp's spinning wait. The figures are in
bench/models_under_load.py (the Dagster models assets and ``cofre models train`` train inside
``training_threads``); here: the pools really are limited inside it, and the CLI sets a passive wait.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_info

from lake.settings import SettingsError
from models.threads import SMALL_BATCH, predict_threads, training_threads


def _openmp_threads() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"}


def test_training_threads_limits_openmp_to_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from lake.settings import get_settings

    assert get_settings().model_threads == 1  # the embedded default
    X = np.arange(200.0).reshape(100, 2)
    with training_threads():
        HistGradientBoostingClassifier(max_iter=2).fit(X, X[:, 0] > 50)  # loads OpenMP if not yet
        assert _openmp_threads() == {1}
    with training_threads(2):
        assert _openmp_threads() == {2}
    before = _openmp_threads()
    with training_threads(0):  # 0: the libraries' own default, untouched
        assert _openmp_threads() == before
    monkeypatch.setenv("COFRE_MODEL_THREADS", "-1")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="COFRE_MODEL_THREADS"):
            get_settings()
    finally:
        monkeypatch.delenv("COFRE_MODEL_THREADS")
        get_settings.cache_clear()


def test_predict_threads_one_thread_for_small_batches() -> None:
    with predict_threads(SMALL_BATCH - 1):
        assert _openmp_threads() == {1}


def test_cli_sets_passive_wait_unless_set() -> None:
    code = "import os, cofre.cli; print(os.environ.get('OMP_WAIT_POLICY'))"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ACTIVE"
