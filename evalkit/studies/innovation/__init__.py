"""Learning from Innovation, round 2 summaries (seed 003; notebook ``05_innovation_evidence_map``).

Submodule :mod:`.evidence`: the coding, the evidence-gap map, the robustness
trend test and the design bridge.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit import report
from evalkit.studies._base import StudyInfo, StudyTables, load_tables
from evalkit.studies.innovation import evidence

SOURCE = "003_learning_from_innovation"
INFO = StudyInfo(notebook="05_innovation_evidence_map", title="Evidence map of the Innovation Programme round 2")
TABLES = StudyTables(
    required=("innovation_themes", "innovation_projects", "innovation_outcomes"),
    optional=("innovation_lists", "stated_figures"),
)
PARAMETERS: dict[str, object] = {
    "la_name": "England",
    "data_dir": "data/raw/003_learning_from_innovation",
    "out_dir": "data/derived",
    "quality_ratings": None,
    "seed": 2021,
    "n_permutations": 9999,
}


def load(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The booklet's coding (cross-checked by :func:`.evidence.load_coding`) and stated figures."""
    coding = evidence.load_coding(data_dir)
    tables = load_tables(data_dir, StudyTables(required=(), optional=("innovation_lists", "stated_figures")))
    return {"innovation_themes": coding.themes, "innovation_projects": coding.projects,
            "innovation_outcomes": coding.outcomes, **tables}


def coding(tables: dict[str, pd.DataFrame]) -> evidence.Coding:
    """The :class:`.evidence.Coding` of :func:`load`'s tables."""
    return evidence.Coding(themes=tables["innovation_themes"], projects=tables["innovation_projects"],
                           outcomes=tables["innovation_outcomes"])


def reproduce(
    tables: dict[str, pd.DataFrame],
    ratings: pd.DataFrame | None = None,
    *,
    n_permutations: int = 9999,
    seed: int = 2021,
) -> report.Reproduction:
    """Every figure the booklet states, checked against the coding or marked with its reason.

    Counts of lists the booklet prints are recomputations; the rating claims
    need ``ratings`` (real ones, not the illustrative file).

    Examples
    --------
    >>> from evalkit.studies import innovation
    >>> rep = innovation.reproduce(innovation.load("data/raw/003_learning_from_innovation"), n_permutations=99)
    >>> rep.status("round2_projects")
    'discrepancy'
    """
    rep = report.Reproduction(tables["stated_figures"], strict=False)
    c = coding(tables)
    counts = evidence.headline_counts(c)
    rep.check("round2_projects", counts["projects"], note="rows of innovation_projects (one per dashboard)",
              reason="the booklet summarises 44 evaluations (45 projects if Back on Track and Leaving Care count "
              "separately); some of the 50 funded projects have no summary")
    rep.check("intro_outcome_directions", evidence.directions_used(c), note="directions used in the coding",
              reason="the key (l.53-69) and 4 findings also use 'Inconclusive'")
    rep.check("booklet_summary_pages", evidence.summary_page_span(c),
              note="first theme divider (p.17) to the end of the last two-page spread (p.125)",
              reason="'120 pages' is a round figure")
    trend = evidence.robustness_trend_test(c.outcomes, ratings, n_permutations=n_permutations, seed=seed)
    evidence.record_rating_claims(rep, ratings, trend)
    rep.not_reproducible("programme_total_gbp_m", "no funding figures in the booklet; the foreword gives £200m for "
                         "the whole programme from 2014, the introduction more than £200m for round 2 alone")
    rep.not_reproducible("round2_spend_gbp_m", "no per-project funding in the booklet; conflicts with the "
                         "foreword's £200m for the whole programme")
    rep.not_reproducible("programme_launch_year", "a date stated in the foreword; nothing to recompute it from")
    rep.not_reproducible("round2_start_year", "a date stated in the introduction; nothing to recompute it from")
    rep.not_reproducible("round2_end_year", "the end date stated in the introduction; nothing to recompute it from")
    rep.not_reproducible("evaluation_report_pages", "the evaluation reports are not part of the booklet")
    rep.not_reproducible("evaluation_report_pages_text", "the evaluation reports are not part of the booklet; "
                         "restates 'more than 2,000 pages' as 'several thousand'")
    lists = tables.get("innovation_lists")
    counted = []
    if lists is not None:
        for fid, items in lists.groupby("list_id", sort=False):
            if rep.wants(fid):
                counted.append(fid)
                rep.check(fid, int(len(items)), note=f"items printed in the list (l.{'; '.join(items['seed_lines'].unique())})",
                          reason="the list printed beside the statement has a different number of items")
    evidence.record_programme_parameters(rep, skip=counted)
    return rep


from evalkit.studies.innovation.analysis import InnovationResult, analyse  # noqa: E402

__all__ = ["InnovationResult", "analyse", "INFO", "PARAMETERS", "SOURCE", "TABLES", "coding", "evidence", "load", "reproduce"]
