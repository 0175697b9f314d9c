"""Shared response models of the gateway routers."""

from __future__ import annotations

from pydantic import BaseModel


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str | None = None
    acr: str
    amr: list[str]
