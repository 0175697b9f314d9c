"""Serasa-like score API payloads (pydantic): the response of ``GET /score/v1/{cpf}`` and errors.

Bands: baixo 0-300, regular 301-500, bom 501-700, muito_bom 701-1000.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Band = Literal["baixo", "regular", "bom", "muito_bom"]


def band_of(score: int) -> Band:
    if not 0 <= score <= 1000:
        raise ValueError(f"score out of range 0-1000: {score}")
    if score <= 300:
        return "baixo"
    if score <= 500:
        return "regular"
    if score <= 700:
        return "bom"
    return "muito_bom"


class ScorePoint(BaseModel):
    score: int = Field(ge=0, le=1000)
    band: Band
    consultedAt: datetime


class ScoreResponse(BaseModel):
    cpf: str = Field(pattern=r"^[0-9]{11}$")
    score: int = Field(ge=0, le=1000)
    band: Band
    consultedAt: datetime
    history: list[ScorePoint] = Field(
        description="all consultations, newest first (the first is the current one)"
    )


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
