"""Facial identity validation sandbox, speaking a Datavalid-like API (SERPRO's validation of a
person's data and selfie against the government's records).

``POST /token``: OAuth2 client credentials (see pipelines.sources.oauth).
``POST /datavalid/v4/pf-facial`` (bearer token) with
``{"key": {"cpf"}, "answer": {"nome"?, "biometria_face": "<base64 image>"}}`` answers 200
``{"cpf_disponivel", "nome", "nome_similaridade", "biometria_face": {"disponivel", "probabilidade",
"similaridade"}}``: ``nome`` compares the given name with the registered one (null when the person
is not in the simulated registry), ``similaridade`` the selfie with the person's reference photo
(:mod:`sandbox.faces`), with the probability band. Errors are ``{"cod", "mensagem"}``: 400
(``CPF_INVALIDO``, ``IMAGEM_INVALIDA``), 401, 422.

Every valid CPF has a reference photo (the registry covers the whole population); names come from
the world's customers. Deterministic given the world seed.
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from lake.domain.identifiers import is_valid_cpf
from pipelines.sources.oauth import AuthError, TokenIssuer, token_router
from sandbox import faces

MAX_IMAGE_BYTES = 2_000_000


class Key(BaseModel):
    cpf: str = Field(min_length=11, max_length=11)


class Answer(BaseModel):
    nome: str | None = Field(default=None, max_length=200)
    biometria_face: str = Field(min_length=8, max_length=MAX_IMAGE_BYTES * 4 // 3 + 8)


class FacialIn(BaseModel):
    key: Key
    answer: Answer


def band(similarity: float) -> str:
    if similarity >= 0.95:
        return "Altíssima probabilidade"
    if similarity >= 0.85:
        return "Alta probabilidade"
    if similarity >= 0.5:
        return "Baixa probabilidade"
    return "Baixíssima probabilidade"


def _fold(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return [w for w in plain.replace("-", " ").split() if len(w) > 2]


def name_similarity(given: str, registered: str) -> float:
    a, b = set(_fold(given)), set(_fold(registered))
    return round(len(a & b) / max(len(a | b), 1), 4)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"cod": code, "mensagem": message}, status_code=status)


def create_app(
    names_by_cpf: dict[str, str],
    clients: dict[str, str],
    *,
    token_ttl_s: int = 3600,
    world_seed: int = 0,
    clock=None,  # noqa: ANN001
) -> FastAPI:
    issuer = TokenIssuer(clients, token_ttl_s, clock)
    app = FastAPI(title="Facial identity validation sandbox (Datavalid-like)", version="4.0.0")
    app.include_router(token_router(issuer))

    @app.exception_handler(AuthError)
    async def _auth(_: Request, exc: AuthError) -> JSONResponse:
        resp = _error(exc.status, exc.code, exc.detail)
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, "REQUISICAO_INVALIDA", f"{where}: {first.get('msg', 'invalid request')}")

    @app.post("/datavalid/v4/pf-facial")
    async def pf_facial(body: FacialIn, request: Request) -> Any:
        issuer.authenticate(request.headers.get("authorization"))
        cpf = body.key.cpf
        if not (cpf.isascii() and cpf.isdigit() and is_valid_cpf(cpf)):
            return _error(400, "CPF_INVALIDO", "key.cpf: 11 ASCII digits with valid check digits")
        try:
            image = base64.b64decode(body.answer.biometria_face, validate=True)
            sim = faces.similarity(image, cpf, world_seed=world_seed)
        except (binascii.Error, ValueError, OSError):
            return _error(400, "IMAGEM_INVALIDA", "answer.biometria_face: not a base64 PNG/JPEG image")
        registered = names_by_cpf.get(cpf)
        nome = (
            None
            if registered is None or body.answer.nome is None
            else name_similarity(body.answer.nome, registered)
        )
        return {
            "cpf_disponivel": True,
            "nome": None if nome is None else nome >= 0.5,
            "nome_similaridade": nome,
            "biometria_face": {"disponivel": True, "probabilidade": band(sim), "similaridade": sim},
        }

    return app
