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


@pytest.fixture(scope="session")
def run_notebook():
    """Execute a notebook as `evalkit batch` does: on this test process's warm `evalkit` kernel,
    started once and reset between notebooks (:func:`evalkit.batch._kernel`), instead of a cold
    kernel for every run. Call as ``run_notebook(notebook, output, parameters)``; raises what
    :func:`evalkit.runner.execute` raises."""
    from evalkit import batch
    from evalkit.runner import execute

    def run(notebook: Path, output: Path, parameters: dict | None = None) -> None:
        km = batch._kernel(reuse=True)
        try:
            execute(notebook, output, parameters or {}, km=km)
        except Exception as err:
            if "DeadKernel" in type(err).__name__ or "dead" in str(err).lower():
                batch.shutdown_worker_kernel()
            raise

    yield run
    batch.shutdown_worker_kernel()
