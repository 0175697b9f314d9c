"""The common shape of a cofre model and its MLflow pyfunc wrapper.

Every trained model (credit, fraud, recommend) is a plain picklable object with
``metadata`` (name, version, feature list, threshold(s), training fingerprint ...) and
``predict_frame(df) -> pandas.DataFrame``. :class:`PyfuncAdapter` wraps it for MLflow's pyfunc
flavour so the registry stores one artefact that both the generic ``pyfunc.predict`` and the
typed object (``unwrap``) can be recovered from.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import mlflow.pyfunc


@runtime_checkable
class CofreModel(Protocol):
    metadata: dict[str, Any]

    def predict_frame(self, df: Any) -> Any: ...


class PyfuncAdapter(mlflow.pyfunc.PythonModel):
    """MLflow pyfunc wrapper around a :class:`CofreModel` (pickled with cloudpickle by MLflow)."""

    def __init__(self, model: CofreModel) -> None:
        self.model = model

    # MLflow reads the type hints of predict() as the model's input schema and converts the input to
    # match: unannotated on purpose, so the model gets the frame as given (context, params: unused)
    def predict(self, context, model_input, params=None):  # noqa: ANN001, ANN201
        return self.model.predict_frame(model_input)
