"""Progress display on stderr (tqdm), so a command's stdout stays machine-readable."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(it: Iterable[T], desc: str, total: int | None = None, enabled: bool = True) -> Iterable[T]:
    return tqdm(it, desc=desc, total=total, file=sys.stderr, disable=not enabled, leave=False)


def step(message: str, enabled: bool = True) -> None:
    """One progress line on stderr."""
    if enabled:
        print(f"[cofre] {message}", file=sys.stderr, flush=True)
