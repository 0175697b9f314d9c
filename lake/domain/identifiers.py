"""Brazilian identifiers: CPF, CNPJ and PIX keys (check digits, validation, formatting, generation).

Validation accepts bare digits (``"52998224725"``) or the official mask (``"529.982.247-25"``,
``"11.222.333/0001-81"``), with surrounding ASCII blanks ignored; anything else, wrong lengths and
all-equal digits are rejected. Digits are ASCII ``0-9`` only: Python's regex digit class and
``str.isdigit`` also match other scripts' digits (``"٥"``, ``"５"``), and since ``ord("٠") - 48`` is
a multiple of 11 an Arabic-Indic CPF would even pass the check digits, so every pattern here spells
``[0-9]``. The CNPJ check digits follow Receita Federal's modulo-11 rule over ``ord(c) - 48`` so
the alphanumeric CNPJ (IN RFB 2.229/2024: 12 characters in ``[0-9A-Z]`` then two numeric check
digits) validates too; generation produces numeric CNPJs.

PIX keys follow the DICT formats (BACEN, Manual de Padrões para Iniciação do Pix): CPF and CNPJ as
bare digits, e-mail in lower case up to 77 characters, phone in E.164 (``+55`` + DDD + 9-digit mobile
for Brazil), EVP as a lower-case UUID.

The ``generate_*`` functions are vectorised: they draw from a :class:`numpy.random.Generator` and
do the check-digit arithmetic on ``(n, k)`` digit arrays, returning numpy unicode arrays.
"""

from __future__ import annotations

import re

import numpy as np

CPF_LEN = 11
CNPJ_LEN = 14
EMAIL_MAX_LEN = 77

_CPF_MASK = re.compile(r"[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}")
_CNPJ_MASK = re.compile(r"[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}/[0-9A-Z]{4}-[0-9]{2}")
_CPF_BARE = re.compile(r"[0-9]{11}")
_CNPJ_BARE = re.compile(r"[0-9A-Z]{12}[0-9]{2}")
_EVP = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PHONE = re.compile(r"\+[1-9][0-9]{1,14}")
_BLANKS = " \t\r\n"
_EMAIL = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)

# Area codes (DDD) in use, by state (Anatel).
DDD_BY_STATE: dict[str, tuple[int, ...]] = {
    "SP": (11, 12, 13, 14, 15, 16, 17, 18, 19),
    "RJ": (21, 22, 24),
    "ES": (27, 28),
    "MG": (31, 32, 33, 34, 35, 37, 38),
    "PR": (41, 42, 43, 44, 45, 46),
    "SC": (47, 48, 49),
    "RS": (51, 53, 54, 55),
    "DF": (61,),
    "GO": (62, 64),
    "TO": (63,),
    "MT": (65, 66),
    "MS": (67,),
    "AC": (68,),
    "RO": (69,),
    "BA": (71, 73, 74, 75, 77),
    "SE": (79,),
    "PE": (81, 87),
    "AL": (82,),
    "PB": (83,),
    "RN": (84,),
    "CE": (85, 88),
    "PI": (86, 89),
    "PA": (91, 93, 94),
    "AM": (92, 97),
    "RR": (95,),
    "AP": (96,),
    "MA": (98, 99),
}
VALID_DDDS: frozenset[int] = frozenset(d for ds in DDD_BY_STATE.values() for d in ds)

_CPF_W1 = np.arange(10, 1, -1)  # 10..2 over 9 digits
_CPF_W2 = np.arange(11, 1, -1)  # 11..2 over 10 digits
_CNPJ_W1 = np.array([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
_CNPJ_W2 = np.array([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])


class InvalidPixKey(ValueError):
    """The string is not a PIX key of any DICT type."""


# --- check digits -------------------------------------------------------------------------------


def _mod11(weighted_sum: np.ndarray | int) -> np.ndarray | int:
    r = weighted_sum % 11
    return np.where(r < 2, 0, 11 - r) if isinstance(r, np.ndarray) else (0 if r < 2 else 11 - r)


def _values(s: str) -> list[int]:
    return [ord(c) - 48 for c in s]


def cpf_check_digits(base: str) -> str:
    """The two check digits of a 9-digit CPF base."""
    if not re.fullmatch(r"[0-9]{9}", base):
        raise ValueError(f"CPF base must be 9 digits, got {base!r}")
    v = _values(base)
    d1 = _mod11(sum(a * b for a, b in zip(v, _CPF_W1.tolist(), strict=True)))
    d2 = _mod11(sum(a * b for a, b in zip([*v, d1], _CPF_W2.tolist(), strict=True)))
    return f"{d1}{d2}"


def cnpj_check_digits(base: str) -> str:
    """The two check digits of a 12-character CNPJ base (digits or, since 2026, ``[0-9A-Z]``)."""
    if not re.fullmatch(r"[0-9A-Z]{12}", base):
        raise ValueError(f"CNPJ base must be 12 characters [0-9A-Z], got {base!r}")
    v = _values(base)
    d1 = _mod11(sum(a * b for a, b in zip(v, _CNPJ_W1.tolist(), strict=True)))
    d2 = _mod11(sum(a * b for a, b in zip([*v, d1], _CNPJ_W2.tolist(), strict=True)))
    return f"{d1}{d2}"


# --- normalisation and validation ---------------------------------------------------------------


def only_digits(value: str) -> str:
    """The ASCII digits of ``value``, in order (everything else dropped, other scripts' digits too)."""
    return re.sub(r"[^0-9]", "", value)


def cpf_with_digits(base9: str) -> str:
    """Complete a 9-digit CPF base with its two check digits."""
    return base9 + cpf_check_digits(base9)


def normalize_cpf(value: str) -> str:
    """The 11 bare digits of a valid CPF (bare or masked); raises ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"CPF must be a string, got {type(value).__name__}")
    s = value.strip(_BLANKS)
    if _CPF_MASK.fullmatch(s):
        s = s.replace(".", "").replace("-", "")
    if not _CPF_BARE.fullmatch(s):
        raise ValueError(f"malformed CPF {value!r}: expected 11 digits or NNN.NNN.NNN-NN")
    if s == s[0] * CPF_LEN:
        raise ValueError(f"invalid CPF {value!r}: all digits equal")
    if cpf_check_digits(s[:9]) != s[9:]:
        raise ValueError(f"invalid CPF {value!r}: wrong check digits")
    return s


def normalize_cnpj(value: str) -> str:
    """The 14 bare characters of a valid CNPJ (bare or masked); raises ValueError otherwise.

    Letters of the alphanumeric CNPJ are upper-case in the canonical form this returns. Decision:
    lower-case ASCII letters are accepted and upper-cased before the check, as the common
    validators do (a CNPJ typed or copied in lower case names the same company, and its check
    digits are computed on the upper-case letters); only ASCII is upper-cased, because Python maps
    some other letters to ASCII ones (``"ſ".upper() == "S"``) and those must stay invalid.
    """
    if not isinstance(value, str):
        raise ValueError(f"CNPJ must be a string, got {type(value).__name__}")
    s = value.strip(_BLANKS)
    s = s.upper() if s.isascii() else s
    if _CNPJ_MASK.fullmatch(s):
        s = s.replace(".", "").replace("/", "").replace("-", "")
    if not _CNPJ_BARE.fullmatch(s):
        raise ValueError(f"malformed CNPJ {value!r}: expected 14 characters or NN.NNN.NNN/NNNN-NN")
    if s == s[0] * CNPJ_LEN:
        raise ValueError(f"invalid CNPJ {value!r}: all characters equal")
    if cnpj_check_digits(s[:12]) != s[12:]:
        raise ValueError(f"invalid CNPJ {value!r}: wrong check digits")
    return s


def is_valid_cpf(value: str) -> bool:
    try:
        normalize_cpf(value)
    except ValueError:
        return False
    return True


def is_valid_cnpj(value: str) -> bool:
    try:
        normalize_cnpj(value)
    except ValueError:
        return False
    return True


def format_cpf(value: str) -> str:
    """``NNN.NNN.NNN-NN`` for a valid CPF."""
    s = normalize_cpf(value)
    return f"{s[:3]}.{s[3:6]}.{s[6:9]}-{s[9:]}"


def format_cnpj(value: str) -> str:
    """``NN.NNN.NNN/NNNN-NN`` for a valid CNPJ."""
    s = normalize_cnpj(value)
    return f"{s[:2]}.{s[2:5]}.{s[5:8]}/{s[8:12]}-{s[12:]}"


# --- vectorised generation ----------------------------------------------------------------------


def digits_to_strings(digits: np.ndarray) -> np.ndarray:
    """Rows of an ``(n, k)`` integer digit array as a numpy array of k-character strings."""
    d = np.ascontiguousarray(digits, dtype=np.uint8) + np.uint8(48)
    k = d.shape[1]
    return d.view(f"S{k}").ravel().astype(f"U{k}")


def int_to_digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers, as an ``(n, width)`` array."""
    v = np.asarray(values, dtype=np.int64)[:, None]
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (v // powers) % 10


def cpf_digits_with_check(base9: np.ndarray) -> np.ndarray:
    """Append the two check digits to an ``(n, 9)`` digit array -> ``(n, 11)``."""
    d1 = _mod11(base9 @ _CPF_W1)
    with_d1 = np.column_stack([base9, d1])
    d2 = _mod11(with_d1 @ _CPF_W2)
    return np.column_stack([with_d1, d2])


def cnpj_digits_with_check(base12: np.ndarray) -> np.ndarray:
    """Append the two check digits to an ``(n, 12)`` digit array -> ``(n, 14)``."""
    d1 = _mod11(base12 @ _CNPJ_W1)
    with_d1 = np.column_stack([base12, d1])
    d2 = _mod11(with_d1 @ _CNPJ_W2)
    return np.column_stack([with_d1, d2])


def _distinct_bases(rng: np.random.Generator, n: int, width: int, unique: bool) -> np.ndarray:
    space = 10**width
    # numbers whose digits are all equal (000.., 111.., ...) are excluded by drawing from the
    # other values and shifting past them
    repdigits = np.array([int(str(k) * width) for k in range(10)], dtype=np.int64)
    draw = rng.choice(space - 10, size=n, replace=False) if unique else rng.integers(0, space - 10, n)
    draw = np.asarray(draw, dtype=np.int64)
    out = draw
    for _ in range(3):  # y = x + #{repdigits <= y}: a monotone bijection onto the non-repdigits
        out = draw + np.searchsorted(repdigits, out, side="right")
    return out


def _fix_repdigits(base: np.ndarray) -> np.ndarray:
    same = (base == base[:, :1]).all(axis=1)
    base[same, -1] = (base[same, -1] + 1) % 10
    return base


def generate_cpfs(rng: np.random.Generator, n: int, unique: bool = True) -> np.ndarray:
    """``n`` valid random CPFs (11 bare digits), distinct when ``unique``."""
    base = int_to_digits(_distinct_bases(rng, n, 9, unique), 9)
    return digits_to_strings(cpf_digits_with_check(base))


def generate_cnpjs(
    rng: np.random.Generator, n: int, unique: bool = True, branch: int | None = 1
) -> np.ndarray:
    """``n`` valid random numeric CNPJs (14 bare digits); ``branch`` fixes the 4-digit branch
    (matriz ``0001`` by default; ``None`` draws it). Roots are distinct when ``unique``."""
    root = int_to_digits(_distinct_bases(rng, n, 8, unique), 8)
    if branch is None:
        br = int_to_digits(rng.integers(1, 10_000, n), 4)
    else:
        br = np.broadcast_to(int_to_digits(np.array([branch]), 4), (n, 4))
    base = _fix_repdigits(np.column_stack([root, br]))
    return digits_to_strings(cnpj_digits_with_check(base))


def generate_phones(
    rng: np.random.Generator, n: int, ddds: np.ndarray | None = None, unique_ids: np.ndarray | None = None
) -> np.ndarray:
    """``n`` Brazilian mobile PIX phone keys ``+55DD9NNNNNNNN``.

    ``ddds`` fixes the area code per row (default: drawn from all valid DDDs). ``unique_ids`` (distinct
    integers < 10**8) make the numbers distinct through a bijection of the subscriber part.
    """
    if ddds is None:
        ddds = rng.choice(np.array(sorted(VALID_DDDS)), size=n)
    if unique_ids is None:
        sub = rng.integers(0, 10**8, n)
    else:
        sub = (np.asarray(unique_ids, dtype=np.int64) * 48_271 + 12_345_678) % 10**8
    digits = np.column_stack(
        [
            np.full(n, 5),
            np.full(n, 5),
            int_to_digits(ddds, 2),
            np.full(n, 9),
            int_to_digits(sub, 8),
        ]
    )
    return np.char.add("+", digits_to_strings(digits))


_HEX = np.array([f"{i:02x}" for i in range(256)])


def generate_evps(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` EVP keys: random UUID version 4 in lower-case canonical form, from ``rng``."""
    b = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40  # version 4
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    hx = _HEX[b]  # (n, 16) two-char strings
    parts = [hx[:, 0:4], hx[:, 4:6], hx[:, 6:8], hx[:, 8:10], hx[:, 10:16]]
    joined = []
    for p in parts:
        s = p[:, 0]
        for j in range(1, p.shape[1]):
            s = np.char.add(s, p[:, j])
        joined.append(s)
    out = joined[0]
    for s in joined[1:]:
        out = np.char.add(np.char.add(out, "-"), s)
    return out


# --- PIX keys ------------------------------------------------------------------------------------


def pix_key_type(key: str) -> str:
    """The DICT type of a PIX key: ``CPF``, ``CNPJ``, ``EMAIL``, ``PHONE`` or ``EVP``.

    Raises :class:`InvalidPixKey` (a ValueError) with the reason when ``key`` is none of them.
    Keys are taken as stored in the DICT: no masks, no surrounding spaces, e-mail in lower case.
    """
    if not isinstance(key, str) or not key:
        raise InvalidPixKey("empty PIX key")
    if key.startswith("+"):
        if not _PHONE.fullmatch(key):
            raise InvalidPixKey(f"malformed phone key {key!r}: expected E.164 +CCNNN...")
        if key.startswith("+55"):
            rest = key[3:]
            if len(rest) != 11 or int(rest[:2]) not in VALID_DDDS or rest[2] != "9":
                raise InvalidPixKey(f"malformed Brazilian phone key {key!r}: expected +55 DDD 9NNNNNNNN")
        return "PHONE"
    if "@" in key:
        if len(key) > EMAIL_MAX_LEN or not _EMAIL.fullmatch(key):
            raise InvalidPixKey(f"malformed e-mail key {key!r}")
        return "EMAIL"
    if _EVP.fullmatch(key):
        return "EVP"
    if _CPF_BARE.fullmatch(key):
        if not is_valid_cpf(key):
            raise InvalidPixKey(f"invalid CPF key {key!r}: wrong check digits")
        return "CPF"
    if _CNPJ_BARE.fullmatch(key):
        if not is_valid_cnpj(key):
            raise InvalidPixKey(f"invalid CNPJ key {key!r}: wrong check digits")
        return "CNPJ"
    raise InvalidPixKey(f"not a PIX key: {key!r}")


def is_valid_pix_key(key: str, key_type: str | None = None) -> bool:
    """Whether ``key`` is a valid PIX key (of ``key_type`` when given)."""
    try:
        t = pix_key_type(key)
    except InvalidPixKey:
        return False
    return key_type is None or t == key_type
