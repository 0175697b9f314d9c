"""The scoring models of the gateway, loaded ONCE at start-up from the MLflow registry (alias ``champion``).

:func:`load_scoring` tries each of fraud, credit and recommend; a model without a champion (or whose
registry cannot be read) is recorded as unavailable with the reason, and the endpoints that need it
answer 503 ``model_unavailable`` (problem+json): a fake score is never served. The Feast online store is
warmed up at the same time (the first lookup otherwise costs seconds).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lake.settings import Settings
from serving.errors import Problem

log = logging.getLogger("cofre.serving.scoring")
MODELS = ("fraud", "credit", "recommend")


@dataclass
class Scoring:
    settings: Settings
    models: dict[str, Any] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    features_error: str | None = None

    def get(self, name: str) -> Any:
        """The champion of ``name`` or a 503 ``model_unavailable`` problem."""
        m = self.models.get(name)
        if m is None:
            raise Problem(
                503,
                "model_unavailable",
                f"no {name} model is available: {self.unavailable.get(name, 'not loaded')}",
                model=name,
            )
        return m

    def version(self, name: str) -> str:
        m = self.models[name]
        meta = m.metadata
        return f"{name}:{meta.get('registry_version', '?')}:{meta.get('model_version', '?')}"

    def status(self) -> dict[str, str]:
        out = {}
        for name in MODELS:
            if name in self.models:
                out[name] = f"champion {self.version(name)}"
            else:
                out[name] = f"unavailable: {self.unavailable.get(name, 'not loaded')}"
        if self.features_error:
            out["online_features"] = f"error: {self.features_error}"
        else:
            out["online_features"] = "ok"
        return out


def load_scoring(settings: Settings, names: tuple[str, ...] = MODELS) -> Scoring:
    from mlflow.exceptions import MlflowException

    from models import registry

    sc = Scoring(settings)
    uri = str(settings.mlflow_tracking_uri)
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        for name in names:  # no registry yet: do not create one (creating it costs seconds)
            sc.unavailable[name] = "no model registry"  # where it was looked for stays in the log
        log.info("no model registry at %s: scoring models unavailable", uri)
        return sc
    client = registry.configure(settings)
    for name in names:
        try:
            if registry.current_champion(client, name) is None:
                sc.unavailable[name] = "no champion registered"
                continue
            sc.models[name] = registry.load_champion(name, settings)
        except (MlflowException, OSError, ValueError) as exc:
            # callers see the kind of failure only: messages name registry URLs, paths, credentials
            sc.unavailable[name] = f"registry error ({type(exc).__name__})"
            log.warning("model %s unavailable: %s", name, exc)
    if sc.models:
        try:
            from features.online import warm_up

            warm_up(settings)
        except Exception as exc:  # noqa: BLE001 - reported by /ready, endpoints fail with 503
            sc.features_error = type(exc).__name__
            log.warning("online features unavailable: %s", exc)
    return sc
