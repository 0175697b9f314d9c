"""What the Dagster UI shows about the lake's assets: layers, descriptions, table schemas, Delta versions.

* :func:`annotate` (applied to every asset spec by :mod:`pipelines.definitions`): the asset's layer as
  the tag ``cofre/layer`` and, for the medallion layers, as a kind (``bronze``/``silver``/``gold``
  icons); for a lake table the catalog's column schema (``dagster/column_schema``, with PII levels and
  nullability), its name (``dagster/table_name``) and the catalog description when the asset has none.
* :func:`delta_metadata`: what one materialisation left in the lake, attached to its result: the Delta
  version, the table's path, its row count (``dagster/row_count``) and the schema actually written.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from lake.catalog import UnknownTableError, get_table
from lake.settings import Settings

LAYER_TAG = "cofre/layer"
MEDALLION = ("bronze", "silver", "gold")
# the first key part of the assets that are not lake tables -> their layer
OTHER_LAYERS = {"features": "features", "models": "models", "audit": "audit"}


def table_of(key: dg.AssetKey) -> str | None:
    """The lake table behind an asset key (``["silver", "customers"]`` -> ``silver.customers``), if any."""
    if len(key.path) != 2 or key.path[0] not in MEDALLION:
        return None
    try:
        return get_table(".".join(key.path)).name
    except UnknownTableError:
        return None


def layer_of(key: dg.AssetKey) -> str:
    if key.path[0] in MEDALLION:
        return key.path[0]
    if key.path == ["models", "drift"]:
        return "monitoring"
    return OTHER_LAYERS.get(key.path[0], key.path[0])


def catalog_schema(table: str) -> dg.TableSchema:
    """The catalog's columns as a Dagster table schema (type, description, PII level, nullability)."""
    t = get_table(table)
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=str(c.dtype),
                description=" ".join(x for x in (c.description, f"[PII: {c.pii}]" if c.pii else "") if x)
                or None,
                constraints=dg.TableColumnConstraints(nullable=c.nullable, unique=t.primary_key == (c.name,)),
            )
            for c in t.columns
        ]
    )


def annotate(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Layer tag and kind, catalog schema and description on one asset spec (see the module docstring)."""
    layer = layer_of(spec.key)
    table = table_of(spec.key)
    kinds = {*spec.kinds, layer} if layer in MEDALLION else set(spec.kinds)
    description = spec.description
    metadata: dict[str, Any] = {}
    if table is not None:
        t = get_table(table)
        description = description or t.description
        metadata = {"dagster/column_schema": catalog_schema(table), "dagster/table_name": table}
        if t.primary_key:
            metadata["primary_key"] = ", ".join(t.primary_key)
    return spec.replace_attributes(
        kinds=kinds, tags={**spec.tags, LAYER_TAG: layer}, description=description
    ).merge_attributes(metadata=metadata)


def _written_schema(table: str, settings: Settings) -> dg.TableSchema:
    from lake import delta

    schema = delta.scan(table, settings=settings).collect_schema()
    return dg.TableSchema(columns=[dg.TableColumn(name=n, type=str(t)) for n, t in schema.items()])


def delta_metadata(table: str, settings: Settings) -> dict[str, dg.MetadataValue]:
    """Delta version, path, row count and written schema of ``table`` now (after this step's commit)."""
    from lake import delta

    if not delta.exists(table, settings):
        return {"dagster/row_count": dg.MetadataValue.int(0)}
    return {
        "dagster/row_count": dg.MetadataValue.int(delta.row_count(table, settings=settings)),
        "delta_version": dg.MetadataValue.int(delta.version(table, settings)),
        "path": dg.MetadataValue.path(delta.table_uri(table, settings)),
        "dagster/column_schema": dg.MetadataValue.table_schema(_written_schema(table, settings)),
    }
