"""Sefton Community Adolescent Service (seed 001; notebook ``02_sefton_cas``).

:mod:`.reproduction`: the back-solved unit costs and every check of the
report's stated figures (Part A). :mod:`.extension`: the extended CBA
(Part B: adjustments, placement and programme costs, sensitivity, break-even,
Monte Carlo), built on :mod:`evalkit.cba`.
"""

from __future__ import annotations

from evalkit.studies._base import StudyInfo, StudyTables
from evalkit.studies.sefton.extension import SeftonExtension, extend
from evalkit.studies.sefton.reproduction import as_reported, backsolved, load, reproduce

SOURCE = "001_sefton_cas"
INFO = StudyInfo(
    notebook="02_sefton_cas",
    title="Before/after costing of outcome changes, cost-benefit analysis by payer, sensitivity",
)
TABLES = StudyTables(
    required=("sefton_cba_outcomes", "sefton_cba_sample"),
    optional=(
        "sefton_costs",
        "sefton_cba_windows",
        "sefton_cohort_counts",
        "sefton_prior_plans",
        "sefton_closure_reasons",
        "sefton_evaluation_samples",
        "sefton_police_example",
        "sefton_process_figures",
        "stated_figures",
    ),
    scaffold=("sefton_cba_outcomes", "sefton_cba_sample", "sefton_cba_windows"),
)
PARAMETERS: dict[str, object] = {
    "la_name": "Sefton",
    "data_dir": "data/raw/001_sefton_cas",
    "out_dir": "data/derived",
    "unit_precision": 0.01,
    "days_per_year": 365,
    "lac_reading": "per_entry",
    "placement_cost_per_month": 3000.0,
    "placement_cost_range": (1000.0, 15000.0),
    "programme_cost_range": (0.5, 1.5),
    "unit_cost_range": (0.5, 1.5),
    "deadweight": 0.5,
    "deadweight_range": (0.2, 0.8),
    "attribution": 0.2,
    "attribution_range": (0.0, 0.4),
    "displacement": 0.0,
    "confidence_backsolved": 3,
    "confidence_placement": 5,
    "confidence_programme": 2,
    "discount_rate": 0.035,
    "horizon_years": 3,
    "effect_quarters_sustained": 12,
    "drop_off": 0.5,
    "care_months_per_avoided_entry": 12.0,
    "price_year": 2016,
    "report_prices_in": 2024,
    "random_seed": 20170101,
    "n_draws": 10000,
}

__all__ = ["INFO", "PARAMETERS", "SOURCE", "TABLES", "SeftonExtension", "as_reported", "backsolved", "extend", "load",
           "reproduce"]
