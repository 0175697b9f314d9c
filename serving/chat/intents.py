"""Account questions of the logged-in customer, answered from the gateway's own services and database.

:func:`detect` recognises, on folded text, a question about the caller's own: balance (``saldo``),
last transactions (``extrato``), held or refused transfer (``retida``), score and its reasons
(``score``), consents (``consentimentos``) and support tickets (``chamados``). :class:`AccountDesk`
answers them with the caller's ``user_id`` only — the id of the verified access token, never an id,
CPF, e-mail or phone taken from the message. A message that names somebody else's data (another CPF,
e-mail or phone than the caller's, "conta 123", "outra pessoa") gets :data:`NOT_YOURS` and nothing
else. Nothing here writes: no money moves and no data changes (the answers link to app screens).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lake.domain.identifiers import is_valid_cpf, only_digits
from serving.audit.store import make_event
from serving.chat.compose import brl
from serving.chat.store import ConversationStore
from serving.chat.text import fold
from serving.db.orm import Account, LedgerEntry, Transfer, User
from serving.errors import Problem
from serving.fraud.screen import RulesFraudScreen
from serving.lgpd import registry as consents
from serving.services import Services

NOT_YOURS = (
    "Por segurança, eu só consulto dados da sua própria conta. Não posso mostrar nem confirmar "
    "informações de outras pessoas ou contas."
)

_FIRST_PERSON = r"\b(meu|minha|meus|minhas|eu|tenho|fiz|mandei|enviei|tentei|comigo|minh)\b"
INTENTS: dict[str, tuple[str, ...]] = {
    "saldo": (r"\bsaldo\b", r"\bquanto (de )?(dinheiro |grana )?(eu )?tenho\b"),
    "extrato": (
        r"\b(ultim|recent)\w* (transac|transf|movimenta|lancament|pix|compras|pagamentos)\w*",
        r"\bminhas (transac|movimenta|transferenc|entradas|saidas)\w*",
    ),
    "retida": (
        r"\b(transf\w*|pix|pagamento)\b.{0,40}\b(retid|bloquead|barrad|recusad|negad|segurad|parad)\w*",
        r"\b(retid|bloquead|barrad|recusad|segurad)\w*\b.{0,30}\b(transf\w*|pix)\b",
    ),
    "score": (r"\b(meu|minha|qual)\b.{0,12}\b(score|pontuacao|escore|nota de credito)\b",),
    "consentimentos": (r"\b(meus|quais|minhas)\b.{0,20}\b(consentimentos?|autorizac\w*|permiss\w*)\b",),
    "chamados": (r"\b(meus|minhas|meu)\b.{0,10}\b(chamados?|protocolos?|tickets?|reclamac\w*)\b",),
}
TOPIC_OF = {
    "saldo": "extrato",
    "extrato": "extrato",
    "retida": "transferencia-retida",
    "score": "score",
    "consentimentos": "lgpd-consentimentos",
    "chamados": "atendimento-humano",
}
_OTHER_PARTY = re.compile(
    r"\b(outra pessoa|outro cliente|outra conta|outro usuario|terceiros?|de (um|uma) amig[oa]|"
    r"(do|da|de) (meu|minha) (marido|esposa|mulher|pai|mae|filh[oa]|irma[o]?|namorad[oa]|amig[oa]|chefe|vizinh[oa])|"
    r"(conta|usuario|cliente|user|id)\s*(n[ou]?\.?|numero|#)?\s*\d+)\b"
)
_CPF_LIKE = re.compile(r"(?<!\d)\d{3}\.?\d{3}\.?\d{3}-?\d{2}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_PHONE = re.compile(r"(?:\+?55)?\s*\(?\d{2}\)?\s*9?\d{4}[ \-]?\d{4}")

RULE_REASONS = {
    "amount_above_history": "valor acima do seu costume",
    "first_time_recipient": "primeira transferência para esse destinatário",
    "night_hours": "horário noturno (entre 23h e 6h)",
    "new_device": "celular ainda não usado numa transferência concluída",
}
STATUS_PT = {"blocked": "bloqueada pela análise antifraude", "rejected": "recusada por saldo insuficiente"}


def detect(text: str) -> str | None:
    """The account intent of ``text`` (a key of :data:`INTENTS`), or None."""
    f = fold(text)
    for name, patterns in INTENTS.items():
        if any(re.search(p, f) for p in patterns):
            if name in ("saldo", "extrato", "retida") and not re.search(_FIRST_PERSON, f):
                if not re.search(r"\b(qual|quanto|cade|ver|mostra)\b", f):
                    continue
            return name
    return None


@dataclass
class DeskAnswer:
    intent: str
    text: str
    actions: list[dict[str, Any]] = field(default_factory=list)


def _screen(label: str, screen: str) -> dict[str, str]:
    return {"type": "open_screen", "label": label, "screen": screen}


class AccountDesk:
    """Answers account intents for one verified caller (``user_id`` from the access token)."""

    def __init__(
        self,
        services: Services,
        user_id: int,
        tickets: ConversationStore | None = None,
        request_id: str | None = None,
    ) -> None:
        self.services, self.user_id, self.tickets, self.request_id = services, user_id, tickets, request_id

    # -- whose data ----------------------------------------------------------------------------
    def _own(self) -> User:
        with self.services.sessions() as db:
            user = db.get(User, self.user_id)
            if user is None:
                raise Problem(404, "user_not_found", "no such user")
            db.expunge(user)
            return user

    def names_someone_else(self, raw: str) -> bool:
        """True when the message points at data that is not the caller's."""
        f = fold(raw)
        if _OTHER_PARTY.search(f):
            return True
        user = self._own()
        for m in _CPF_LIKE.finditer(raw):
            d = only_digits(m.group(0))
            if is_valid_cpf(d) and d != user.cpf:
                return True
        for m in _EMAIL.finditer(raw):
            if m.group(0).lower() != (user.email or "").lower():
                return True
        own_phone = only_digits(user.phone or "")
        for m in _PHONE.finditer(raw):
            d = only_digits(m.group(0))
            if len(d) >= 10 and not is_valid_cpf(d) and (not own_phone or not own_phone.endswith(d[-9:])):
                return True
        return False

    # -- answers ---------------------------------------------------------------------------------
    def answer(self, intent: str) -> DeskAnswer:
        handler: Callable[[], DeskAnswer] = getattr(self, f"_{intent}")
        return handler()

    def _account(self, db: Session) -> Account | None:
        return (
            db.execute(
                select(Account)
                .where(Account.user_id == self.user_id, Account.kind == "customer")
                .order_by(Account.id)
            )
            .scalars()
            .first()
        )

    def _saldo(self) -> DeskAnswer:
        with self.services.sessions() as db:
            acc = self._account(db)
            cents = acc.balance_cents if acc else None
        if cents is None:
            return DeskAnswer("saldo", "Não encontrei uma conta no seu nome.")
        return DeskAnswer(
            "saldo", f"O saldo da sua conta agora é {brl(cents)}.", [_screen("Ver extrato", "extrato")]
        )

    def _extrato(self, n: int = 5) -> DeskAnswer:
        with self.services.sessions() as db:
            acc = self._account(db)
            rows: Sequence[Any] = ()
            if acc is not None:
                rows = db.execute(
                    select(LedgerEntry, Transfer.kind)
                    .join(Transfer, Transfer.id == LedgerEntry.transfer_id)
                    .where(LedgerEntry.account_id == acc.id)
                    .order_by(LedgerEntry.id.desc())
                    .limit(n)
                ).all()
        if not rows:
            return DeskAnswer(
                "extrato", "Ainda não há lançamentos na sua conta.", [_screen("Ver extrato", "extrato")]
            )
        lines = []
        for e, kind in rows:
            label = {"pix": "PIX", "deposit": "depósito"}.get(kind, kind)
            side = "entrada" if e.amount_cents > 0 else "saída"
            lines.append(f"- {e.created_at:%d/%m/%Y %H:%M}: {side} de {brl(abs(e.amount_cents))} ({label})")
        text = f"Os seus últimos {len(rows)} lançamentos:\n" + "\n".join(lines)
        return DeskAnswer("extrato", text, [_screen("Ver extrato completo", "extrato")])

    def _retida(self) -> DeskAnswer:
        with self.services.sessions() as db:
            t = (
                db.execute(
                    select(Transfer)
                    .where(Transfer.user_id == self.user_id, Transfer.status != "completed")
                    .order_by(Transfer.id.desc())
                )
                .scalars()
                .first()
            )
            snap = (
                None if t is None else (t.status, t.amount_cents, t.created_at, t.response_body, t.decision)
            )
        if snap is None:
            return DeskAnswer(
                "retida",
                "Não encontrei nenhuma transferência sua retida ou recusada: todas foram concluídas.",
                [_screen("Ver extrato", "extrato")],
            )
        status, amount, at, body, decision = snap
        reasons = _reasons(body)
        what = STATUS_PT.get(status, f"com situação '{status}'")
        text = f"A sua transferência de {brl(amount)} em {at:%d/%m/%Y %H:%M} foi {what}. Nada foi debitado."
        if status == "blocked" and reasons:
            text += " Os sinais de risco foram: " + "; ".join(reasons) + "."
            text += (
                f" Com o risco a partir de {RulesFraudScreen.BLOCK_AT:.2f}".replace(".", ",")
                + " a transferência é bloqueada. Se foi você, tente de novo do celular de sempre ou para"
                " alguém que já pagou, ou peça um atendente aqui no chat."
            )
        return DeskAnswer(
            "retida",
            text,
            [_screen("Ver extrato", "extrato"), _screen("Falar com atendimento", "chat/atendimento")],
        )

    def _score(self) -> DeskAnswer:
        from serving.api.suitability import suitability_for
        from serving.scoring import core

        with self.services.engine.connect() as conn:
            allowed = consents.has_consent(conn, self.user_id, "credit_analysis")
        if not allowed:
            return DeskAnswer(
                "score",
                "Para calcular o seu score preciso do seu consentimento de análise de crédito. Você pode "
                "dá-lo em Privacidade > Consentimentos.",
                [_screen("Consentimentos", "privacidade/consentimentos")],
            )
        try:
            out = suitability_for(self.services, core.user_cpf(self.services.sessions, self.user_id))
        except Problem as p:
            if p.code == "identity_not_verified":
                return DeskAnswer(
                    "score",
                    "Para ver o seu score, confirme antes que este CPF é seu: enviamos um código para o "
                    "celular ou e-mail do seu cadastro, ou você envia um documento com uma selfie.",
                    [_screen("Confirmar identidade", "identidade")],
                )
            if p.code == "customer_features_not_found":
                msg = "Ainda não tenho dados suficientes para calcular o seu score; eles são atualizados uma vez por dia."
            else:
                msg = "O cálculo do score está indisponível agora. Tente de novo mais tarde."
            return DeskAnswer("score", msg, [_screen("Ver meu score", "score")])
        self._record_score(out)
        reasons = [f"{r['motivo']} (+{r['pontos']} pontos possíveis)" for r in out["reasons"][:3]]
        text = f"O seu score é {out['score']}, na faixa {out['band']}."
        if reasons:
            text += " O que mais pesou: " + "; ".join(reasons) + "."
        return DeskAnswer("score", text, [_screen("Ver meu score", "score")])

    def _record_score(self, out: dict[str, Any]) -> None:
        """The score is an automated decision: recorded like the suitability router records it."""
        s = self.services
        s.metrics.decisions.labels("suitability", out["band"], out["model_version"] or "none").inc()
        s.audit.append(
            make_event(
                actor=s.pseudonym(self.user_id),
                action="decision:suitability",
                resource="chat",
                outcome=out["band"],
                model_version=out["model_version"],
                request_id=self.request_id,
                details={
                    "score": out["score"],
                    "pd": out["pd"],
                    "reasons": [r["feature"] for r in out["reasons"]],
                },
            )
        )

    def _consentimentos(self) -> DeskAnswer:
        names = {
            "credit_analysis": "análise de crédito",
            "fraud_prevention": "prevenção a fraudes",
            "marketing": "marketing",
            "open_finance_sharing": "compartilhamento Open Finance",
        }
        with self.services.engine.connect() as conn:
            state = consents.current_state(conn, self.user_id)
        lines = []
        for p in consents.PURPOSES:
            st = state.get(p)
            if st and st.get("granted"):
                lines.append(
                    f"- {names.get(p, p)}: dado em {st['at']:%d/%m/%Y} (termos versão {st['terms_version']})"
                )
            elif st:
                lines.append(f"- {names.get(p, p)}: revogado em {st['at']:%d/%m/%Y}")
            else:
                lines.append(f"- {names.get(p, p)}: nunca dado")
        return DeskAnswer(
            "consentimentos",
            "Os seus consentimentos:\n" + "\n".join(lines),
            [_screen("Consentimentos", "privacidade/consentimentos")],
        )

    def _chamados(self) -> DeskAnswer:
        items = self.tickets.tickets(self.user_id) if self.tickets is not None else []
        if not items:
            return DeskAnswer(
                "chamados", "Você não tem chamados abertos.", [_screen("Meus chamados", "chat/chamados")]
            )
        queue = {"atendimento": "atendimento", "ouvidoria": "ouvidoria"}
        lines = [
            f"- {t['id'][:8]}: {queue.get(t['queue'], t['queue'])}, {t['status']}, aberto em {t['created_at'][:10]}"
            for t in items[:5]
        ]
        return DeskAnswer(
            "chamados", "Os seus chamados:\n" + "\n".join(lines), [_screen("Meus chamados", "chat/chamados")]
        )


def _reasons(body: str | None) -> list[str]:
    try:
        data = json.loads(body or "{}")
    except ValueError:
        return []
    raw = data.get("reasons") or (data.get("transfer") or {}).get("fraud", {}).get("reasons") or []
    return [RULE_REASONS.get(r, r) for r in raw]
