"""Shared response models of the gateway routers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TokenPair(BaseModel):
    """Tokens of a login, a refresh or a step-up."""

    access_token: str = Field(
        description="ES256 JWT; send it as `Authorization: Bearer <access_token>` (keys at /.well-known/jwks.json)",
        examples=["eyJhbGciOiJFUzI1NiIs...(ES256 JWT)"],
    )
    token_type: str = Field(default="Bearer", description="always `Bearer`", examples=["Bearer"])
    expires_in: int = Field(description="seconds until the access token expires", examples=[900])
    refresh_token: str | None = Field(
        default=None,
        description="opaque, single-use token for `POST /auth/refresh` (absent from step-up tokens)",
        examples=["r0t4t1ng-0p4qu3-t0k3n"],
    )
    acr: str = Field(
        description="authentication context: `urn:cofre:acr:pwd` (password) or `urn:cofre:acr:bio-stepup` "
        "(a device-key step-up)",
        examples=["urn:cofre:acr:pwd"],
    )
    amr: list[str] = Field(
        description="authentication methods (RFC 8176): `pwd`, and for a step-up also `bio` and `hwk`",
        examples=[["pwd"]],
    )
    device_token: str | None = Field(
        default=None,
        description="login only: identifies this client to later logins (send it back with /auth/login), "
        "so a lockout caused by others' failed logins does not stop it",
        examples=["d3v1c3-t0k3n"],
    )
