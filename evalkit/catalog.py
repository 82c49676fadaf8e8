"""Which notebook reads which tables, and how a local authority's folder feeds it.

The batch runner (:mod:`evalkit.batch`) and the ``new-la`` scaffold read this
catalog: a new LA's folder holds the tables of every notebook it runs (table
names are unique across the package, so they never clash), and each notebook
receives ``la_name``, ``data_dir`` (the LA's folder) and ``out_dir``, plus
the parameters listed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NotebookEntry:
    """How one notebook is run for a local authority.

    Attributes
    ----------
    stem
        Notebook file stem in ``notebooks/``.
    title
        One line on what it does.
    required
        Tables the LA folder must hold for this notebook.
    optional
        Tables it uses when present.
    la_params
        Parameters set for every LA run (on top of ``la_name``, ``data_dir``, ``out_dir``).
    data_param
        Name of the notebook parameter that takes the LA folder (``None``: the
        notebook reads public data only and takes no folder).
    """

    stem: str
    title: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    la_params: dict[str, Any] = field(default_factory=dict)
    data_param: str | None = "data_dir"

    @property
    def tables(self) -> tuple[str, ...]:
        return self.required + self.optional


CATALOG: dict[str, NotebookEntry] = {
    e.stem: e
    for e in [
        NotebookEntry(
            "01_gloucestershire_yst",
            "Costed case review: staff time, implied rates, unit costs, savings per case",
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
            # An LA's own cases are child-level records: show and write aggregates only.
            la_params={"case_level_public": False},
        ),
        NotebookEntry(
            "02_sefton_cas",
            "Before/after costing of outcome changes, cost-benefit analysis by payer, sensitivity",
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
        ),
        NotebookEntry(
            "09_survey_baselines",
            "Survey baselines: ratings, SDQ/SWEMWBS scoring, change, attrition weighting",
            optional=("survey_responses_wide", "survey_responses_long"),
        ),
    ]
}


def entry(stem: str) -> NotebookEntry:
    """The catalog entry of a notebook (by stem or unambiguous prefix)."""
    if stem in CATALOG:
        return CATALOG[stem]
    hits = [k for k in CATALOG if k.startswith(stem)]
    if len(hits) == 1:
        return CATALOG[hits[0]]
    raise KeyError(f"no notebook {stem!r} in the batch catalog; have: {', '.join(CATALOG)}")


def register(e: NotebookEntry) -> NotebookEntry:
    CATALOG[e.stem] = e
    return e
