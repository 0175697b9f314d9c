"""What the customer is told about a PIX held for fraud review, in Portuguese, and the hold's deadline.

BACEN lets the payer's institution retain a PIX for a risk analysis for at most 30 minutes by day
(06:00-20:00 in Brasília) and 60 minutes at night, telling the customer: :func:`hold_deadline`. The
messages (:func:`message`) give the amount in the Brazilian format (``R$ 1.234,56``) and what happens
to the money; :func:`notify` stores one as a :class:`serving.db.models.Notification` in the caller's
transaction, so the customer is told exactly when the state changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from serving.db.models import Notification

BRT = ZoneInfo("America/Sao_Paulo")
DAY_WINDOW = timedelta(minutes=30)
NIGHT_WINDOW = timedelta(minutes=60)
DAY_STARTS, NIGHT_STARTS = 6, 20  # local hours


def brl(cents: int) -> str:
    """Integer cents as Brazilian reais: 123456 -> 'R$ 1.234,56'."""
    whole, frac = divmod(abs(int(cents)), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}R$ {whole:,}".replace(",", ".") + f",{frac:02d}"


def utc(dt: datetime | None) -> datetime | None:
    """Aware UTC (SQLite hands datetimes back naive; they were stored in UTC)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def hold_deadline(at: datetime) -> datetime:
    """When an unreviewed hold made at ``at`` expires: +30 min by day (06-20 h BRT), +60 min at night."""
    hour = at.astimezone(BRT).hour
    return utc(at) + (DAY_WINDOW if DAY_STARTS <= hour < NIGHT_STARTS else NIGHT_WINDOW)


def _local(dt: datetime) -> str:
    return dt.astimezone(BRT).strftime("%H:%M")


TITLES = {
    "pix_held": "Pix em análise",
    "pix_released": "Pix concluído",
    "pix_refused": "Pix não realizado",
    "pix_expired": "Pix não realizado",
}


def message(kind: str, amount_cents: int, *, expires_at: datetime | None = None) -> str:
    amount = brl(amount_cents)
    if kind == "pix_held":
        return (
            f"Seu Pix de {amount} está em análise de segurança. O valor fica reservado na sua conta e "
            f"não sai até a análise terminar (no máximo até {_local(expires_at)}, horário de Brasília). "
            "Avisaremos você do resultado."
        )
    if kind == "pix_released":
        return f"A análise terminou e seu Pix de {amount} foi concluído."
    if kind == "pix_refused":
        return (
            f"Por segurança, seu Pix de {amount} não foi realizado. Nenhum valor saiu da sua conta e a "
            "reserva foi desfeita. Em caso de dúvida, fale com a nossa central."
        )
    if kind == "pix_expired":
        return (
            f"A análise do seu Pix de {amount} não terminou no prazo, por isso ele não foi realizado. "
            "Nenhum valor saiu da sua conta e a reserva foi desfeita; você pode tentar de novo."
        )
    raise ValueError(f"unknown notification kind {kind!r}")


def notify(
    db: Session,
    *,
    user_id: int,
    kind: str,
    transfer_id: int,
    amount_cents: int,
    at: datetime,
    expires_at: datetime | None = None,
) -> Notification:
    n = Notification(
        user_id=user_id,
        kind=kind,
        title=TITLES[kind],
        message=message(kind, amount_cents, expires_at=expires_at),
        transfer_id=transfer_id,
        created_at=at,
    )
    db.add(n)
    return n
