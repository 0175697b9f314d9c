"""Serasa-like score sandbox + client: contract (its own OpenAPI), bands, errors, auth."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fixtures_world import make_world
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from lake.settings import load_settings
from pipelines.sources.serasa.client import CpfNotFoundError, InvalidCpfError, SerasaClient
from pipelines.sources.serasa.schemas import band_of
from sandbox.serasa import create_app


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=20, seed=3)


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path)


@pytest.mark.parametrize(
    "score,band",
    [
        (0, "baixo"),
        (300, "baixo"),
        (301, "regular"),
        (500, "regular"),
        (501, "bom"),
        (700, "bom"),
        (701, "muito_bom"),
        (1000, "muito_bom"),
    ],
)
def test_bands(score, band):
    assert band_of(score) == band


def test_band_rejects_out_of_range():
    with pytest.raises(ValueError):
        band_of(1001)


def test_scores_for_every_customer_match_the_world_and_the_published_contract(world, settings):
    app = create_app(world, settings)
    contract = OpenAPI.from_dict(app.openapi())
    client = SerasaClient.from_settings(settings, app=app)
    responses: list[httpx.Response] = []

    async def keep(resp: httpx.Response) -> None:
        if resp.request.url.path.startswith("/score/"):
            await resp.aread()
            responses.append(resp)

    client.http.event_hooks["response"].append(keep)
    scores = world["bureau_scores"]

    async def scenario():
        for cpf in world["customers"]["cpf"]:
            got = await client.score(cpf)
            mine = scores.filter(scores["cpf"] == cpf).sort("consulted_at", descending=True)
            assert got.score == mine["score"][0] and got.band == band_of(got.score)
            assert [h.score for h in got.history] == mine["score"].to_list()
            assert got.consultedAt == mine["consulted_at"][0]
        with pytest.raises(InvalidCpfError):
            await client.score("12345678900")
        with pytest.raises(InvalidCpfError):
            await client.score("1234")
        with pytest.raises(CpfNotFoundError):
            await client.score("52998224725")

    run(scenario())
    assert len(responses) == 23
    for resp in responses:
        req = MockRequest("https://serasa.cofre.local", "get", resp.request.url.path)
        contract.validate_response(
            req, MockResponse(resp.content, status_code=resp.status_code, content_type="application/json")
        )


def test_bearer_token_required(world, settings):
    app = create_app(world, settings)

    async def scenario():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://s.cofre.local"
        ) as http:
            cpf = world["customers"]["cpf"][0]
            r = await http.get(f"/score/v1/{cpf}")
            assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHORIZED"
            r = await http.get(f"/score/v1/{cpf}", headers={"Authorization": "Bearer forged"})
            assert r.status_code == 401
            r = await http.post("/token", data={"grant_type": "client_credentials"}, auth=("cofre", "wrong"))
            assert r.status_code == 401 and r.json()["error"] == "invalid_client"
            r = await http.post(
                "/token",
                data={"grant_type": "password"},
                auth=(settings.client_id, settings.client_secret.get_secret_value()),
            )
            assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
            # client id/secret in the form body work too
            r = await http.post(
                "/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": settings.client_id,
                    "client_secret": settings.client_secret.get_secret_value(),
                },
            )
            body = r.json()
            assert r.status_code == 200 and body["token_type"] == "Bearer"
            assert body["expires_in"] == settings.sandbox_token_ttl_s
            r = await http.get(
                f"/score/v1/{cpf}", headers={"Authorization": f"Bearer {body['access_token']}"}
            )
            assert r.status_code == 200

    run(scenario())
