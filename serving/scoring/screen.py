"""ModelFraudScreen: the FraudScreen of POST /pix/transfers when a fraud champion is loaded, and
:func:`model_decision`, the one path from a transfer context to the model's decision (also used by
POST /fraud/score, so a score and a transfer in the same context get the same answer).

It scores the transfer with the champion on Feast ``fraud_v1`` features: the payer's ``customer_pk``
(CPF pseudonymised as in the lake), the recipient key's pseudonym, the amount and time, the device
signals and the user's latest login in the gateway DB. Without a champion the gateway keeps
:class:`serving.fraud.screen.RulesFraudScreen` (documented fallback, reported by /ready).

Device signals, as the training world defines them (a customer's first phone is never "new"; a device
change is the first login of a replacement phone):

* an account with no completed PIX yet has no established device, so neither ``is_new_device`` nor a
  device change applies: enrolling its first phone is onboarding, not a takeover signal (its
  newness shows as the absence of any history in the lake, which the model saw in training as the
  first transactions of every customer);
* with PIX history, a device never used for PIX is new and the latest device enrolment is the device
  change (``minutes_since_device_change``).

New-device allowance (:func:`serving.fraud.screen.new_device_allowance`): up to R$ 200 per transfer and
R$ 1 000 a day from a new device, the probability is the smaller of the full one and the one with the
device signals of an established device, so a new device alone never stops a small transfer (and the
probability still never falls when the amount grows: both are monotone in it).
"""

from __future__ import annotations

from datetime import datetime

from serving.fraud.screen import Decision, TransferContext, new_device_allowance
from serving.scoring import core


def model_decision(
    settings,  # noqa: ANN001
    model,  # noqa: ANN001
    model_version: str,
    c: TransferContext,
    *,
    cpf: str | None,
    last_login_at: datetime | None,
    last_device_enrolment_at: datetime | None,
    channel: str = "PIX",
    type_: str = "PIX",
    counterparty_key_type: str | None = None,
) -> Decision:
    established = c.n_past_transfers > 0
    row = core.fraud_features(
        settings,
        customer=core.scoring_key(settings, cpf, c.user_id),
        counterparty=core.counterparty_pk(settings, c.recipient_key, counterparty_key_type),
        amount_cents=c.amount_cents,
        at=c.at,
        is_new_device=established and not c.device_seen_before,
        last_login_at=last_login_at,
        last_device_change_at=last_device_enrolment_at if established else None,
        channel=channel,
        type_=type_,
    )
    decision = core.score_fraud(model, row, model_version)
    device_signals = row["is_new_device"] or row.get("minutes_since_device_change") is not None
    if device_signals and new_device_allowance(c):
        known = core.score_fraud(
            model, {**row, "is_new_device": False, "minutes_since_device_change": None}, model_version
        )
        if known.probability < decision.probability:
            return known
    return decision


class ModelFraudScreen:
    def __init__(self, model, model_version: str, settings, sessions):
        self.model = model
        self.model_version = model_version
        self.settings = settings
        self.sessions = sessions

    def score(self, transfer_context: TransferContext) -> Decision:
        c = transfer_context
        with self.sessions() as db:
            cpf, login, device = core.user_facts_in(db, c.user_id, c.at)
        return model_decision(
            self.settings,
            self.model,
            self.model_version,
            c,
            cpf=cpf,
            last_login_at=login,
            last_device_enrolment_at=device,
        )
