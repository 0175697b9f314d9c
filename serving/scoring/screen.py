"""ModelFraudScreen: the FraudScreen of POST /pix/transfers when a fraud champion is loaded.

It scores the transfer with the champion on Feast ``fraud_v1`` features: the payer's ``customer_pk``
(CPF pseudonymised as in the lake), the recipient key's pseudonym, the amount and time, whether the
device is new to the user (:class:`serving.fraud.screen.TransferContext`), the user's latest login and
device enrolment in the gateway DB. Without a champion the gateway keeps
:class:`serving.fraud.screen.RulesFraudScreen` (documented fallback, reported by /ready).
"""

from __future__ import annotations

from serving.fraud.screen import Decision, TransferContext
from serving.scoring import core


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
        row = core.fraud_features(
            self.settings,
            customer=core.scoring_key(self.settings, cpf, c.user_id),
            counterparty=core.counterparty_pk(self.settings, c.recipient_key),
            amount_cents=c.amount_cents,
            at=c.at,
            is_new_device=not c.device_seen_before,
            last_login_at=login,
            last_device_change_at=device,
            channel="PIX",
            type_="PIX",
        )
        return core.score_fraud(self.model, row, self.model_version)
