"""CPF input accepts only ASCII digits and the standard mask, everywhere (issue 14, item 7).

``٥٢٩٩٨٢٢٤٧25`` (Arabic-Indic base, ASCII check digits) registered next to ``52998224725``: Python's
regex digit class matches every script's digits and ``ord("٠") - 48`` is a multiple of 11, so even the
check digits passed. Property tests compare the lake's validator, the polars expression of the quality
suites and a plain reference on arbitrary text; the sandboxes are asked over their real HTTP APIs.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import polars as pl
import pytest
from fixtures_world import make_world
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.domain import document_checks as dc
from lake.domain import identifiers as ids
from lake.settings import load_settings

# zero of a few decimal-digit scripts: Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali,
# Thai, fullwidth, mathematical bold
ZEROS = [0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10, 0x1D7CE]
FOREIGN_DIGITS = "".join(chr(z + k) for z in ZEROS for k in range(10))
BLANKS = " \t\r\n"


def reference_cpf_ok(value: str) -> bool:
    """The rule written plainly: 11 ASCII digits, bare or as NNN.NNN.NNN-NN, surrounding ASCII blanks
    ignored, not all equal, two modulo-11 check digits over weights 10..2 and 11..2."""
    s = value.strip(BLANKS)
    if len(s) == 14 and s[3] == "." and s[7] == "." and s[11] == "-":
        s = s[:3] + s[4:7] + s[8:11] + s[12:]
    if len(s) != 11 or any(c not in "0123456789" for c in s) or len(set(s)) == 1:
        return False
    d = [ord(c) - ord("0") for c in s]
    for n in (9, 10):
        total = sum(d[i] * (n + 1 - i) for i in range(n))
        if d[n] != (0 if total % 11 < 2 else 11 - total % 11):
            return False
    return True


def polars_cpf_ok(values: list[str]) -> list[bool]:
    return pl.DataFrame({"v": values}).select(dc.is_valid_cpf(pl.col("v"))).to_series().to_list()


valid_cpfs = st.builds(lambda n: ids.cpf_with_digits(f"{n:09d}"), st.integers(1, 999_999_998)).filter(
    ids.is_valid_cpf
)


@st.composite
def disguised(draw) -> str:
    """A valid CPF, maybe masked, with some of its digits swapped for the same digit of another script
    and maybe surrounded by blanks (ASCII or not)."""
    cpf = draw(valid_cpfs)
    if draw(st.booleans()):
        cpf = ids.format_cpf(cpf)
    chars = list(cpf)
    for i in draw(st.sets(st.integers(0, len(chars) - 1), max_size=4)):
        if chars[i].isdigit():
            chars[i] = chr(draw(st.sampled_from(ZEROS)) + int(chars[i]))
    pad = st.text(alphabet=" \t\u00a0\u2003\n", max_size=2)
    return draw(pad) + "".join(chars) + draw(pad)


text = st.text(alphabet=st.sampled_from("0123456789.-/ \t\u00a0" + FOREIGN_DIGITS[:30] + "aZ"), max_size=18)


@settings(max_examples=600, deadline=None)
@given(st.one_of(disguised(), text, valid_cpfs))
def test_cpf_validators_agree_with_the_reference(value):
    expected = reference_cpf_ok(value)
    assert ids.is_valid_cpf(value) == expected
    assert polars_cpf_ok([value]) == [expected]


@settings(max_examples=300, deadline=None)
@given(valid_cpfs, st.integers(0, 10), st.sampled_from(ZEROS))
def test_a_single_foreign_digit_makes_a_cpf_invalid(cpf, position, zero):
    forged = cpf[:position] + chr(zero + int(cpf[position])) + cpf[position + 1 :]
    assert not ids.is_valid_cpf(forged)
    assert not ids.is_valid_cpf(ids.format_cpf(cpf)[:position] + chr(zero) + "x")
    assert polars_cpf_ok([forged, cpf]) == [False, True]
    with pytest.raises(ValueError):
        ids.normalize_cpf(forged)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.one_of(st.sampled_from(FOREIGN_DIGITS + "0123456789"), st.characters()), max_size=30)
)
def test_only_digits_keeps_ascii_digits_only(value):
    out = ids.only_digits(value)
    assert all(c in "0123456789" for c in out)
    assert out == "".join(c for c in value if c in "0123456789")


def test_partial_masks_are_refused_by_both_validators():
    cpf = "52998224725"
    partial = ["529.982247-25", "529982247-25", "529.982.24725", "529 982 247 25", "529.982.247/25"]
    assert [ids.is_valid_cpf(p) for p in partial] == [False] * len(partial)
    assert polars_cpf_ok(partial + [cpf, " 529.982.247-25\n"]) == [False] * len(partial) + [True, True]


def test_cnpj_and_pix_keys_refuse_foreign_digits():
    cnpj = "11222333000181"
    assert ids.is_valid_cnpj(cnpj)
    arabic = "".join(chr(0x0660 + int(c)) for c in cnpj[:12]) + cnpj[12:]
    assert not ids.is_valid_cnpj(arabic)
    assert not ids.is_valid_pix_key("+55119" + "".join(chr(0x0660 + int(c)) for c in "87654321"))
    from serving.pix.keys import InvalidPixKey, KeyType, normalise

    with pytest.raises(InvalidPixKey):
        normalise(KeyType.CPF, "".join(chr(0x0660 + int(c)) for c in "52998224725"))


# --- the sandboxes, over HTTP ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=6, seed=3)


def _arabic(cpf: str) -> str:
    return "".join(chr(0x0660 + int(c)) for c in cpf[:9]) + cpf[9:]


def test_serasa_sandbox_refuses_foreign_digits(world, tmp_path):
    from pipelines.sources.serasa.client import InvalidCpfError, SerasaClient
    from sandbox.serasa import create_app

    s = load_settings(home=tmp_path)
    client = SerasaClient.from_settings(s, app=create_app(world, s))
    cpf = world["customers"]["cpf"][0]

    async def scenario():
        assert (await client.score(cpf)).score >= 0
        with pytest.raises(InvalidCpfError):
            await client.score(_arabic(cpf))

    asyncio.run(scenario())


def test_open_finance_sandbox_refuses_foreign_digits(world, tmp_path):
    from pipelines.sources.open_finance.client import OpenFinanceClient
    from sandbox.open_finance.server import create_app
    from sandbox.world_index import WorldIndex

    s = load_settings(home=tmp_path)
    client = OpenFinanceClient.from_settings(s, app=create_app(WorldIndex(world), s))
    cpf = world["customers"]["cpf"][0]

    async def scenario():
        ok = await client.create_consent(cpf, ["ACCOUNTS_READ"])
        assert ok.status != "REJECTED"
        with pytest.raises(Exception) as err:
            await client.create_consent(_arabic(cpf), ["ACCOUNTS_READ"])
        assert "400" in str(err.value) or getattr(err.value, "status", None) == 400

    asyncio.run(scenario())


def test_pix_sandbox_refuses_foreign_digits(world, tmp_path):
    from pipelines.sources.pix.client import PixApiError, PixClient
    from sandbox.pix.server import create_app
    from sandbox.world_index import WorldIndex

    s = load_settings(home=tmp_path, http_backoff_base_s=0.001)
    index = WorldIndex(world)
    client = PixClient.from_settings(s, app=create_app(index, s))
    key = next(k for k, row in sorted(index.pix_keys.items()) if row["customer_id"] is not None)
    cpf = world["customers"]["cpf"][0]

    async def scenario():
        await client.create_cob(key, Decimal("1.00"), devedor={"cpf": cpf, "nome": "Fulano"})
        with pytest.raises(PixApiError) as err:
            await client.create_cob(key, Decimal("1.00"), devedor={"cpf": _arabic(cpf), "nome": "Fulano"})
        assert err.value.status == 400

    asyncio.run(scenario())
