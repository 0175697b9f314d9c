"""World rows and sandbox state -> API Pix payloads (pix-api-openapi.yaml field names).

End-to-end ids follow the SPI shape (:mod:`lake.domain.pix_ids`), derived from the world's
transaction id, so the same world always yields the same ids.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from lake.domain import pix_ids
from lake.domain.money import cents_to_str
from pipelines.sources.timefmt import iso_millis

CITY_BY_STATE = {
    "SP": "SAO PAULO",
    "RJ": "RIO DE JANEIRO",
    "MG": "BELO HORIZONTE",
    "BA": "SALVADOR",
    "RS": "PORTO ALEGRE",
    "PR": "CURITIBA",
    "PE": "RECIFE",
    "CE": "FORTALEZA",
    "DF": "BRASILIA",
    "SC": "FLORIANOPOLIS",
    "GO": "GOIANIA",
    "PA": "BELEM",
    "AM": "MANAUS",
    "ES": "VITORIA",
}


def _alnum(seed: str, n: int) -> str:
    return pix_ids.alnum_from_int(int(hashlib.sha256(seed.encode()).hexdigest(), 16), n)


def end_to_end_id(seed: str, at: datetime) -> str:
    """The E2EID of a Pix the payer's institution (an ISPB derived from ``seed``) initiated at ``at``."""
    ispb = f"{int(hashlib.sha256(('ispb:' + seed).encode()).hexdigest(), 16) % 10**8:08d}"
    return pix_ids.end_to_end_id(ispb, at, _alnum(seed, 11))


def cents_text(cents: int) -> str:
    """API Pix money text (``\\d{1,10}\\.\\d{2}``) of non-negative integer cents."""
    return cents_to_str(cents)


def generated_txid(seq: int) -> str:
    """Deterministic 32-char txid for ``POST /cob`` number ``seq``."""
    return _alnum(f"cob:{seq}", 32)


def received_pix(tx: dict, receiving_key: str | None) -> dict:
    out = {
        "endToEndId": end_to_end_id(tx["transaction_id"], tx["booked_at"]),
        "valor": cents_to_str(tx["amount_cents"]),
        "horario": iso_millis(tx["booked_at"]),
    }
    if receiving_key:
        out["chave"] = receiving_key
    if tx["description"]:
        out["infoPagador"] = tx["description"][:140]
    return out
