"""One module per source document: its tables, parameters, reproduction and extensions.

=================  ======  ======================================================
study              seed    notebook
=================  ======  ======================================================
:mod:`.yst`        000     ``01_gloucestershire_yst``
:mod:`.sefton`     001     ``02_sefton_cas``
:mod:`.glos_iis`   002     ``03_gloucestershire_iis``
:mod:`.innovation` 003     ``05_innovation_evidence_map``
:mod:`.ofsted`     004     ``04_ofsted_edging_away``
=================  ======  ======================================================

Every study module declares ``SOURCE`` (its folder under ``data/raw``),
``INFO`` (:class:`StudyInfo`), ``TABLES`` (:class:`StudyTables`),
``PARAMETERS`` (the notebook's parameters and their defaults), ``load(data_dir)``
and ``reproduce(tables, **parameters)``. The method modules (``its``,
``matching``, ``cba``, ``surveys``, ``la_compare``) never import a study.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from evalkit.studies._base import StudyInfo, StudyTables, load_tables

NAMES: tuple[str, ...] = ("yst", "sefton", "glos_iis", "innovation", "ofsted")


def get(name: str) -> ModuleType:
    """The study module called ``name`` (one of :data:`NAMES`)."""
    if name not in NAMES:
        raise KeyError(f"no study {name!r}; have: {', '.join(NAMES)}")
    return importlib.import_module(f"evalkit.studies.{name}")


def all_studies() -> list[ModuleType]:
    """Every study module, in seed order."""
    return [get(n) for n in NAMES]


def by_notebook(stem: str) -> ModuleType:
    """The study whose notebook is ``stem``."""
    for s in all_studies():
        if s.INFO.notebook == stem:
            return s
    raise KeyError(f"no study has the notebook {stem!r}")


__all__ = ["NAMES", "StudyInfo", "StudyTables", "all_studies", "by_notebook", "get", "load_tables"]
