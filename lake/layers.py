"""The lake's layers and who may read their files: names, restricted layers, POSIX modes per layer.

Kept apart from :mod:`lake.catalog` (which needs polars and pyarrow for its schemas) so that the
auditor CLI can name layers without importing the data stack.

File permissions on a local lake (``settings.lake_uri`` a path): cofre restricts bronze inside its
own tools (the auditor hides it), but a plain ``duckdb`` or ``cat`` reads whatever the file modes
allow. :func:`secure_layer_dirs` therefore gives each layer directory a mode when a table is created
in it, and :func:`secure_tree` applies the modes to every directory and file already there
(``cofre lake permissions``):

=================  ==========  ======  =====================================================
layer              directory   file    who reads the files
=================  ==========  ======  =====================================================
lake root          0751        -       owner lists; the auditors' group lists; others traverse
bronze/quarantine  0700        0600    the pipeline's user only (clear CPF, names in payloads)
silver/gold/audit  0750        0640    owner writes; the group (e.g. ``auditors``) reads
=================  ==========  ======  =====================================================

A directory without the ``x`` bit cannot be traversed, so files delta-rs writes with the process
umask (usually 0644) inside ``bronze/`` stay unreadable to anyone but the owner even before
:func:`secure_tree` tightens them. On S3 the same split is a bucket policy (README, "Access control
on the lake files").
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal

Layer = Literal["bronze", "silver", "gold", "quarantine", "audit"]
LAYERS: tuple[Layer, ...] = ("bronze", "silver", "gold", "quarantine", "audit")
# Layers that may hold identifiers in clear; access-restricted (hidden from the auditor by default).
RESTRICTED_LAYERS: tuple[Layer, ...] = ("bronze", "quarantine")

ROOT_DIR_MODE = 0o751
RESTRICTED_DIR_MODE = 0o700
RESTRICTED_FILE_MODE = 0o600
SHARED_DIR_MODE = 0o750
SHARED_FILE_MODE = 0o640


def modes(layer: str) -> tuple[int, int]:
    """(directory mode, file mode) for the files of ``layer``."""
    if layer in RESTRICTED_LAYERS:
        return RESTRICTED_DIR_MODE, RESTRICTED_FILE_MODE
    if layer in LAYERS:
        return SHARED_DIR_MODE, SHARED_FILE_MODE
    raise ValueError(f"unknown layer {layer!r}; layers are {LAYERS}")


def local_root(lake_uri: str) -> Path | None:
    """The lake's directory when it is on local disk (``/path`` or ``file:///path``), else None."""
    if lake_uri.startswith("file://"):
        return Path(lake_uri.removeprefix("file://"))
    if "://" in lake_uri:
        return None
    return Path(lake_uri)


def _chmod(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) != mode:
        os.chmod(path, mode)


def secure_layer_dirs(lake_uri: str, layer: str) -> None:
    """Create the lake root and ``layer``'s directory with their modes (no-op on object stores)."""
    root = local_root(lake_uri)
    if root is None:
        return
    dir_mode, _ = modes(layer)
    root.mkdir(parents=True, exist_ok=True)
    _chmod(root, ROOT_DIR_MODE)
    d = root / layer
    d.mkdir(exist_ok=True)
    _chmod(d, dir_mode)


def secure_tree(lake_uri: str) -> dict[str, int]:
    """Apply the layer modes to every directory and file under the lake; returns files per layer."""
    root = local_root(lake_uri)
    counts: dict[str, int] = {}
    if root is None or not root.is_dir():
        return counts
    _chmod(root, ROOT_DIR_MODE)
    for layer in LAYERS:
        base = root / layer
        if not base.is_dir():
            continue
        dir_mode, file_mode = modes(layer)
        n = 0
        for dirpath, dirnames, filenames in os.walk(base):
            _chmod(Path(dirpath), dir_mode)
            for name in filenames:
                _chmod(Path(dirpath) / name, file_mode)
                n += 1
            dirnames.sort()
        counts[layer] = n
    return counts
