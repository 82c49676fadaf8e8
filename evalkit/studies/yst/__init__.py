"""Gloucestershire YST costed case review (seed 000; notebook ``01_gloucestershire_yst``).

Submodules: :mod:`.costing` (staff time, implied rates, unit costs, savings),
:mod:`.casestudies` (outcomes, activity, ratings coverage, training),
:mod:`.plots` (the notebook's figures) and :mod:`.reproduction`
(:func:`reproduce`, :func:`analyse`).
"""

from __future__ import annotations

from evalkit.studies._base import StudyInfo, StudyTables
from evalkit.studies.yst.reproduction import YSTResult, analyse, load, reproduce

SOURCE = "000_gloucestershire_yst"
INFO = StudyInfo(
    notebook="01_gloucestershire_yst",
    title="Costed case review: staff time, implied rates, unit costs, savings per case",
    # An LA's own cases are child-level records: show and write aggregates only.
    la_params={"case_level_public": False},
)
TABLES = StudyTables(
    required=("yst_case_costs", "unit_costs"),
    optional=(
        "yst_case_boxes",
        "yst_case_profiles",
        "yst_case_activities",
        "project_phases",
        "training_counts",
        "yp_cases_by_phase",
        "rating_coverage",
        "stated_figures",
    ),
    scaffold=("yst_case_costs", "unit_costs", "yst_case_profiles", "yst_case_activities"),
)
#: The notebook's parameters and their defaults.
PARAMETERS: dict[str, object] = {
    "la_name": "Gloucestershire",
    "data_dir": "data/raw/000_gloucestershire_yst",
    "out_dir": "data/derived",
    "ratings_file": None,
    "months_avoided": 12,
    "case_level_public": True,
}

__all__ = ["INFO", "PARAMETERS", "SOURCE", "TABLES", "YSTResult", "analyse", "load", "reproduce"]
