"""PD -> 0..1000 credit score (log-odds scorecard scaling) and the Serasa score bands.

Mapping (documented, monotone: a higher PD never gives a higher score)::

    odds  = (1 - PD) / PD                   # good:bad odds
    score = round(OFFSET + FACTOR * ln(odds)), clipped to [0, 1000]
    FACTOR = PDO / ln 2  with PDO = 60      # every 60 points double the odds
    OFFSET = 600 - FACTOR * ln(20)          # 600 points at odds 20:1 (PD ~ 4.8 %)

So PD 50 % -> 341, 20 % -> 461, 10 % -> 531, 2 % -> 678, 1 % -> 738, 0.1 % -> 939.
PD is clipped to [1e-6, 1 - 1e-6] first. Bands (Serasa): 0-300 baixo, 301-500 regular,
501-700 bom, 701-1000 muito bom.
"""

from __future__ import annotations

import math

import numpy as np

PDO = 60.0
BASE_SCORE = 600.0
BASE_ODDS = 20.0
FACTOR = PDO / math.log(2.0)
OFFSET = BASE_SCORE - FACTOR * math.log(BASE_ODDS)

BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 300, "baixo"),
    (301, 500, "regular"),
    (501, 700, "bom"),
    (701, 1000, "muito bom"),
)


def pd_to_score(pd_: np.ndarray | float) -> np.ndarray:
    """Integer scores 0..1000 for probabilities of default (vectorised)."""
    p = np.clip(np.asarray(pd_, dtype=float), 1e-6, 1 - 1e-6)
    raw = OFFSET + FACTOR * np.log((1.0 - p) / p)
    return np.clip(np.rint(raw), 0, 1000).astype(np.int64)


def band(score: int) -> str:
    """Serasa band name of an integer score 0..1000."""
    s = int(score)
    for lo, hi, name in BANDS:
        if lo <= s <= hi:
            return name
    raise ValueError(f"score {score} outside 0..1000")
