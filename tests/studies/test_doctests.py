"""The docstring examples of the study modules and the shared modules they use run (doctest)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "evalkit.report",
    "evalkit.results",
    "evalkit.cba",
    "evalkit.cba.model",
    "evalkit.studies.yst.reproduction",
    "evalkit.studies.yst.plots",
    "evalkit.studies.sefton.reproduction",
    "evalkit.studies.innovation",
    "evalkit.studies.ofsted",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0, f"{res.failed} docstring example(s) failed in {name}"


def test_modules_have_examples():
    n = sum(doctest.testmod(importlib.import_module(m), report=False).attempted for m in MODULES)
    assert n >= 10
