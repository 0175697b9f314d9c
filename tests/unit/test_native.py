"""The Rust module builds, imports and reports its version."""

import re

import cofre_native


def test_native_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", cofre_native.version())
    assert cofre_native.__version__ == cofre_native.version()
