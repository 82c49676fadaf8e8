"""Shared fixtures. External data live in ../shared; tests that need them skip clearly."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pytest

from evalkit import paths

# Inputs must resolve inside the repository or ../shared (evalkit.paths.input_roots); the tests
# build LA folders in temporary folders, so those are allowed for the test session (and the
# notebook kernels it starts, which inherit the environment).
os.environ.setdefault("EVALKIT_INPUT_ROOTS", tempfile.gettempdir())


def tree_hash(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative path -> digest)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def seed000() -> Path:
    return paths.RAW / "000_gloucestershire_yst"


@pytest.fixture
def need_external():
    """Return a function that gives an external path or skips with the reason."""

    def _get(*parts: str) -> Path:
        p = paths.external(*parts)
        if p is None:
            pytest.skip(f"../shared/external/{'/'.join(parts)} is not present (CI without ../shared)")
        return p

    return _get
