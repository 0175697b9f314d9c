"""What a charge with a due date (``cobv``) costs on a payment day: fine, interest, rebate, discount.

``cobv.valor`` carries ``original`` plus optional ``multa`` (fine), ``juros`` (interest),
``abatimento`` (rebate) and ``desconto`` (discount), each with a ``modalidade`` (BACEN, Manual de
Padrões para Iniciação do Pix). :func:`check_valor` lists the violations the API answers with
(``CobVOperacaoInvalida``); :func:`amount_due` computes the ``componentesValor`` of a payment made
on ``paid`` for a charge due on ``due``; the Pix ``valor`` is their :attr:`Components.total`
(``original + multa + juros - abatimento - desconto``).

Modalities and the sandbox's conventions (the manual leaves day counts and rounding to the PSP):

* ``multa`` (only when paid after the due date): 1 fixed value, 2 percentage of ``original``;
* ``juros`` per day late (after the due date up to the payment day): 1 value per calendar day,
  2 % per calendar day, 3 % per month (/30 per calendar day), 4 % per year (/365 per calendar day),
  5 value per business day, 6 % per business day, 7 % per month (/21 per business day), 8 % per year
  (/252 per business day);
* ``abatimento`` (always): 1 fixed value, 2 percentage of ``original``;
* ``desconto`` (only when paid on or before the due date): 1 fixed value / 2 percentage until the
  date of the first ``descontoDataFixa`` entry not before the payment day; 3 value / 5 percentage
  per calendar day paid early; 4 value / 6 percentage per business day paid early;
* business days are Monday to Friday (no holiday calendar); every component is rounded half-up to
  the cent; a per-day discount never takes the amount below 0.01 (it is capped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

_MONEY = re.compile(r"^[0-9]{1,10}\.[0-9]{2}$")
CENT = Decimal("0.01")
_JUROS_DIVISOR = {3: 30, 4: 365, 7: 21, 8: 252}


@dataclass(frozen=True)
class Components:
    """Amounts in integer cents."""

    original: int
    multa: int = 0
    juros: int = 0
    abatimento: int = 0
    desconto: int = 0

    @property
    def total(self) -> int:
        return self.original + self.multa + self.juros - self.abatimento - self.desconto

    def componentes_valor(self) -> dict:
        """The Pix ``componentesValor`` (``original`` always, the others when not zero)."""
        out = {"original": {"valor": cents_text(self.original)}}
        for name in ("multa", "juros", "abatimento", "desconto"):
            value = getattr(self, name)
            if value:
                out[name] = {"valor": cents_text(value)}
        return out


def cents_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _cents(value: Decimal) -> int:
    return int((value.quantize(CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())


def business_days(start: date, end: date) -> int:
    """Weekdays in (start, end] (0 when end <= start)."""
    n, d = 0, start
    while d < end:
        d += timedelta(days=1)
        n += d.weekday() < 5
    return n


def _violation(razao: str, propriedade: str) -> dict:
    return {"razao": razao, "propriedade": propriedade}


def _modal(obj: object, lo: int, hi: int) -> int | None:
    m = obj.get("modalidade") if isinstance(obj, dict) else None
    return m if isinstance(m, int) and not isinstance(m, bool) and lo <= m <= hi else None


def _perc(obj: dict) -> Decimal | None:
    v = obj.get("valorPerc")
    return Decimal(v) if isinstance(v, str) and _MONEY.match(v) else None


def check_valor(valor: object, due: date | None, p: str = "cobv.valor") -> list[dict]:
    """Violations of ``cobv.valor`` (empty when valid); ``due`` bounds the discount dates."""
    if not isinstance(valor, dict):
        return [_violation("valor deve ser um objeto com original", p)]
    out = []
    original = valor.get("original")
    if not isinstance(original, str) or not _MONEY.match(original) or Decimal(original) <= 0:
        return [_violation("valor.original deve ser positivo no formato \\d{1,10}\\.\\d{2}", f"{p}.original")]
    orig = Decimal(original)
    multa = valor.get("multa")
    if multa is not None and (_modal(multa, 1, 2) is None or _perc(multa) is None):
        out.append(_violation("multa requer modalidade 1 ou 2 e valorPerc", f"{p}.multa"))
    juros = valor.get("juros")
    if juros is not None and (_modal(juros, 1, 8) is None or _perc(juros) is None):
        out.append(_violation("juros requer modalidade de 1 a 8 e valorPerc", f"{p}.juros"))
    abat = valor.get("abatimento")
    if abat is not None:
        m, v = _modal(abat, 1, 2), _perc(abat) if isinstance(abat, dict) else None
        if m is None or v is None:
            out.append(_violation("abatimento requer modalidade 1 ou 2 e valorPerc", f"{p}.abatimento"))
        elif (m == 1 and v >= orig) or (m == 2 and v >= 100):
            out.append(_violation("abatimento maior ou igual ao valor original ou a 100%", f"{p}.abatimento"))
    desc = valor.get("desconto")
    if desc is not None:
        out.extend(_check_desconto(desc, orig, due, f"{p}.desconto"))
    return out


def _check_desconto(desc: object, orig: Decimal, due: date | None, p: str) -> list[dict]:
    m = _modal(desc, 1, 6)
    if m is None:
        return [_violation("desconto requer modalidade de 1 a 6", p)]
    assert isinstance(desc, dict)  # nosec B101 # type narrowing: _modal found a modalidade in a dict
    fixed = desc.get("descontoDataFixa")
    if m in (1, 2):
        if "valorPerc" in desc:
            return [_violation("modalidade 1 ou 2 não aceita valorPerc", f"{p}.valorPerc")]
        if not isinstance(fixed, list) or not 1 <= len(fixed) <= 3:
            return [_violation("modalidade 1 ou 2 requer descontoDataFixa com 1 a 3 elementos", p)]
        out, days = [], set()
        for i, item in enumerate(fixed):
            q = f"{p}.descontoDataFixa[{i}]"
            try:
                day = date.fromisoformat(item["data"])
                v = Decimal(item["valorPerc"]) if _MONEY.match(item["valorPerc"]) else None
            except (TypeError, KeyError, ValueError):
                day, v = None, None
            if day is None or v is None:
                out.append(_violation("data e valorPerc são obrigatórios", q))
                continue
            if day in days:
                out.append(_violation("datas repetidas", q))
            days.add(day)
            if due is not None and day > due:
                out.append(_violation("data posterior ao vencimento", f"{q}.data"))
            if v <= 0 or (m == 1 and v >= orig) or (m == 2 and v >= 100):
                out.append(
                    _violation("desconto maior ou igual ao valor original ou a 100%", f"{q}.valorPerc")
                )
        return out
    if fixed:
        return [_violation("modalidades 3 a 6 não aceitam descontoDataFixa", f"{p}.descontoDataFixa")]
    v = _perc(desc)
    if v is None or v <= 0:
        return [_violation("modalidades 3 a 6 requerem valorPerc", f"{p}.valorPerc")]
    if (m in (3, 4) and v >= orig) or (m in (5, 6) and v >= 100):
        return [_violation("desconto maior ou igual ao valor original ou a 100%", f"{p}.valorPerc")]
    return []


def amount_due(valor: dict, due: date, paid: date) -> Components:
    """The components of a payment of a (valid) ``cobv.valor`` due on ``due`` made on ``paid``."""
    orig = Decimal(valor["original"])
    multa = juros = abat = desc = Decimal(0)
    if paid > due:
        if "multa" in valor:
            m, v = valor["multa"]["modalidade"], Decimal(valor["multa"]["valorPerc"])
            multa = v if m == 1 else orig * v / 100
        if "juros" in valor:
            m, v = valor["juros"]["modalidade"], Decimal(valor["juros"]["valorPerc"])
            days = (paid - due).days if m <= 4 else business_days(due, paid)
            per_day = v if m in (1, 5) else orig * v / 100 / _JUROS_DIVISOR.get(m, 1)
            juros = per_day * days
    if "abatimento" in valor:
        m, v = valor["abatimento"]["modalidade"], Decimal(valor["abatimento"]["valorPerc"])
        abat = v if m == 1 else orig * v / 100
    if "desconto" in valor and paid <= due:
        desc = _desconto(valor["desconto"], orig, due, paid)
    c = Components(_cents(orig), _cents(multa), _cents(juros), _cents(abat), _cents(desc))
    cap = c.original - c.abatimento - 1  # the payer always pays at least one cent
    if c.desconto > cap:
        c = Components(c.original, c.multa, c.juros, c.abatimento, max(cap, 0))
    return c


def _desconto(desc: dict, orig: Decimal, due: date, paid: date) -> Decimal:
    m = desc["modalidade"]
    if m in (1, 2):
        dated = sorted(
            (date.fromisoformat(i["data"]), Decimal(i["valorPerc"])) for i in desc["descontoDataFixa"]
        )
        for until, v in dated:
            if paid <= until:
                return v if m == 1 else orig * v / 100
        return Decimal(0)
    v = Decimal(desc["valorPerc"])
    days = (due - paid).days if m in (3, 5) else business_days(paid, due)
    return v * days if m in (3, 4) else orig * v / 100 * days
