"""What every study declares: its tables, its parameters, and how to read them.

A *study* is the home of one source document (:mod:`evalkit.studies`). It
declares once

* ``TABLES`` (:class:`StudyTables`): the input tables its notebook reads, from
  which :mod:`evalkit.catalog` builds the batch catalogue and ``evalkit new-la``
  writes its templates;
* ``PARAMETERS``: the notebook's ``parameters`` cell, name -> default (a test
  checks the notebook against it);
* ``load(data_dir)``: the tables read through their schemas;
* ``reproduce(tables)``: the reported-vs-reproduced table
  (:class:`evalkit.report.Reproduction`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class StudyTables:
    """The input tables of one study.

    Attributes
    ----------
    required
        Tables a data folder must hold.
    optional
        Tables used when present (``stated_figures`` among them for a seed folder).
    scaffold
        Tables ``evalkit new-la`` writes templates for (default: all but
        ``stated_figures``); tables that describe the seed document rather than
        an LA are left out.
    """

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    scaffold: tuple[str, ...] | None = None

    @property
    def all(self) -> tuple[str, ...]:
        """Required then optional tables."""
        return self.required + self.optional

    @property
    def scaffold_tables(self) -> tuple[str, ...]:
        """Tables a new LA fills in (never ``stated_figures``)."""
        tables = self.scaffold if self.scaffold is not None else self.all
        return tuple(t for t in tables if t != "stated_figures")


@dataclass(frozen=True)
class StudyInfo:
    """How a study's notebook is run by the batch engine (see :class:`evalkit.catalog.NotebookEntry`)."""

    notebook: str
    title: str
    la_params: dict[str, Any] = field(default_factory=dict)
    data_param: str | None = "data_dir"


def load_tables(data_dir: str | Path, tables: StudyTables) -> dict[str, pd.DataFrame]:
    """Read ``tables`` from ``data_dir`` through their schemas.

    Required tables must be present (:class:`evalkit.schemas.InputError`
    otherwise); optional ones are left out of the result when absent.
    ``stated_figures`` is always present (empty when the folder has none), so
    :func:`evalkit.report.Reproduction` can be built from it.
    """
    from evalkit import paths, schemas

    folder = paths.resolve(data_dir)
    out: dict[str, pd.DataFrame] = {name: schemas.load_table(folder, name) for name in tables.required}
    for name in tables.optional:
        t = schemas.load_optional(folder, name)
        if t is not None:
            out[name] = t
    if "stated_figures" not in out:
        out["stated_figures"] = pd.DataFrame(
            columns=["figure_id", "description", "reported", "unit", "comparator"]
        )
    return out
