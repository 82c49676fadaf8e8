"""Gloucestershire Intensive Intervention Service business case (seed 002; notebook ``03_gloucestershire_iis``).

Submodule :mod:`.business_case`: the reproduction helpers, the projection
model (:class:`~.business_case.BusinessCase`) and the DfE cross-check.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit import report
from evalkit.studies._base import StudyInfo, StudyTables, load_tables
from evalkit.studies.glos_iis import business_case

SOURCE = "002_gloucestershire_iis"
INFO = StudyInfo(
    notebook="03_gloucestershire_iis",
    title="Placement-spend business case: growth and overspend paths, projection, break-even, CLA cross-check",
)
TABLES = StudyTables(
    required=("glos_iis_finance",),
    optional=("glos_iis_children_in_care", "glos_iis_cohort", "glos_iis_service", "stated_figures"),
    scaffold=("glos_iis_finance", "glos_iis_cohort"),
)
PARAMETERS: dict[str, object] = {
    "la_name": "Gloucestershire",
    "data_dir": "data/raw/002_gloucestershire_iis",
    "out_dir": "data/derived",
    "diverted_per_year": 25.0,
    "share_foster": 0.4,
    "share_home": 0.3,
    "foster_unit_cost": 0.0,
    "home_support_unit_cost": 0.0,
    "ooc_unit_cost": None,
    "growth_rate": None,
    "start_year": 1,
    "ramp_up_years": 2,
    "unit_cost_growth": 0.0,
    "discount_rate": 0.035,
    "horizon": 5,
    "reduction_horizon": 6,
    "mc_draws": 5000,
    "seed": 12345,
    "cla_base_year": 2012,
    "cla_end_year": 2016,
}


def load(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The Cabinet report's tables from ``data_dir``, read through their schemas."""
    return load_tables(data_dir, TABLES)


def reproduce(
    tables: dict[str, pd.DataFrame],
    cla: business_case.CLACheck | None = None,
    cla_reason: str = "the DfE cross-check was not run",
) -> report.Reproduction:
    """Every stated figure of the Cabinet report checked or marked, with its reason.

    ``cla`` (:func:`.business_case.cla_crosscheck`) supplies the DfE series; the
    comparison goes into the outside-data columns, never into the status.
    """
    rep = report.Reproduction(tables["stated_figures"], strict=False)
    business_case.reproduce(rep, tables, cla, cla_reason)
    return rep


from evalkit.studies.glos_iis.analysis import GlosIISResult, analyse  # noqa: E402

__all__ = ["GlosIISResult", "analyse", "INFO", "PARAMETERS", "SOURCE", "TABLES", "business_case", "load", "reproduce"]
