"""Investor profile per CVM Resolution 30 (suitability): questionnaire scoring plus behaviour.

Five questions, each answer worth points (the index of the option, except where noted):

1. objective: 0 preservar o capital, 1 renda estável, 2 crescimento moderado, 4 crescimento máximo
2. horizon: 0 menos de 1 ano, 1 de 1 a 3 anos, 2 de 3 a 5 anos, 3 mais de 5 anos
3. risk tolerance (if the investment fell 20 % in a month): 0 resgataria tudo, 1 resgataria parte,
   2 manteria, 4 investiria mais
4. knowledge: 0 nenhum, 1 básico (poupança, CDB), 2 intermediário (fundos, Tesouro), 3 avançado (ações, derivativos)
5. financial situation (emergency reserve): 0 nenhuma, 1 menos de 3 meses de despesas, 2 de 3 a 6 meses, 3 mais de 6 meses

Total 0..17: conservador <= 6, moderado 7..11, arrojado >= 12.
Behaviour can only LOWER the profile (prudence): no emergency reserve or horizon under 1 year ->
conservador; monthly savings rate under 5 % or balance volatility (coefficient of variation of
daily balances) above 1.0 -> at most moderado. A profile older than 24 months is expired (CVM 30
requires periodic updates): an expired or missing profile gets no investment offers.
Maximum product risk (1..5) per profile: conservador 2, moderado 3, arrojado 5.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

PROFILES = ("conservador", "moderado", "arrojado")
MAX_RISK = {"conservador": 2, "moderado": 3, "arrojado": 5}
POINTS: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 4),  # objective
    (0, 1, 2, 3),  # horizon
    (0, 1, 2, 4),  # risk tolerance
    (0, 1, 2, 3),  # knowledge
    (0, 1, 2, 3),  # financial situation
)
QUESTIONS = ("objetivo", "horizonte", "tolerancia_risco", "conhecimento", "situacao_financeira")
VALIDITY_DAYS = 730


@dataclass(frozen=True)
class Questionnaire:
    answers: tuple[int, int, int, int, int]  # option index per question
    answered_on: dt.date

    def __post_init__(self) -> None:
        if len(self.answers) != len(POINTS):
            raise ValueError(f"expected {len(POINTS)} answers, got {len(self.answers)}")
        for q, (a, opts) in enumerate(zip(self.answers, POINTS, strict=True)):
            if not 0 <= int(a) < len(opts):
                raise ValueError(f"answer to {QUESTIONS[q]} must be 0..{len(opts) - 1}, got {a}")


def profile_codes(
    answers: np.ndarray, savings_rate: np.ndarray, balance_volatility: np.ndarray
) -> np.ndarray:
    """Vectorised: (n x 5) answer indices + behaviour -> profile code 0/1/2 (conservador..arrojado)."""
    a = np.asarray(answers, dtype=int)
    pts = sum(np.asarray(POINTS[q])[a[:, q]] for q in range(len(POINTS)))
    code = np.where(pts >= 12, 2, np.where(pts >= 7, 1, 0))
    cap = np.full(len(a), 2)
    cap = np.where((np.asarray(savings_rate) < 0.05) | (np.asarray(balance_volatility) > 1.0), 1, cap)
    cap = np.where((a[:, 4] == 0) | (a[:, 1] == 0), 0, cap)
    return np.minimum(code, cap)


def investor_profile(
    q: Questionnaire | None, savings_rate: float, balance_volatility: float, today: dt.date
) -> str | None:
    """The profile name, or None when there is no valid (unexpired) questionnaire."""
    if q is None or (today - q.answered_on).days > VALIDITY_DAYS or q.answered_on > today:
        return None
    code = profile_codes(np.array([q.answers]), np.array([savings_rate]), np.array([balance_volatility]))[0]
    return PROFILES[int(code)]
