"""CPF/CNPJ/PIX identifiers agree with independent references (textbook code and validate-docbr)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from validate_docbr import CNPJ as RefCNPJ
from validate_docbr import CPF as RefCPF

from lake.domain import identifiers as ids

REF_CPF, REF_CNPJ = RefCPF(), RefCNPJ()


def textbook_cpf_ok(s: str) -> bool:
    """Receita Federal's rule written plainly: two modulo-11 digits over weights 10..2 and 11..2."""
    if len(s) != 11 or not s.isdigit() or len(set(s)) == 1:
        return False
    d = [int(c) for c in s]
    for n in (9, 10):
        total = sum(d[i] * (n + 1 - i) for i in range(n))
        check = 0 if total % 11 < 2 else 11 - total % 11
        if d[n] != check:
            return False
    return True


def textbook_cnpj_ok(s: str) -> bool:
    if len(s) != 14 or not s.isdigit() or len(set(s)) == 1:
        return False
    d = [int(c) for c in s]
    weights = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    for n in (12, 13):
        w = weights[13 - n :]
        total = sum(a * b for a, b in zip(d[:n], w, strict=True))
        check = 0 if total % 11 < 2 else 11 - total % 11
        if d[n] != check:
            return False
    return True


digits = st.text(alphabet="0123456789", min_size=0, max_size=16)


@settings(max_examples=400, deadline=None)
@given(digits)
def test_cpf_agrees_with_references_on_random_digits(s):
    assert ids.is_valid_cpf(s) == textbook_cpf_ok(s) == (len(s) == 11 and REF_CPF.validate(s))


@settings(max_examples=400, deadline=None)
@given(digits)
def test_cnpj_agrees_with_references_on_random_digits(s):
    assert ids.is_valid_cnpj(s) == textbook_cnpj_ok(s) == (len(s) == 14 and REF_CNPJ.validate(s))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_cpf_with_computed_digits_is_valid(base):
    s = base + ids.cpf_check_digits(base)
    assert ids.is_valid_cpf(s) == textbook_cpf_ok(s) == REF_CPF.validate(s) == (len(set(s)) > 1)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_cnpj_with_computed_digits_is_valid(base):
    s = base + ids.cnpj_check_digits(base)
    assert ids.is_valid_cnpj(s) == textbook_cnpj_ok(s) == REF_CNPJ.validate(s) == (len(set(s)) > 1)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_generated_documents_valid_per_references(seed):
    rng = np.random.default_rng(seed)
    for cpf in ids.generate_cpfs(rng, 50):
        assert textbook_cpf_ok(cpf) and REF_CPF.validate(cpf) and ids.is_valid_cpf(cpf)
        assert ids.is_valid_cpf(ids.format_cpf(cpf)) and REF_CPF.mask(cpf) == ids.format_cpf(cpf)
    for cnpj in ids.generate_cnpjs(rng, 50, branch=None):
        assert textbook_cnpj_ok(cnpj) and REF_CNPJ.validate(cnpj) and ids.is_valid_cnpj(cnpj)
        assert ids.is_valid_cnpj(ids.format_cnpj(cnpj)) and REF_CNPJ.mask(cnpj) == ids.format_cnpj(cnpj)


def test_altered_digits_follow_the_reference():
    rng = np.random.default_rng(7)
    for doc, ok, ref in [(c, ids.is_valid_cpf, REF_CPF) for c in ids.generate_cpfs(rng, 200)] + [
        (c, ids.is_valid_cnpj, REF_CNPJ) for c in ids.generate_cnpjs(rng, 200)
    ]:
        last = doc[:-1] + str((int(doc[-1]) + 1) % 10)
        assert not ok(last)  # the last check digit is a function of all the others
        for pos in range(len(doc) - 1):  # mod-11 folds remainders 0 and 1: some changes stay valid
            bad = doc[:pos] + str((int(doc[pos]) + 3) % 10) + doc[pos + 1 :]
            assert ok(bad) == ref.validate(bad)


@pytest.mark.parametrize(
    "value",
    [
        "11111111111",
        "00000000000",
        "5299822472",
        "529982247250",
        "529.982.247-2",
        "529.982.24725",
        "529-982-247.25",
        " ",
        "",
        "abc",
        "52998224726",
        "529.982.247-26",
    ],
)
def test_cpf_edge_cases_rejected(value):
    assert not ids.is_valid_cpf(value)
    with pytest.raises(ValueError):
        ids.normalize_cpf(value)


def test_cpf_known_values_and_formats():
    assert ids.is_valid_cpf("52998224725") and ids.is_valid_cpf("529.982.247-25")
    assert ids.normalize_cpf("529.982.247-25") == "52998224725"
    assert ids.format_cpf("52998224725") == "529.982.247-25"
    assert ids.cpf_check_digits("529982247") == "25"


@pytest.mark.parametrize(
    "value",
    [
        "11111111111111",
        "00000000000000",
        "1122233300018",
        "112223330001811",
        "11.222.333/0001-8",
        "11222333/0001-81",
        "11.222.333.0001-81",
        "11222333000182",
    ],
)
def test_cnpj_edge_cases_rejected(value):
    assert not ids.is_valid_cnpj(value)


def test_cnpj_known_values_formats_and_alphanumeric():
    assert ids.is_valid_cnpj("11222333000181") and ids.is_valid_cnpj("11.222.333/0001-81")
    assert ids.format_cnpj("11222333000181") == "11.222.333/0001-81"
    # alphanumeric CNPJ (2026): letters weigh ord(c) - 48; cross-checked against validate-docbr
    alnum = "12ABC34501DE" + ids.cnpj_check_digits("12ABC34501DE")
    assert alnum == "12ABC34501DE35" and REF_CNPJ.validate(alnum) and ids.is_valid_cnpj(alnum)
    assert ids.format_cnpj(alnum) == "12.ABC.345/01DE-35"


def test_generation_is_deterministic_unique_and_vectorised():
    a = ids.generate_cpfs(np.random.default_rng(3), 100_000)
    b = ids.generate_cpfs(np.random.default_rng(3), 100_000)
    assert (a == b).all() and len(set(a.tolist())) == 100_000
    assert all(len(set(c)) > 1 for c in a[:5000])
    cn = ids.generate_cnpjs(np.random.default_rng(3), 20_000)
    assert len(set(cn.tolist())) == 20_000 and all(c[8:12] == "0001" for c in cn)


def test_pix_key_generation_and_classification():
    rng = np.random.default_rng(11)
    for k in ids.generate_cpfs(rng, 100):
        assert ids.pix_key_type(k) == "CPF"
    for k in ids.generate_cnpjs(rng, 100):
        assert ids.pix_key_type(k) == "CNPJ"
    phones = ids.generate_phones(rng, 500, unique_ids=np.arange(500))
    assert len(set(phones.tolist())) == 500
    for k in phones:
        assert ids.pix_key_type(k) == "PHONE" and len(k) == 14 and k.startswith("+55")
    evps = ids.generate_evps(rng, 500)
    assert len(set(evps.tolist())) == 500
    for k in evps:
        assert ids.pix_key_type(k) == "EVP" and uuid.UUID(k).version == 4 and str(uuid.UUID(k)) == k
    again = ids.generate_evps(np.random.default_rng(5), 10)
    assert (again == ids.generate_evps(np.random.default_rng(5), 10)).all()
    assert ids.pix_key_type("maria.silva@exemplo.com.br") == "EMAIL"


@pytest.mark.parametrize(
    "key",
    [
        "",
        "52998224726",
        "11222333000182",
        "+55119876543210",
        "+5500987654321",
        "+5511887654321",
        "+551198765432",
        "5511987654321",
        "Maria@Exemplo.com",
        "maria@",
        "@exemplo.com",
        "maria@exemplo",
        "a" * 70 + "@exemplo.com",
        "353297DD-2E3C-46C0-A49C-7FD69AC2C389",
        "353297dd2e3c46c0a49c7fd69ac2c389",
        "529.982.247-25",
        " 52998224725",
    ],
)
def test_invalid_pix_keys_rejected(key):
    with pytest.raises(ids.InvalidPixKey):
        ids.pix_key_type(key)
    assert not ids.is_valid_pix_key(key)


def test_pix_key_type_check():
    assert ids.is_valid_pix_key("+14155552671", "PHONE")
    assert not ids.is_valid_pix_key("52998224725", "PHONE")


# --- issue 20, defect 7: lower-case alphanumeric CNPJ ------------------------------------------


def test_lower_case_alphanumeric_cnpj_is_accepted_and_upper_cased():
    """Decision (see :func:`lake.domain.identifiers.normalize_cnpj`): ASCII letters are upper-cased
    before the check, as common validators do, and the canonical form is upper-case."""
    base = "12ABC34501DE"
    full = base + ids.cnpj_check_digits(base)
    assert ids.is_valid_cnpj(full.lower()) and ids.normalize_cnpj(full.lower()) == full
    masked = f"{full[:2]}.{full[2:5]}.{full[5:8]}/{full[8:12]}-{full[12:]}".lower()
    assert ids.normalize_cnpj(masked) == full and ids.format_cnpj(full.lower()) == ids.format_cnpj(full)
    assert REF_CNPJ.validate(full)  # the reference agrees on the upper-case form


def test_only_ascii_letters_are_upper_cased_in_a_cnpj():
    """Python upper-cases some non-ASCII letters to ASCII ones (long s -> S, dotless i -> I): they must
    not turn into a valid CNPJ."""
    base = "12ABS34501DI"
    full = base + ids.cnpj_check_digits(base)
    assert ids.is_valid_cnpj(full)
    assert "ſ".upper() == "S" and "ı".upper() == "I"
    assert not ids.is_valid_cnpj(full.replace("S", "ſ"))
    assert not ids.is_valid_cnpj(full.replace("I", "ı"))
