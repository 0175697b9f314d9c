"""Bronze pull of bureau scores through the Serasa client: ``GET /score/v1/{cpf}`` per customer.

One bronze row per point of the returned ``history`` (the point's JSON as received plus the
response's ``cpf`` in the natural key). A 404 (no score) is recorded as an error, not a failure.
"""

from __future__ import annotations

import uuid

from pipelines.common.bronze import BronzeBatch, dumps, now_utc
from pipelines.sources.serasa.client import SerasaClient


async def pull_score(client: SerasaClient, cpf: str, out: BronzeBatch, errors: list[str]) -> None:
    rid = str(uuid.uuid4())
    resp = await client.request("GET", f"/score/v1/{cpf}", headers={"x-request-id": rid})
    if resp.status_code == 404:
        errors.append("serasa: a customer has no score (404)")
        return
    if resp.status_code != 200:
        client.raise_for(resp)
    body = resp.json()
    at = now_utc()
    for point in body.get("history") or []:
        out.add((body.get("cpf", cpf), point.get("consultedAt")), dumps(point), request_id=rid, pulled_at=at)
