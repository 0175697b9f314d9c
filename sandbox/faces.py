"""Synthetic faces for the identity sandbox: every CPF holder has a deterministic face.

The government's reference photo of a person (what a facial-validation provider compares against)
is a smooth random image seeded by the CPF and the world seed. A selfie of the same person is that
image under other lighting, a small shift and sensor noise (``take`` picks the shot), so a matcher
finds it similar; anyone else's selfie is an independent image. The matcher is the provider's:
normalised cross-correlation of a grey 32x32 rendering, the best over small shifts, in [-1, 1].
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image

SIZE = 64
_GRID = 32
_BLOBS = 14


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def reference(cpf: str, *, world_seed: int = 0) -> np.ndarray:
    """The reference photo of the holder of ``cpf``: a SIZE x SIZE grey image, floats in [0, 1]."""
    rng = _rng("face", world_seed, cpf)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    img = np.zeros((SIZE, SIZE))
    for _ in range(_BLOBS):
        cy, cx = rng.uniform(0.1, 0.9, 2)
        sy, sx = rng.uniform(0.05, 0.2, 2)
        img += rng.uniform(-1, 1) * np.exp(-(((yy - cy) / sy) ** 2 + ((xx - cx) / sx) ** 2) / 2)
    img -= img.min()
    return img / max(img.max(), 1e-9)


def selfie(cpf: str, *, take: int = 0, world_seed: int = 0) -> bytes:
    """A PNG selfie of the holder of ``cpf`` (shot number ``take``)."""
    rng = _rng("selfie", world_seed, cpf, take)
    img = reference(cpf, world_seed=world_seed)
    dy, dx = rng.integers(-2, 3, 2)
    img = np.roll(img, (int(dy), int(dx)), axis=(0, 1))
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    light = rng.uniform(0.8, 1.1) + rng.uniform(-0.15, 0.15) * xx + rng.uniform(-0.15, 0.15) * yy
    img = np.clip(img * light + rng.normal(0, 0.03, img.shape), 0, 1)
    return to_png(img)


def to_png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    """Any image Pillow reads (PNG, JPEG, ...) as a grey _GRID x _GRID float array."""
    with Image.open(io.BytesIO(data)) as im:
        grey = im.convert("L").resize((_GRID, _GRID), Image.Resampling.BILINEAR)
        return np.asarray(grey, dtype=np.float64) / 255.0


def _standardise(a: np.ndarray) -> np.ndarray:
    a = a - a.mean()
    return a / max(float(np.sqrt((a * a).mean())), 1e-9)


def similarity(image: bytes, cpf: str, *, world_seed: int = 0) -> float:
    """Best normalised cross-correlation of ``image`` with the reference of ``cpf`` over shifts of +-1
    pixel of the 32x32 grid (the centre 28x28 is compared)."""
    probe = _standardise(decode(image))
    ref_img = Image.fromarray((reference(cpf, world_seed=world_seed) * 255).astype(np.uint8), mode="L")
    ref = np.asarray(ref_img.resize((_GRID, _GRID), Image.Resampling.BILINEAR), dtype=np.float64) / 255.0
    best = -1.0
    c = slice(2, _GRID - 2)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            a = _standardise(np.roll(probe, (dy, dx), axis=(0, 1))[c, c])
            b = _standardise(ref[c, c])
            best = max(best, float((a * b).mean()))
    return round(best, 4)
