"""Schemas for Ofsted's survey "Edging away from care" (seed 004), and the LA self-assessment.

The survey is mostly qualitative: its tables are the sample profile, the design
facts, the four money figures, the case-study boxes and their numbers, and a
coding of the features the report found in successful services
(``ofsted_success_features``). That coding doubles as a checklist: a local
authority scores itself against it in ``edge_of_care_self_assessment``.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from evalkit.schemas._core import (
    Ordered,
    Problem,
    TableSpec,
    file_row,
    register,
    register_folder_check,
)
from evalkit.schemas.common import COMPARATORS, provenance_columns

SOURCE = "004_ofsted_edging_away"
SAMPLE_GROUPS = ["local_authorities", "families", "young_people", "parents_carers"]
COST_KINDS = ["saving", "unit_cost"]
FEATURE_DOMAINS = [
    "worker_relationship",
    "approach",
    "assessment_planning",
    "decisions_referral",
    "multi_agency",
    "sustainability",
    "organisation",
    "measurement",
]
FEATURE_BASES = ["key factor", "key finding", "finding", "tentative finding", "recommendation", "barrier when absent"]
#: Self-assessment scores: 0 not in place, 1 partly in place, 2 fully in place.
SCORES = [0, 1, 2]
FEATURE_ID = r"^F\d{2}$"


comparator = pa.Column(
    str,
    pa.Check.isin(COMPARATORS),
    required=False,
    nullable=True,
    description="'=' for a value, '>=' for 'at least', '<=' for 'up to'/'within'",
    metadata={"allowed": COMPARATORS},
)

ofsted_sample = register(
    TableSpec(
        name="ofsted_sample",
        source=SOURCE,
        description="Sample profile: local authorities, families, young people and parents or carers, with fieldwork months",
        unique=["group"],
        month_columns=["fieldwork_start", "fieldwork_end"],
        schema=pa.DataFrameSchema(
            {
                "group": pa.Column(
                    str,
                    pa.Check.isin(SAMPLE_GROUPS),
                    description="Who is counted",
                    metadata={"allowed": SAMPLE_GROUPS},
                ),
                "n": pa.Column(int, pa.Check.ge(0), description="Number in the sample", metadata={"unit": "count"}),
                "unit": pa.Column(str, description="What one unit is"),
                "how_selected": pa.Column(str, nullable=True, description="How the group was selected, as stated"),
                "age_min": pa.Column(
                    "Int64",
                    pa.Check.in_range(0, 25),
                    nullable=True,
                    required=False,
                    description="Youngest age in the group's definition, where stated",
                    metadata={"unit": "years"},
                ),
                "fieldwork_start": pa.Column("datetime64[ns]", nullable=True, description="First month of visits (YYYY-MM)"),
                "fieldwork_end": pa.Column("datetime64[ns]", nullable=True, description="Last month of visits (YYYY-MM)"),
                **provenance_columns(),
            },
            coerce=True,
            strict=False,
        ),
        requires=[Ordered(start="fieldwork_start", end="fieldwork_end")],
        example={
            "group": "young_people",
            "n": 39,
            "unit": "young person",
            "how_selected": "aged 11 and over; never looked after",
            "age_min": 11,
            "fieldwork_start": "2011-04",
            "fieldwork_end": "2011-06",
        },
    )
)

ofsted_survey_design = register(
    TableSpec(
        name="ofsted_survey_design",
        source=SOURCE,
        description="Other facts about the survey design and its claims about local authorities (one row per attribute)",
        unique=["attribute"],
        schema=pa.DataFrameSchema(
            {
                "attribute": pa.Column(str, description="What is stated"),
                "value": pa.Column(str, description="The value as text: a number, a month (YYYY-MM) or words"),
                "unit": pa.Column(str, description="Unit ('text' for words, 'month' for YYYY-MM)"),
                "comparator": comparator,
                **provenance_columns(),
            },
            coerce=True,
            strict=False,
        ),
        example={"attribute": "young_person_min_age", "value": "11", "unit": "years", "comparator": ">="},
    )
)

ofsted_costs = register(
    TableSpec(
        name="ofsted_costs",
        source=SOURCE,
        description="Stated cost savings and the weekly cost of a residential placement (paras 55-56)",
        unique=["item"],
        schema=pa.DataFrameSchema(
            {
                "item": pa.Column(str, description="What the figure is"),
                "kind": pa.Column(
                    str,
                    pa.Check.isin(COST_KINDS),
                    description="'saving' (a stated saving) or 'unit_cost' (a cost per period)",
                    metadata={"allowed": COST_KINDS},
                ),
                "value_gbp": pa.Column(float, pa.Check.ge(0), description="Amount", metadata={"unit": "GBP"}),
                "per": pa.Column(str, description="Period the amount is per ('week', or 'not stated')"),
                "scope": pa.Column(str, nullable=True, description="Whose saving or cost, as stated"),
                **provenance_columns(verbatim_required=True),
            },
            coerce=True,
            strict=False,
        ),
        example={"item": "residential_weekly_min", "kind": "unit_cost", "value_gbp": 1500, "per": "week"},
    )
)

ofsted_case_studies = register(
    TableSpec(
        name="ofsted_case_studies",
        source=SOURCE,
        description="The case-study boxes: local authority, service, and the young person's age and sex where given",
        unique=["la"],
        schema=pa.DataFrameSchema(
            {
                "la": pa.Column(str, description="Local authority named in the box heading"),
                "service": pa.Column(str, description="Service or model described"),
                "young_person_age": pa.Column(
                    "Int64",
                    pa.Check.in_range(0, 25),
                    nullable=True,
                    description="Age of the young person in the box's family example, where given",
                    metadata={"unit": "years"},
                ),
                "young_person_sex": pa.Column(
                    str, pa.Check.isin(["female", "male", "not stated"]), description="As the text describes them"
                ),
                "age_seed_lines": pa.Column(str, nullable=True, required=False, description="Line giving the age"),
                "age_verbatim": pa.Column(str, nullable=True, required=False, description="Words giving the age"),
                "outcome": pa.Column(str, nullable=True, description="Outcome reported in the box (paraphrase or quote)"),
                **provenance_columns(),
            },
            coerce=True,
            strict=False,
        ),
        example={"la": "Rochdale", "service": "intensive support team", "young_person_age": 14,
                 "young_person_sex": "male"},
    )
)

ofsted_case_figures = register(
    TableSpec(
        name="ofsted_case_figures",
        source=SOURCE,
        description="Numbers in the case examples and the paragraphs on service models (ranges as min and max)",
        unique=["item"],
        schema=pa.DataFrameSchema(
            {
                "item": pa.Column(str, description="What the figure is"),
                "la": pa.Column(str, description="Local authority, or 'several areas' / 'parent account'"),
                "paragraph": pa.Column(str, description="Report paragraph number, or 'case study'"),
                "value_min": pa.Column(float, nullable=True, description="Value, or lower end of a range"),
                "value_max": pa.Column(float, nullable=True, description="Value, or upper end of a range"),
                "value_text": pa.Column(str, nullable=True, required=False, description="A month (YYYY-MM) where the figure is a date"),
                "unit": pa.Column(str, description="Unit"),
                "comparator": comparator,
                **provenance_columns(verbatim_required=True),
            },
            checks=[
                pa.Check(
                    lambda d: d["value_max"].isna() | d["value_min"].isna() | (d["value_max"] >= d["value_min"]),
                    element_wise=False,
                    error="value_max must be >= value_min",
                )
            ],
            coerce=True,
            strict=False,
        ),
        example={"item": "rochdale_intervention_length", "la": "Rochdale", "paragraph": "case study",
                 "value_min": 6, "value_max": 12, "unit": "weeks", "comparator": "="},
    )
)

ofsted_lists = register(
    TableSpec(
        name="ofsted_lists",
        source=SOURCE,
        description="Items of the lists whose length the report states in words ('for three reasons')",
        unique=["list_id", "item_no"],
        schema=pa.DataFrameSchema(
            {
                "list_id": pa.Column(str, description="Which list"),
                "item_no": pa.Column(int, pa.Check.ge(1), description="Position in the list"),
                "item": pa.Column(str, description="The item, paraphrased"),
                **provenance_columns(verbatim_required=True),
            },
            coerce=True,
            strict=False,
        ),
        example={"list_id": "munro_reasons_for_early_help", "item_no": 2, "item": "cost-effectiveness"},
    )
)

ofsted_success_features = register(
    TableSpec(
        name="ofsted_success_features",
        source=SOURCE,
        description=(
            "Features that made edge-of-care services successful, one row per feature with the paragraph "
            "that states it; also the covariate list for matched comparisons and the self-assessment checklist"
        ),
        unique=["feature_id"],
        schema=pa.DataFrameSchema(
            {
                "feature_id": pa.Column(str, pa.Check.str_matches(FEATURE_ID), description="F01, F02, ..."),
                "feature": pa.Column(str, pa.Check.str_matches(r"^[a-z][a-z0-9_]*$"), description="Short name"),
                "domain": pa.Column(
                    str, pa.Check.isin(FEATURE_DOMAINS), description="Group of features",
                    metadata={"allowed": FEATURE_DOMAINS},
                ),
                "description": pa.Column(str, description="The feature in plain words"),
                "paragraph": pa.Column(
                    str, description="Report paragraph that states it: a number, 'Executive summary', 'Key findings' or 'Recommendations'"
                ),
                "also_stated": pa.Column(str, nullable=True, description="Other lines stating the same feature"),
                "report_list": pa.Column(str, nullable=True, description="The report's own list the feature is in, if any"),
                "basis": pa.Column(
                    str, pa.Check.isin(FEATURE_BASES), description="How strongly the report states it",
                    metadata={"allowed": FEATURE_BASES},
                ),
                "covariate": pa.Column(
                    str, pa.Check.str_matches(r"^[a-z][a-z0-9_]*$"), description="Variable name for a matched comparison"
                ),
                "checklist_question": pa.Column(str, description="Self-assessment question"),
                **provenance_columns(verbatim_required=True),
            },
            coerce=True,
            strict=False,
        ),
        example={"feature_id": "F01", "feature": "key_worker_engagement", "domain": "worker_relationship",
                 "paragraph": "Key findings", "basis": "key finding", "covariate": "has_key_worker"},
    )
)

edge_of_care_self_assessment = register(
    TableSpec(
        name="edge_of_care_self_assessment",
        source="la",
        description=(
            "A local authority's self-assessment against the Ofsted success features: one row per feature, "
            "scored 0 (not in place), 1 (partly) or 2 (fully in place)"
        ),
        unique=["feature_id"],
        schema=pa.DataFrameSchema(
            {
                "feature_id": pa.Column(
                    str, pa.Check.str_matches(FEATURE_ID), description="Feature from ofsted_success_features (F01, ...)"
                ),
                "score": pa.Column(
                    int, pa.Check.isin(SCORES), description="0 not in place, 1 partly, 2 fully in place",
                    metadata={"allowed": SCORES},
                ),
                "evidence": pa.Column(str, nullable=True, required=False, description="What shows it (document, audit)"),
            },
            coerce=True,
            strict=False,
        ),
        example={"feature_id": "F01", "score": 2, "evidence": "Every edge-of-care case has a named key worker"},
    )
)


@register_folder_check("ofsted_sample_consistent")
def _sample_consistent(folder, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Young people and parents or carers cannot outnumber families by more than a family each allows.

    The report counts at most one young person 'who was the focus' per family,
    so young people must not exceed families.
    """
    s = tables.get("ofsted_sample")
    if s is None:
        return []
    n = dict(zip(s["group"], s["n"], strict=True))
    problems = []
    if "families" in n and "young_people" in n and n["young_people"] > n["families"]:
        i = int(s.index[s["group"] == "young_people"][0])
        problems.append(
            Problem(
                f"{folder.name}/ofsted_sample.csv",
                "sample-inconsistent",
                f"{n['young_people']} young people in {n['families']} families: each family has one focus young person",
                row=file_row(s, i),
                column="n",
            )
        )
    return problems


@register_folder_check("self_assessment_features")
def _self_assessment_features(folder, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every feature scored in a self-assessment exists in the feature table beside it, if one is there."""
    sa = tables.get("edge_of_care_self_assessment")
    feats = tables.get("ofsted_success_features")
    if sa is None or feats is None:
        return []
    known = set(feats["feature_id"])
    return [
        Problem(
            f"{folder.name}/edge_of_care_self_assessment.csv",
            "unknown-feature",
            f"feature_id {fid!r} is not in ofsted_success_features.csv",
            row=file_row(sa, int(i)),
            column="feature_id",
        )
        for i, fid in zip(sa.index, sa["feature_id"], strict=True)
        if fid not in known
    ]
