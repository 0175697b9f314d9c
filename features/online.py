"""Online feature lookup for the gateway: one thin call over Feast's online store.

``online_features("fraud_v1", [{"customer_pk": ..., "counterparty_pk": ...}], {"amount_cents": ...,
"request_ts": ..., "last_login_at": ..., "last_device_change_at": ...})`` returns ``{feature: [values]}``
(one value per entity row), on-demand features computed at request time. The FeatureStore and the
service objects are built once per settings (Feast import and registry load cost seconds): call
:func:`warm_up` at start-up.

:func:`online_row` is the one-entity fast path of the gateway: the same values as
``online_features`` for one row, read with the provider's ``online_read`` per feature view (any
online store Feast supports) and the on-demand views' own transforms from the registry, without
Feast's response-building machinery (about 1 ms of CPU per call, against ~0.2 ms here). Request data
goes through Feast's type conversion both ways, so e.g. timestamps keep Feast's whole seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lake.settings import Settings, get_settings

if TYPE_CHECKING:
    from feast import FeatureService, FeatureStore

_lock = threading.Lock()
_stores: dict[tuple, Any] = {}
_services: dict[tuple, Any] = {}
_plans: dict[tuple, _Plan] = {}


def _key(settings: Settings) -> tuple:
    return (
        settings.feast_project,
        settings.feast_online_url,
        settings.feast_registry_url,
        str(settings.lake_uri),
    )


def store_for(settings: Settings | None = None) -> FeatureStore:
    """The process-wide FeatureStore for these settings."""
    s = settings or get_settings()
    k = _key(s)
    store = _stores.get(k)
    if store is None:
        with _lock:
            store = _stores.get(k)
            if store is None:
                from features.store import get_store

                store = _stores[k] = get_store(s)
    return store


def _service(settings: Settings, name: str) -> FeatureService:
    k = (*_key(settings), name)
    svc = _services.get(k)
    if svc is None:
        svc = _services[k] = store_for(settings).get_feature_service(name)
    return svc


def warm_up(settings: Settings | None = None, services: Sequence[str] = ("fraud_v1", "credit_v1")) -> None:
    s = settings or get_settings()
    for name in services:
        _service(s, name)
        _plan(s, name)


@dataclass(frozen=True)
class _View:
    view: Any  # feast FeatureView (as in the registry)
    features: tuple[str, ...]  # the service's features of this view
    join_keys: tuple[str, ...]


@dataclass(frozen=True)
class _OnDemand:
    transform: Callable[[dict[str, list[Any]]], dict[str, list[Any]]]
    features: tuple[str, ...]  # the service's outputs of this view
    sources: tuple[str, ...]  # batch views it reads
    request: tuple[tuple[str, Any], ...]  # (request field, feast ValueType) pairs


@dataclass(frozen=True)
class _Plan:
    """What one service reads: its batch views, then its python-mode on-demand views, in order."""

    views: tuple[_View, ...]
    on_demand: tuple[_OnDemand, ...]
    provider: Any
    config: Any


def _plan(settings: Settings, name: str) -> _Plan:
    k = (*_key(settings), name)
    plan = _plans.get(k)
    if plan is not None:
        return plan
    store = store_for(settings)
    views: list[_View] = []
    on_demand: list[_OnDemand] = []
    for proj in _service(settings, name).feature_view_projections:
        try:
            odfv = store.get_on_demand_feature_view(proj.name)
        except Exception:  # noqa: BLE001 - not an on-demand view: a batch view
            odfv = None
        if odfv is None:
            fv = store.get_feature_view(proj.name)
            views.append(
                _View(fv, tuple(f.name for f in proj.features), tuple(c.name for c in fv.entity_columns))
            )
            continue
        if odfv.mode != "python" or odfv.write_to_online_store or odfv.aggregations:
            raise ValueError(
                f"online_row supports python-mode on-demand views computed at request time, not {odfv.name!r}"
            )
        request = tuple(
            (f.name, f.dtype.to_value_type())
            for src in odfv.source_request_sources.values()
            for f in src.schema
        )
        on_demand.append(
            _OnDemand(
                odfv.feature_transformation.udf,
                tuple(f.name for f in proj.features),
                tuple(odfv.source_feature_view_projections),
                request,
            )
        )
    plan = _plans[k] = _Plan(tuple(views), tuple(on_demand), store._get_provider(), store.config)
    return plan


def online_row(
    service: str,
    entity: Mapping[str, Any],
    request_data: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """One entity row of ``service``: ``{feature: value}`` plus the entity's join keys, the same values
    as ``online_features(service, [entity], request_data)`` (a missing entity gives None features)."""
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value
    from feast.type_map import feast_value_type_to_python_type, python_values_to_proto_values

    s = settings or get_settings()
    plan = _plan(s, service)
    out: dict[str, Any] = dict(entity)
    read: dict[str, dict[str, Any]] = {}
    for v in plan.views:
        key = EntityKey(
            join_keys=list(v.join_keys), entity_values=[Value(string_val=entity[j]) for j in v.join_keys]
        )
        _ts, values = plan.provider.online_read(plan.config, v.view, [key], list(v.features))[0]
        got = {
            f: (feast_value_type_to_python_type(values[f]) if values and f in values else None)
            for f in v.features
        }
        read[v.view.name] = got
        out.update(got)
    for od in plan.on_demand:
        inputs: dict[str, list[Any]] = {k: [val] for k, val in entity.items()}
        for src in od.sources:
            inputs.update({f: [val] for f, val in read[src].items()})
        missing = [f for f, _ in od.request if f not in (request_data or {})]
        if missing:  # as Feast: request data is required (a None value is fine)
            raise ValueError(f"request data {missing} missing for {service!r}")
        for field, vtype in od.request:
            raw = request_data[field]
            proto = python_values_to_proto_values([raw], vtype)[0]
            inputs[field] = [feast_value_type_to_python_type(proto)]
        result = od.transform(inputs)
        out.update({f: result[f][0] for f in od.features})
    return out


def online_features(
    service: str,
    entity_rows: Sequence[Mapping[str, Any]],
    request_data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    *,
    settings: Settings | None = None,
) -> dict[str, list[Any]]:
    """Features of ``service`` for ``entity_rows`` (+ request data: one mapping for all rows, or one per row)."""
    s = settings or get_settings()
    if request_data is None:
        rows = [dict(r) for r in entity_rows]
    elif isinstance(request_data, Mapping):
        rows = [{**r, **request_data} for r in entity_rows]
    else:
        if len(request_data) != len(entity_rows):
            raise ValueError("request_data must be one mapping or one per entity row")
        rows = [{**r, **d} for r, d in zip(entity_rows, request_data, strict=True)]
    return store_for(s).get_online_features(features=_service(s, service), entity_rows=rows).to_dict()
