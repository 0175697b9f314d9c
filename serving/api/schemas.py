"""Shared response models of the gateway routers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str | None = None
    acr: str
    amr: list[str]
    device_token: str | None = Field(
        default=None,
        description="login only: identifies this client to later logins (send it back with /auth/login), "
        "so a lockout caused by others' failed logins does not stop it",
    )
