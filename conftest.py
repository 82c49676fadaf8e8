"""Repository-wide pytest hook: no test or notebook run (nbval included) may change data/raw."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

RAW = Path(__file__).parent / "data" / "raw"
_before: dict[str, str] = {}


def _hash_tree() -> dict[str, str]:
    return {
        str(p.relative_to(RAW)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(RAW.rglob("*"))
        if p.is_file()
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    _before.update(_hash_tree())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    after = _hash_tree()
    changed = sorted(k for k in set(_before) | set(after) if _before.get(k) != after.get(k))
    if changed:
        print(f"\nERROR: data/raw changed during the test session: {changed[:10]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
