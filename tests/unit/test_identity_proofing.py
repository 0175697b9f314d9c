"""Identity proofing (issue 14.1): registering with an existing customer's CPF gave that customer's
score, lake data in the LGPD export, and erasure of their lake data. A login now sees nothing the
bank holds about a CPF until it proves it owns it: a one-time code sent to a contact on record, or
a selfie matched against the CPF holder's reference photo (facial validation sandbox).
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from fastapi.testclient import TestClient
from lgpd_kit import _fill
from serving_kit import PASSWORD, auth, enrol_device, make_settings, new_cpf, register, step_up

from cofre.embedded import gateway
from lake import delta
from lake.installation_keys import LABEL_KYC_OTP
from lake.pseudonym import pseudonymise_one
from sandbox import faces
from sandbox.identity import outbox_path
from sandbox.notify import read_outbox_file
from serving.db.orm import IdentityChallenge
from serving.deps import get_clock
from serving.kyc.proofing import code_hmac

VICTIM_PHONE = "+5511987650001"
VICTIM_EMAIL = "vitima.real@exemplo.com.br"
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    s = make_settings(tmp_path_factory.mktemp("kyc"))
    app = gateway(s)
    with TestClient(app) as c:
        key = app.state.services.secret
        cpf = new_cpf()
        pk = pseudonymise_one(cpf, "cpf", key=key)
        delta.append(
            "silver.customers",
            _fill(
                "silver.customers",
                [
                    {
                        "customer_pk": pk,
                        "customer_id": "CUS1",
                        "email_pk": pseudonymise_one(VICTIM_EMAIL, "email", key=key),
                        "phone_pk": pseudonymise_one(VICTIM_PHONE, "phone", key=key),
                        "source_record_id": "r",
                        "ingested_at": T0,
                    }
                ],
            ),
            s,
        )
        payload = json.dumps({"cpf": cpf, "name": "Vitória Real", "score": 712})
        delta.append(
            "bronze.serasa_scores",
            _fill(
                "bronze.serasa_scores",
                [
                    {
                        "record_id": uuid.uuid4().hex,
                        "source": "serasa",
                        "request_id": "r",
                        "pulled_at": T0,
                        "ingest_date": T0.date(),
                        "payload": payload,
                        "cpf": cpf,
                        "consulted_at": T0,
                    }
                ],
            ),
            s,
        )
        admin = register(c, role="admin")
        yield {"c": c, "s": s, "app": app, "cpf": cpf, "pk": pk, "admin": admin}


def claim(c, cpf: str, tag: str = "eve") -> dict:
    email = f"{tag}.{uuid.uuid4().hex[:10]}@exemplo.com"
    r = c.post(
        "/auth/register", json={"cpf": cpf, "name": "Eva Golpista", "email": email, "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    tok = c.post("/auth/login", json={"email": email, "password": PASSWORD}).json()
    return {**r.json(), "cpf": cpf, "access": tok["access_token"], "status": r.status_code}


def lake_rows_of_victim(bank) -> tuple[int, int]:
    s = bank["s"]
    customers = delta.read("silver.customers", settings=s).filter(pl.col("customer_pk") == bank["pk"]).height
    serasa = delta.read("bronze.serasa_scores", settings=s).filter(pl.col("cpf") == bank["cpf"]).height
    return customers, serasa


def outbox(bank, to: str) -> list[dict]:
    return read_outbox_file(outbox_path(bank["s"]), to)


def test_registration_answers_the_same_for_known_and_unknown_cpfs(bank):
    known, unknown = claim(bank["c"], bank["cpf"]), claim(bank["c"], new_cpf())
    again = claim(bank["c"], bank["cpf"])
    for r in (known, unknown, again):
        assert r["status"] == 201 and r["identity_status"] == "unverified"
    strip = {"id", "email", "account_id", "cpf", "access", "status"}
    assert {k: v for k, v in known.items() if k not in strip} == {
        k: v for k, v in unknown.items() if k not in strip
    }


def test_an_unproven_claimant_gets_no_score_no_lake_export_and_erases_nothing(bank):
    c = bank["c"]
    eve = claim(c, bank["cpf"])
    for purpose in ("credit_analysis", "marketing"):
        assert c.post(f"/lgpd/consents/{purpose}", headers=auth(eve["access"])).status_code == 201
    for path in ("/suitability/me", "/recommendations/me"):
        r = c.get(path, headers=auth(eve["access"]))
        assert r.status_code == 403 and r.json()["code"] == "identity_not_verified", r.text
    stepped = step_up(c, eve, enrol_device(c, eve))
    r = c.post("/pix/keys", json={"key_type": "CPF", "key": bank["cpf"]}, headers=auth(stepped))
    assert r.status_code == 403 and r.json()["code"] == "identity_not_verified"

    r = c.post("/lgpd/requests", json={"kind": "access"}, headers=auth(eve["access"]))
    assert r.status_code == 201, r.text
    c.app.state.export_jobs.wait_idle()
    r = c.get(f"/lgpd/requests/{r.json()['id']}/export", headers=auth(eve["access"]))
    assert r.status_code == 200, r.text
    z = zipfile.ZipFile(io.BytesIO(r.content))
    lake_part = z.read("lake.json").decode() + z.read("features_online.json").decode()
    assert bank["cpf"] not in lake_part and bank["pk"] not in lake_part and "Vitória" not in lake_part
    assert json.loads(z.read("subject.json"))["customer_pk"] == ""

    before = lake_rows_of_victim(bank)
    assert before == (1, 1)
    r = c.post("/lgpd/requests", json={"kind": "erasure"}, headers=auth(eve["access"]))
    rid = r.json()["id"]
    r = c.post(f"/admin/lgpd/requests/{rid}/erase", headers=auth(bank["admin"]["access"]))
    assert r.status_code == 200, r.text
    assert lake_rows_of_victim(bank) == before  # the real customer's lake data is untouched


def test_a_code_goes_only_to_a_contact_on_record_and_cannot_be_guessed(bank):
    c = bank["c"]
    eve = claim(c, bank["cpf"])
    own = c.post(
        "/kyc/otp", json={"channel": "sms", "destination": "+5521999990000"}, headers=auth(eve["access"])
    )
    theirs = c.post(
        "/kyc/otp", json={"channel": "sms", "destination": VICTIM_PHONE}, headers=auth(eve["access"])
    )
    assert own.status_code == theirs.status_code == 202
    assert own.json().keys() == theirs.json().keys() and own.json()["detail"] == theirs.json()["detail"]
    assert outbox(bank, "5521999990000") == []  # not on record: nothing sent
    assert len(outbox(bank, VICTIM_PHONE.lstrip("+"))) >= 1  # the real owner's phone got it
    cid = theirs.json()["challenge_id"]
    lefts = []
    for guess in ("000000", "111111", "222222", "333333", "444444"):
        r = c.post("/kyc/otp/verify", json={"challenge_id": cid, "code": guess}, headers=auth(eve["access"]))
        if r.status_code == 200:  # one chance in 10**6 per guess: a guess that hits is not the test's point
            pytest.skip("a guessed code matched")
        assert r.status_code == 400 and r.json()["code"] == "invalid_code", r.text
        lefts.append(r.json()["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    code = re.search(r"\d{6}", outbox(bank, VICTIM_PHONE.lstrip("+"))[-1]["contents"][0]["text"]).group()
    r = c.post("/kyc/otp/verify", json={"challenge_id": cid, "code": code}, headers=auth(eve["access"]))
    assert r.status_code == 429 and r.json()["code"] == "too_many_attempts"  # even the right code, now
    r = c.post(
        "/kyc/documents",
        files={"document": ("rg.png", faces.selfie(eve["cpf"] + "x"), "image/png"),
               "selfie": ("s.png", faces.selfie(new_cpf()), "image/png")},
        headers=auth(eve["access"]),
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["code"] == "selfie_not_matched", r.text
    assert c.get("/kyc/status", headers=auth(eve["access"])).json()["status"] == "unverified"
    assert c.get("/suitability/me", headers=auth(eve["access"])).status_code == 403


def test_the_owner_proves_it_by_code_and_then_gets_their_data(bank):
    c = bank["c"]
    owner = claim(c, bank["cpf"], tag="owner")
    r = c.post(
        "/kyc/otp", json={"channel": "sms", "destination": "(11) 98765-0001"}, headers=auth(owner["access"])
    )
    assert r.status_code == 202 and r.json()["destination"] == "+55 (11) *****-0001"
    code = re.search(r"\d{6}", outbox(bank, VICTIM_PHONE.lstrip("+"))[-1]["contents"][0]["text"]).group()
    cid = r.json()["challenge_id"]
    # the stored code HMAC is keyed by a purpose key of its own: the pseudonym key (held by every
    # pipeline worker) cannot brute-force the 10^6 codes of a challenge row read from the database
    services = c.app.state.services
    with services.sessions() as db:
        stored = db.get(IdentityChallenge, cid).code_hmac
    assert stored == code_hmac(services.settings.purpose_key(LABEL_KYC_OTP), cid, code)
    assert stored != code_hmac(services.secret, cid, code)
    r = c.post("/kyc/otp/verify", json={"challenge_id": cid, "code": code}, headers=auth(owner["access"]))
    assert r.status_code == 200 and r.json()["method"] == "otp_sms", r.text
    assert c.get("/kyc/status", headers=auth(owner["access"])).json()["status"] == "verified"
    r = c.post("/lgpd/requests", json={"kind": "access"}, headers=auth(owner["access"]))
    c.app.state.export_jobs.wait_idle()
    r = c.get(f"/lgpd/requests/{r.json()['id']}/export", headers=auth(owner["access"]))
    lake = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("lake.json"))
    assert [row["customer_pk"] for row in lake["silver.customers"]] == [bank["pk"]]
    assert [row["cpf"] for row in lake["bronze.serasa_scores"]] == [bank["cpf"]]
    # once a login has proven the CPF, nobody else can link it, even with the holder's face
    late = claim(c, bank["cpf"], tag="late")
    selfie = faces.selfie(bank["cpf"], take=3, world_seed=bank["s"].sim_seed)
    r = c.post(
        "/kyc/documents",
        files={"document": ("rg.png", selfie, "image/png"), "selfie": ("s.png", selfie, "image/png")},
        headers=auth(late["access"]),
    )
    assert r.status_code == 409 and r.json()["code"] == "identity_already_linked", r.text


def test_codes_expire_and_are_limited_per_day(bank):
    c, app = bank["c"], bank["app"]
    who = claim(c, new_cpf(), tag="lim")
    r = c.post("/kyc/otp", json={"channel": "email"}, headers=auth(who["access"]))
    assert r.status_code == 202
    later = datetime.now(UTC) + timedelta(seconds=bank["s"].kyc_otp_ttl_s + 1)

    async def _later() -> datetime:
        return later

    app.dependency_overrides[get_clock] = _later
    try:
        r2 = c.post(
            "/kyc/otp/verify",
            json={"challenge_id": r.json()["challenge_id"], "code": "123456"},
            headers=auth(who["access"]),
        )
        assert r2.status_code == 410 and r2.json()["code"] == "challenge_expired"
    finally:
        app.dependency_overrides.pop(get_clock)
    codes = [
        c.post("/kyc/otp", json={"channel": "email"}, headers=auth(who["access"])).status_code
        for _ in range(5)
    ]
    assert codes == [202] * (bank["s"].kyc_otp_daily_limit - 1) + [429]
