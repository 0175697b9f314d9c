"""FraudScreen protocol and RulesFraudScreen, the rules-based screen used until a model is plugged in.

RulesFraudScreen combines independent risk signals with a noisy-OR,
``p = 1 - prod(1 - w_i)`` over the rules that fire:

| rule | fires when | weight |
|---|---|---|
| amount_above_history | the user has >= 3 past transfers and amount > 5 x their largest past transfer, or no history and amount > R$ 5 000 | 0.50 |
| first_time_recipient | the user never paid this recipient key before | 0.20 |
| night_hours | local time (America/Sao_Paulo) in [23:00, 06:00) | 0.20 |
| new_device | the request's device made no completed PIX of this user at least 24 h before (or is missing), outside the new-device allowance | 0.40 |

Decision: p >= 0.80 block, p >= 0.50 review (the transfer is held for an analyst), else approve. All
four rules give 0.81 (block); amount + new device give 0.70 (review); a new device paying a key it
never paid gives 0.52 (review); a known recipient from a known device by day approves.

Cold start (:func:`new_device_allowance`, both screens): a device never used for PIX may move up to
R$ 200 per transfer and R$ 1 000 per day (BACEN's limits for devices not yet registered for PIX,
Resolução BCB 402/2024) without the new device counting against it: such a transfer is screened as if
the device were known. So a new account's or a new phone's small transfers go through, while other
signals (amount, night, an unseen recipient together with them) still count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

BRT = ZoneInfo("America/Sao_Paulo")


@dataclass(frozen=True)
class TransferContext:
    user_id: int
    amount_cents: int
    recipient_key: str
    recipient_internal: bool
    at: datetime
    device_id: str | None
    n_past_transfers: int
    max_past_amount_cents: int
    mean_past_amount_cents: int
    paid_recipient_before: bool
    device_seen_before: bool
    device_today_cents: int = 0  # PIX of this user from this device since 00:00 BRT, completed or held


SMALL_TRANSFER_CENTS = 20_000  # R$ 200 per transfer from a new device ...
NEW_DEVICE_DAILY_CENTS = 100_000  # ... and R$ 1 000 a day (BACEN's limits for unregistered devices)


def new_device_allowance(c: TransferContext) -> bool:
    """True when the transfer is from a device never used for PIX and within the new-device allowance:
    at most R$ 200, and at most R$ 1 000 today from that device with this one."""
    return (
        not c.device_seen_before
        and c.amount_cents <= SMALL_TRANSFER_CENTS
        and c.device_today_cents + c.amount_cents <= NEW_DEVICE_DAILY_CENTS
    )


@dataclass(frozen=True)
class Decision:
    probability: float
    decision: Literal["approve", "review", "block"]
    reasons: list[str] = field(default_factory=list)
    model_version: str = "unknown"


class FraudScreen(Protocol):
    def score(self, transfer_context: TransferContext) -> Decision: ...


class RulesFraudScreen:
    """Deterministic rules over the user's history in the database (see the module docstring)."""

    model_version = "rules-v1"
    WEIGHTS = {
        "amount_above_history": 0.50,
        "first_time_recipient": 0.20,
        "night_hours": 0.20,
        "new_device": 0.40,
    }
    BLOCK_AT = 0.80
    REVIEW_AT = 0.50
    NO_HISTORY_LIMIT_CENTS = 500_000
    HISTORY_MULTIPLIER = 5
    MIN_HISTORY = 3

    def score(self, transfer_context: TransferContext) -> Decision:
        c = transfer_context
        fired: list[str] = []
        if c.n_past_transfers >= self.MIN_HISTORY:
            if c.amount_cents > self.HISTORY_MULTIPLIER * c.max_past_amount_cents:
                fired.append("amount_above_history")
        elif c.amount_cents > self.NO_HISTORY_LIMIT_CENTS:
            fired.append("amount_above_history")
        if not c.paid_recipient_before:
            fired.append("first_time_recipient")
        local_hour = c.at.astimezone(BRT).hour
        if local_hour >= 23 or local_hour < 6:
            fired.append("night_hours")
        if not c.device_seen_before and not new_device_allowance(c):
            fired.append("new_device")
        keep = 1.0
        for rule in fired:
            keep *= 1.0 - self.WEIGHTS[rule]
        p = round(1.0 - keep, 4)
        decision: Literal["approve", "review", "block"] = (
            "block" if p >= self.BLOCK_AT else "review" if p >= self.REVIEW_AT else "approve"
        )
        return Decision(probability=p, decision=decision, reasons=fired, model_version=self.model_version)
