"""Schemas for *Learning from Innovation* (WWCSC, July 2021), seed 003.

The booklet summarises the Children's Social Care Innovation Programme round 2
evaluations, one dashboard per project, grouped by theme. Its text extraction
kept the project texts, evaluators and outcome directions but lost every
rating icon, so the four rating fields are coded ``unknown`` in
``innovation_projects`` and can be supplied separately, read from the printed
booklet, as an ``innovation_quality_ratings`` table.

Tables
------
``innovation_themes``
    The 11 themes (contents dividers), in booklet order.
``innovation_projects``
    One row per project summary (dashboard).
``innovation_outcomes``
    One row per outcome finding: the outcome as printed, its direction, and
    the analyst's coding (domain, measure level, desired direction, valence).
``innovation_quality_ratings``
    User-supplied ratings read from the printed booklet (template in
    ``evalkit/resources/templates/quality_ratings_template.csv``).

The controlled vocabularies (:data:`DIRECTIONS`, :data:`DOMAINS`,
:data:`VALENCES`, ...) live here so that the schemas and
:mod:`evalkit.studies.innovation.evidence` share one definition.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from evalkit.schemas._core import Problem, TableSpec, _row, register, register_folder_check

SOURCE = "003_learning_from_innovation"

#: Outcome directions, as printed in the booklet's key and dashboards (fixed set, in this order).
DIRECTIONS: list[str] = ["Increase", "Decrease", "No change", "Inconclusive"]

#: Analyst's judgement of which direction of a measure is desirable.
DESIRED_DIRECTIONS: list[str] = ["increase", "decrease", "unclear"]

#: Valence of a finding (analyst coding, derived by :func:`derive_valence`).
VALENCES: list[str] = ["favourable", "unfavourable", "null", "inconclusive", "ambiguous"]

#: Level at which an outcome is naturally measured (analyst coding, used for the design bridge).
MEASURE_LEVELS: list[str] = ["la_aggregate", "child_or_family", "practitioner_or_carer"]

#: Harmonised outcome domains (analyst coding): key -> definition. Order is the display order.
DOMAINS: dict[str, str] = {
    "entry_to_care": "Entry to care and the looked-after population: entries, numbers or rates "
    "looked after, days in care, children remaining with parents",
    "statutory_status": "Child protection and child in need status: CPP and CIN counts, combined "
    "CIN/CPP/CLA measures, escalation and step-down",
    "referrals": "Referrals, re-referrals, referrals ending in no further action, demand for services",
    "case_process": "Case length, case closures, plan and assessment duration",
    "placements": "Placement type and stability for children in care: moves, stability, "
    "unplanned endings, kinship and residential placements",
    "care_leaver_accommodation": "Care leavers' accommodation: suitable, stable, secure or appropriate",
    "education_employment": "Education, employment and training: EET/NEET, school attendance, "
    "exclusions, mainstream education",
    "wellbeing": "Wellbeing, emotional and behavioural difficulties (SDQ, sWEMWBS) and life skills",
    "risk_offending": "Offending, exploitation, missing episodes, police callouts, identified risk factors",
    "workforce": "Workforce: social worker turnover, vacancy, absence, agency use, caseloads; "
    "foster carer retention",
    "practice": "Social work practice as reported by practitioners",
    "parents": "Parents' own outcomes (further pregnancies)",
    "cost": "Costs and savings (no outcome finding is coded here: cost evidence sat in the lost "
    "cost-benefit icons)",
}

#: Outcome-panel states observed in the extraction.
OUTCOME_PANELS: list[str] = ["listed", "empty_placeholder_boxes", "empty_heading_only"]

#: Codes for the four rating fields in the projects table (the icons were lost).
RATING_CODES: list[str] = ["yes", "no", "unknown"]

INFERENCE_CODES: list[str] = ["probably_no"]


def derive_valence(direction: str, desired_direction: str) -> str:
    """Valence of one finding from its printed direction and the desired direction.

    Rules (documented in ``sources.yaml``):

    - ``No change`` -> ``null``; ``Inconclusive`` -> ``inconclusive``;
    - ``Increase``/``Decrease`` with desired direction ``unclear`` -> ``ambiguous``;
    - direction equal to the desired direction -> ``favourable``, opposite -> ``unfavourable``.

    Parameters
    ----------
    direction
        One of :data:`DIRECTIONS`.
    desired_direction
        One of :data:`DESIRED_DIRECTIONS`.

    Raises
    ------
    ValueError
        For a value outside those sets.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r} is not one of {DIRECTIONS}")
    if desired_direction not in DESIRED_DIRECTIONS:
        raise ValueError(f"desired_direction {desired_direction!r} is not one of {DESIRED_DIRECTIONS}")
    if direction == "No change":
        return "null"
    if direction == "Inconclusive":
        return "inconclusive"
    if desired_direction == "unclear":
        return "ambiguous"
    return "favourable" if direction.lower() == desired_direction else "unfavourable"


def _prov(required: bool = True) -> dict[str, pa.Column]:
    return {
        "seed_lines": pa.Column(
            str,
            required=required,
            nullable=not required,
            description="Lines of the seed text (e.g. '104;323-379')",
        ),
    }


_PROJECT_ID = pa.Check.str_matches(r"^P\d{2}$")

# --------------------------------------------------------------------------- themes

innovation_themes = register(
    TableSpec(
        name="innovation_themes",
        source=SOURCE,
        description="The booklet's themes (contents dividers), in booklet order",
        unique=["theme"],
        schema=pa.DataFrameSchema(
            {
                "theme_order": pa.Column(int, pa.Check.ge(1), unique=True, description="Order in the booklet"),
                "theme": pa.Column(str, description="Theme as printed in the contents"),
                "heading": pa.Column(str, required=False, nullable=True, description="Theme heading in the body"),
                "page": pa.Column(int, pa.Check.ge(1), description="Divider page in the contents",
                                  metadata={"unit": "page"}),
                **_prov(),
            },
            coerce=True,
            strict=False,
        ),
        example={"theme_order": 1, "theme": "Partners in Practice", "heading": "PARTNERS IN PRACTICE",
                 "page": 17, "seed_lines": "103;317"},
    )
)

# --------------------------------------------------------------------------- projects


def _inference_has_basis(df: pd.DataFrame) -> list[tuple[int | None, str | None, str, str]]:
    out: list[tuple[int | None, str | None, str, str]] = []
    if "inference_basis" not in df.columns:
        return out
    for pos, (inf, basis) in enumerate(zip(df["inference_impact_evaluation"], df["inference_basis"],
                                           strict=True)):
        if pd.notna(inf) and (pd.isna(basis) or not str(basis).strip()):
            out.append((pos, "inference_basis", "inference-needs-basis",
                        "an inferred value needs its basis stated in inference_basis"))
    return out


innovation_projects = register(
    TableSpec(
        name="innovation_projects",
        source=SOURCE,
        description="One row per project summary: name, theme, page, evaluator; rating icons coded 'unknown'",
        unique=["project_id"],
        schema=pa.DataFrameSchema(
            {
                "project_id": pa.Column(str, _PROJECT_ID, description="P01..P44 in contents order"),
                "project": pa.Column(str, description="Title as printed in the contents (sic)"),
                "heading": pa.Column(str, required=False, nullable=True,
                                     description="Heading of the dashboard in the body (sic)"),
                "theme": pa.Column(str, description="Theme (contents divider) the project sits under"),
                "page": pa.Column(int, pa.Check.ge(1), description="Page in the contents",
                                  metadata={"unit": "page"}),
                "evaluator": pa.Column(str, description="'Conducted by:' text, line breaks joined (sic)"),
                "impact_evaluation": pa.Column(str, pa.Check.isin(RATING_CODES),
                                               description="'Was there an impact evaluation?' icon; "
                                               "'unknown' where the icon was lost",
                                               metadata={"allowed": RATING_CODES}),
                "quality": pa.Column(str, description="'Quality of evaluation' icon scale; 'unknown' where lost"),
                "lacking_evidence": pa.Column(str, pa.Check.isin(RATING_CODES), required=False,
                                              description="'Lacking evidence' flag icon; 'unknown' where lost"),
                "cba": pa.Column(str, pa.Check.isin(RATING_CODES),
                                 description="'Was there a cost benefit analysis?' icon; 'unknown' where lost"),
                "cba_effect": pa.Column(str, description="'Cost benefit effect' icon; 'unknown' where lost"),
                "outcome_panel": pa.Column(str, pa.Check.isin(OUTCOME_PANELS),
                                           description="State of the OUTCOMES AND RESULTS panel in the text",
                                           metadata={"allowed": OUTCOME_PANELS}),
                "inference_impact_evaluation": pa.Column(
                    str, pa.Check.isin(INFERENCE_CODES), nullable=True,
                    description="INFERENCE (not source data) about the lost impact-evaluation icon"),
                "inference_basis": pa.Column(str, nullable=True, description="Why the inference is drawn"),
                "extraction_notes": pa.Column(str, required=False, nullable=True,
                                              description="Spelling variants, layout residue, oddities"),
                "evaluator_lines": pa.Column(str, required=False, nullable=True,
                                             description="Seed lines of the evaluator text"),
                **_prov(),
            },
            coerce=True,
            strict=False,
        ),
        checks=[_inference_has_basis],
        example={"project_id": "P01", "project": "Transforming Children's Social Care Services in Hampshire",
                 "theme": "Partners in Practice", "page": 18,
                 "evaluator": "Institute of Public Care, Oxford Brookes University",
                 "impact_evaluation": "unknown", "quality": "unknown", "lacking_evidence": "unknown",
                 "cba": "unknown", "cba_effect": "unknown", "outcome_panel": "listed",
                 "inference_impact_evaluation": "", "inference_basis": "", "seed_lines": "104;323-379"},
    )
)

# --------------------------------------------------------------------------- outcomes


def _valence_consistent(df: pd.DataFrame) -> list[tuple[int | None, str | None, str, str]]:
    out: list[tuple[int | None, str | None, str, str]] = []
    for pos, (d, want, got) in enumerate(zip(df["direction"], df["desired_direction"], df["valence"],
                                             strict=True)):
        expected = derive_valence(d, want)
        if got != expected:
            out.append((pos, "valence", "valence-rule",
                        f"direction {d!r} with desired direction {want!r} gives valence "
                        f"{expected!r}, not {got!r}"))
    return out


innovation_outcomes = register(
    TableSpec(
        name="innovation_outcomes",
        source=SOURCE,
        description="One row per outcome finding: outcome as printed, direction, and analyst coding",
        unique=["project_id", "outcome_order"],
        schema=pa.DataFrameSchema(
            {
                "project_id": pa.Column(str, _PROJECT_ID, description="Project (innovation_projects)"),
                "outcome_order": pa.Column(int, pa.Check.ge(1), description="Position in the panel"),
                "outcome": pa.Column(str, description="Outcome label verbatim, line breaks joined by a space"),
                "direction": pa.Column(str, pa.Check.isin(DIRECTIONS),
                                       description="Direction word as printed",
                                       metadata={"allowed": DIRECTIONS}),
                "page": pa.Column(int, pa.Check.ge(1), description="Page of the project in the contents",
                                  metadata={"unit": "page"}),
                "domain": pa.Column(str, pa.Check.isin(list(DOMAINS)),
                                    description="ANALYST CODING: harmonised outcome domain",
                                    metadata={"allowed": list(DOMAINS)}),
                "measure_level": pa.Column(str, pa.Check.isin(MEASURE_LEVELS),
                                           description="ANALYST CODING: level the outcome is measured at",
                                           metadata={"allowed": MEASURE_LEVELS}),
                "desired_direction": pa.Column(str, pa.Check.isin(DESIRED_DIRECTIONS),
                                               description="ANALYST CODING: which direction is desirable",
                                               metadata={"allowed": DESIRED_DIRECTIONS}),
                "valence": pa.Column(str, pa.Check.isin(VALENCES),
                                     description="ANALYST CODING: favourable, unfavourable, null, "
                                     "inconclusive or ambiguous (derive_valence)",
                                     metadata={"allowed": VALENCES}),
                "coding_note": pa.Column(str, required=False, nullable=True,
                                         description="ANALYST CODING: basis of desired direction and level"),
                **_prov(),
            },
            coerce=True,
            strict=False,
        ),
        checks=[_valence_consistent],
        example={"project_id": "P02", "outcome_order": 2, "outcome": "Placement moves",
                 "direction": "Decrease", "page": 20, "domain": "placements",
                 "measure_level": "child_or_family", "desired_direction": "decrease",
                 "valence": "favourable", "coding_note": "fewer placement moves = more stability",
                 "seed_lines": "424-429"},
    )
)

# --------------------------------------------------------------------------- user ratings

YES_NO: list[str] = ["yes", "no"]


def _ratings_consistent(df: pd.DataFrame) -> list[tuple[int | None, str | None, str, str]]:
    out: list[tuple[int | None, str | None, str, str]] = []
    maxes = df["quality_scale_max"].dropna().unique() if "quality_scale_max" in df.columns else []
    if len(maxes) > 1:
        out.append((None, "quality_scale_max", "one-scale",
                    f"quality_scale_max must be the same on every row (found {sorted(int(m) for m in maxes)})"))
    for pos, (q, m) in enumerate(zip(df["quality_level"], df.get("quality_scale_max", [pd.NA] * len(df)),
                                     strict=True)):
        if pd.isna(q):
            continue
        if pd.isna(m):
            out.append((pos, "quality_scale_max", "scale-needed",
                        "a quality_level needs quality_scale_max (the number of levels on the printed scale)"))
        elif q > m:
            out.append((pos, "quality_level", "level-on-scale",
                        f"quality_level {int(q)} is above quality_scale_max {int(m)}"))
    return out


innovation_quality_ratings = register(
    TableSpec(
        name="innovation_quality_ratings",
        source=SOURCE,
        description=(
            "Ratings read from the printed booklet's dashboards (the text extraction lost them): "
            "impact evaluation, quality level, lacking-evidence flag, CBA and CBA effect"
        ),
        unique=["project_id"],
        schema=pa.DataFrameSchema(
            {
                "project_id": pa.Column(str, _PROJECT_ID, description="Project (innovation_projects)"),
                "project": pa.Column(str, required=False, nullable=True, description="Project name, for reading"),
                "page": pa.Column("Int64", required=False, nullable=True, description="Booklet page read",
                                  metadata={"unit": "page"}),
                "impact_evaluation": pa.Column(str, pa.Check.isin(YES_NO), nullable=True,
                                               description="'Was there an impact evaluation?': yes or no",
                                               metadata={"allowed": YES_NO}),
                "quality_level": pa.Column("Int64", pa.Check.ge(1), nullable=True,
                                           description="Position on the 'Quality of evaluation' scale, "
                                           "1 = Low end; higher = more robust",
                                           metadata={"unit": "level"}),
                "quality_scale_max": pa.Column("Int64", pa.Check.ge(2), nullable=True,
                                               description="Number of levels on the printed scale "
                                               "(the High end)", metadata={"unit": "level"}),
                "quality_label": pa.Column(str, required=False, nullable=True,
                                           description="Label of the level if printed (e.g. 'moderately low')"),
                "lacking_evidence": pa.Column(str, pa.Check.isin(YES_NO), required=False, nullable=True,
                                              description="'Lacking evidence' flag shown: yes or no"),
                "cba": pa.Column(str, pa.Check.isin(YES_NO), required=False, nullable=True,
                                 description="'Was there a cost benefit analysis?': yes or no"),
                "cba_effect": pa.Column(str, required=False, nullable=True,
                                        description="'Cost benefit effect' as read (e.g. positive, "
                                        "negative, inconclusive)"),
                "coder": pa.Column(str, required=False, nullable=True, description="Who read the rating"),
                "illustrative": pa.Column(str, pa.Check.isin(YES_NO), required=False, nullable=True,
                                          description="'yes' marks made-up ratings for demonstration only"),
                "notes": pa.Column(str, required=False, nullable=True, description="Free text"),
            },
            coerce=True,
            strict=False,
        ),
        checks=[_ratings_consistent],
        example={"project_id": "P01", "project": "Transforming Children's Social Care Services in Hampshire",
                 "page": 18, "impact_evaluation": "no", "quality_level": 2, "quality_scale_max": 5,
                 "quality_label": "", "lacking_evidence": "yes", "cba": "no", "cba_effect": "",
                 "coder": "initials", "illustrative": "no", "notes": ""},
    )
)


# --------------------------------------------------------------------------- folder check


def coding_problems(
    projects: pd.DataFrame | None,
    outcomes: pd.DataFrame | None = None,
    themes: pd.DataFrame | None = None,
    ratings: pd.DataFrame | None = None,
    *,
    where: str = "",
) -> list[Problem]:
    """Cross-table consistency of the booklet coding.

    Checks that every outcome's (and rating's) project exists; that an
    outcome's page is its project's page; that projects with a listed
    outcome panel have outcomes and those with an empty panel have none; that
    every project's theme is a theme; and that pages rise within each theme
    and lie between the theme's divider page and the next theme's.

    Parameters
    ----------
    projects, outcomes, themes, ratings
        Validated tables (any may be ``None``; checks needing it are skipped).
    where
        Folder name prefixed to the file names in the problems.

    Returns
    -------
    list of Problem
        Empty when the coding is consistent.
    """
    if projects is None:
        return []
    pre = f"{where}/" if where else ""
    problems: list[Problem] = []
    known = dict(zip(projects["project_id"], projects["page"], strict=True))
    for name, df in (("innovation_outcomes", outcomes), ("innovation_quality_ratings", ratings)):
        if df is None:
            continue
        for i, pid in zip(df.index, df["project_id"], strict=True):
            if pid not in known:
                problems.append(Problem(f"{pre}{name}.csv", "unknown-project",
                                        f"project {pid!r} is not in innovation_projects.csv",
                                        row=_row(df, i), column="project_id"))
    if outcomes is not None:
        for i, pid, page in zip(outcomes.index, outcomes["project_id"], outcomes["page"], strict=True):
            if pid in known and page != known[pid]:
                problems.append(Problem(f"{pre}innovation_outcomes.csv", "page-mismatch",
                                        f"page {page} differs from project {pid}'s page {known[pid]}",
                                        row=_row(outcomes, i), column="page"))
        with_outcomes = set(outcomes["project_id"])
        for i, pid, panel in zip(projects.index, projects["project_id"], projects["outcome_panel"],
                                 strict=True):
            if panel == "listed" and pid not in with_outcomes:
                problems.append(Problem(f"{pre}innovation_projects.csv", "panel-without-outcomes",
                                        f"{pid} has outcome_panel 'listed' but no row in innovation_outcomes",
                                        row=_row(projects, i), column="outcome_panel"))
            if panel != "listed" and pid in with_outcomes:
                problems.append(Problem(f"{pre}innovation_projects.csv", "empty-panel-with-outcomes",
                                        f"{pid} has outcome_panel {panel!r} but rows in innovation_outcomes",
                                        row=_row(projects, i), column="outcome_panel"))
    # pages rise within each theme, in file order
    last: dict[str, int] = {}
    for i, pid, theme, page in zip(projects.index, projects["project_id"], projects["theme"],
                                   projects["page"], strict=True):
        if theme in last and page <= last[theme]:
            problems.append(Problem(f"{pre}innovation_projects.csv", "page-order",
                                    f"{pid} page {page} does not follow page {last[theme]} of the "
                                    f"previous project in theme {theme!r}",
                                    row=_row(projects, i), column="page"))
        last[theme] = page
    if themes is not None:
        ordered = themes.sort_values("theme_order")
        starts = dict(zip(ordered["theme"], ordered["page"], strict=True))
        nxt = dict(zip(ordered["theme"], list(ordered["page"].iloc[1:]) + [None], strict=True))
        for i, pid, theme, page in zip(projects.index, projects["project_id"], projects["theme"],
                                       projects["page"], strict=True):
            if theme not in starts:
                problems.append(Problem(f"{pre}innovation_projects.csv", "unknown-theme",
                                        f"theme {theme!r} of {pid} is not in innovation_themes.csv",
                                        row=_row(projects, i), column="theme"))
                continue
            hi = nxt[theme]
            if page <= starts[theme] or (hi is not None and page >= hi):
                problems.append(Problem(f"{pre}innovation_projects.csv", "page-outside-theme",
                                        f"{pid} page {page} is outside theme {theme!r} "
                                        f"(divider p.{starts[theme]}, next divider p.{hi})",
                                        row=_row(projects, i), column="page"))
    return problems


@register_folder_check("innovation_coding")
def _innovation_coding(folder: Path, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Folder check wrapper around :func:`coding_problems`."""
    return coding_problems(
        tables.get("innovation_projects"),
        tables.get("innovation_outcomes"),
        tables.get("innovation_themes"),
        tables.get("innovation_quality_ratings"),
        where=Path(folder).name,
    )

# --------------------------------------------------------------------------- printed lists

innovation_lists = register(
    TableSpec(
        name="innovation_lists",
        source="003_learning_from_innovation",
        description=(
            "Items of the lists whose length a project description states in words ('It is composed of four "
            "programmes 1) ... 4) ...'); list_id is the stated figure the list's length checks"
        ),
        unique=["list_id", "item_no"],
        schema=pa.DataFrameSchema(
            {
                "list_id": pa.Column(str, description="The stated figure (figure_id) whose list this is"),
                "item_no": pa.Column(int, pa.Check.ge(1), description="Position in the list"),
                "item": pa.Column(str, description="The item, shortened"),
                "section": pa.Column(str, required=False, nullable=True, description="Project summary"),
                **_prov(),
                "verbatim": pa.Column(str, description="The item as printed"),
            },
            coerce=True,
            strict=False,
        ),
        example={"list_id": "p05_programmes", "item_no": 1, "item": "embedding a Signs of Safety model",
                 "seed_lines": "624", "verbatim": "1) embedding a Signs of Safety Model"},
    )
)
