"""Ofsted, "Edging away from care" (seed 004; notebook ``04_ofsted_edging_away``).

Submodule :mod:`.cost_avoidance`: the cost-avoidance calculator, the sample
profile, the success-feature checklist and the reproduction checks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit import report
from evalkit.studies._base import StudyInfo, StudyTables, load_tables
from evalkit.studies.ofsted import cost_avoidance

SOURCE = "004_ofsted_edging_away"
INFO = StudyInfo(
    notebook="04_ofsted_edging_away",
    title="Edge-of-care features checklist and residential cost-avoidance calculator",
    la_params={"self_assessment_file": "{la_dir}/edge_of_care_self_assessment.csv"},
    data_param=None,  # the feature list and costs come from the Ofsted report's folder
)
#: A new LA supplies only its self-assessment; the seed folder's tables are read from the report's folder.
TABLES = StudyTables(required=("edge_of_care_self_assessment",))
SEED_TABLES = StudyTables(
    required=("ofsted_costs",),
    optional=("ofsted_sample", "ofsted_survey_design", "ofsted_case_studies", "ofsted_case_figures",
              "ofsted_lists", "ofsted_success_features", "stated_figures"),
)
PARAMETERS: dict[str, object] = {
    "la_name": "Ofsted survey sample (11 local authorities)",
    "data_dir": "data/raw/004_ofsted_edging_away",
    "out_dir": "data/derived",
    "weekly_low": None,
    "weekly_high": None,
    "weeks_per_year": 52.0,
    "weeks_in_care": 52.0,
    "p_care": 1.0,
    "intervention_cost": 0.0,
    "sim_draws": 10000,
    "sim_weeks_range": (13.0, 104.0),
    "sim_p_care_range": (0.25, 1.0),
    "seed": 2011,
    "self_assessment_file": None,
}


def load(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The report's tables from ``data_dir`` (``ofsted_costs`` required), read through their schemas."""
    return load_tables(data_dir, SEED_TABLES)


def reproduce(tables: dict[str, pd.DataFrame]) -> report.Reproduction:
    """Every stated figure of the survey checked (list counts, bounds) or marked, with its reason.

    Examples
    --------
    >>> from evalkit.studies import ofsted
    >>> rep = ofsted.reproduce(ofsted.load("data/raw/004_ofsted_edging_away"))
    >>> rep.counts()["discrepancy"] >= 0
    True
    """
    rep = report.Reproduction(tables["stated_figures"], strict=False)
    cost_avoidance.reproduce(rep, tables)
    return rep


from evalkit.studies.ofsted.analysis import OfstedResult, analyse, load_assessment  # noqa: E402

__all__ = ["OfstedResult", "analyse", "load_assessment", "INFO", "PARAMETERS", "SEED_TABLES", "SOURCE", "TABLES", "cost_avoidance", "load", "reproduce"]
