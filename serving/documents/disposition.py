"""``Content-Disposition`` for downloads (RFC 6266): any file name, safely.

Header values are Latin-1 on the wire, so a name like ``relatório✓€.pdf`` broke every download
(500). The header carries the exact name UTF-8 percent-encoded in ``filename*`` (RFC 8187), which
every current browser prefers, plus an ASCII ``filename`` fallback for older clients: accents
dropped (``relatorio``), any other non-ASCII, control or quoting character (``"``, ``\\``, ``%``,
``;``) replaced by ``_``. Control characters never reach the header.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

_UNSAFE_IN_FALLBACK = set('"\\%;')


def _printable(name: str) -> str:
    return "".join(c for c in name if c.isprintable())


def ascii_fallback(name: str) -> str:
    """An ASCII stand-in for ``name`` that needs no escaping inside a quoted string."""
    decomposed = unicodedata.normalize("NFKD", _printable(name))
    out = "".join(
        c if " " <= c <= "~" and c not in _UNSAFE_IN_FALLBACK else "_"
        for c in decomposed
        if not unicodedata.combining(c)
    ).strip()
    return out or "download"


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """``attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded UTF-8>``."""
    exact = _printable(name) or "download"
    return f"{disposition}; filename=\"{ascii_fallback(exact)}\"; filename*=UTF-8''{quote(exact, safe='')}"
