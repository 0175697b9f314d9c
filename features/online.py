"""Online feature lookup for the gateway: one thin call over Feast's online store.

``online_features("fraud_v1", [{"customer_pk": ..., "counterparty_pk": ...}], {"amount_cents": ...,
"request_ts": ..., "last_login_at": ..., "last_device_change_at": ...})`` returns ``{feature: [values]}``
(one value per entity row), on-demand features computed at request time. The FeatureStore and the
service objects are built once per settings (Feast import and registry load cost seconds): call
:func:`warm_up` at start-up.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from lake.settings import Settings, get_settings

_lock = threading.Lock()
_stores: dict[tuple, Any] = {}
_services: dict[tuple, Any] = {}


def _key(settings: Settings) -> tuple:
    return (settings.feast_project, settings.feast_online_url, settings.feast_registry_url, str(settings.lake_uri))


def store_for(settings: Settings | None = None):
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


def _service(settings: Settings, name: str):
    k = (*_key(settings), name)
    svc = _services.get(k)
    if svc is None:
        svc = _services[k] = store_for(settings).get_feature_service(name)
    return svc


def warm_up(settings: Settings | None = None, services: Sequence[str] = ("fraud_v1", "credit_v1")) -> None:
    s = settings or get_settings()
    for name in services:
        _service(s, name)


def online_features(service: str, entity_rows: Sequence[Mapping[str, Any]],
                    request_data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None, *,
                    settings: Settings | None = None) -> dict[str, list[Any]]:
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
