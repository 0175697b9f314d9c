"""Content checks for uploads: allow-list of media types, each confirmed by the file's magic bytes."""

from __future__ import annotations

ALLOWED: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def sniff(data: bytes) -> str | None:
    """The allowed media type whose signature starts ``data``, or None."""
    for media_type, magics in ALLOWED.items():
        if any(data.startswith(m) for m in magics):
            return media_type
    return None
