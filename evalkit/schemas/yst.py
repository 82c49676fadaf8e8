"""Schemas for the Gloucestershire youth support team (YST) evaluation (seed 000).

A new local authority reusing ``notebooks/01_gloucestershire_yst.ipynb`` supplies
the same tables for its own costed cases: ``yst_case_costs`` and ``unit_costs``
are required; the others are optional.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from evalkit.schemas._core import (
    Ordered,
    Problem,
    RequiredValues,
    TableSpec,
    file_row,
    register,
    register_folder_check,
)
from evalkit.schemas.common import provenance_columns

SOURCE = "000_gloucestershire_yst"
SAVING_BASES = ["cin_plan", "cp_plan", "none"]
UNIT_COST_BASES = ["per_month", "one_off"]
_SECTION = "Table or section of the source"


case_id = pa.Column(int, pa.Check.ge(1), description="Case number", metadata={"unit": "id"})

yst_case_costs = register(
    TableSpec(
        name="yst_case_costs",
        source=SOURCE,
        description="Staff hours and cost of each costed case, and the saving it is credited with (Table 2)",
        unique=["case_id"],
        schema=pa.DataFrameSchema(
            {
                "case_id": case_id,
                "yst_hours": pa.Column(
                    float, pa.Check.ge(0), description="Staff hours on the case", metadata={"unit": "hours"}
                ),
                "yst_cost_gbp": pa.Column(
                    float, pa.Check.ge(0), description="Cost of those hours", metadata={"unit": "GBP"}
                ),
                "potential_saving": pa.Column(str, nullable=True, description="Saving claimed, as worded"),
                "saving_basis": pa.Column(
                    str,
                    pa.Check.isin(SAVING_BASES),
                    description="Unit cost the saving is valued at: cin_plan, cp_plan or none",
                    metadata={"allowed": SAVING_BASES},
                ),
                **provenance_columns(section_description=_SECTION),
            },
            coerce=True,
            strict=False,
        ),
        example={
            "case_id": 1,
            "yst_hours": 75,
            "yst_cost_gbp": 1730,
            "potential_saving": "Support for CIN plan no longer required",
            "saving_basis": "cin_plan",
        },
    )
)

yst_case_boxes = register(
    TableSpec(
        name="yst_case_boxes",
        source=SOURCE,
        description="Hours and cost as restated in each case's summary box (Appendix 5, Tables 5-9)",
        unique=["case_id"],
        schema=pa.DataFrameSchema(
            {
                "case_id": case_id,
                "yst_hours": pa.Column(float, pa.Check.ge(0), metadata={"unit": "hours"}),
                "hours_qualifier": pa.Column(str, nullable=True, description="e.g. 'a total of', 'almost'"),
                "yst_cost_gbp": pa.Column(float, pa.Check.ge(0), metadata={"unit": "GBP"}),
                **provenance_columns(section_description=_SECTION),
            },
            coerce=True,
            strict=False,
        ),
        example={"case_id": 1, "yst_hours": 75, "hours_qualifier": "a total of", "yst_cost_gbp": 1730},
    )
)

yst_case_profiles = register(
    TableSpec(
        name="yst_case_profiles",
        source=SOURCE,
        description="Profile and outcome of each costed case (Appendix 5 boxes)",
        unique=["case_id"],
        schema=pa.DataFrameSchema(
            {
                "case_id": case_id,
                "age_years": pa.Column(int, pa.Check.in_range(0, 25), nullable=True, metadata={"unit": "years"}),
                "sex": pa.Column(str, pa.Check.isin(["male", "female", "other", "not stated"]), nullable=True),
                "living_situation": pa.Column(str, nullable=True, required=False),
                "status_at_start": pa.Column(str, pa.Check.isin(["CIN", "CP", "CLA", "none"]),
                                             description="Social care status at the start"),
                "status_at_end": pa.Column(str, description="Status at the end of the review period"),
                "closed_to_social_care": pa.Column(bool, description="Closed to social care in the review period"),
                "cp_escalation_avoided": pa.Column(bool, description="A CP plan was recommended but not made"),
                "became_child_in_care": pa.Column(bool, description="Became looked after in the review period"),
                "months_to_closure": pa.Column(float, pa.Check.ge(0), nullable=True, metadata={"unit": "months"}),
                "open_to_yst_at_end": pa.Column("boolean", required=False, nullable=True),
                **provenance_columns(section_description=_SECTION),
            },
            coerce=True,
            strict=False,
        ),
        example={
            "case_id": 1, "age_years": 12, "sex": "male", "status_at_start": "CIN", "status_at_end": "closed",
            "closed_to_social_care": "true", "cp_escalation_avoided": "false", "became_child_in_care": "false",
            "months_to_closure": "",
        },
    )
)

yst_case_activities = register(
    TableSpec(
        name="yst_case_activities",
        source=SOURCE,
        description="Activities counted in each case's summary box (Appendix 5)",
        unique=["case_id", "activity"],
        schema=pa.DataFrameSchema(
            {
                "case_id": case_id,
                "activity_group": pa.Column(
                    str,
                    pa.Check.isin(["direct_work", "assessment", "formulation", "risk_assessment", "reviews",
                                   "meetings", "practical_support"]),
                ),
                "activity": pa.Column(str, description="Short label of the activity"),
                "count": pa.Column("Int64", pa.Check.ge(0), nullable=True, metadata={"unit": "count"}),
                **provenance_columns(section_description=_SECTION),
            },
            coerce=True,
            strict=False,
        ),
        example={"case_id": 1, "activity_group": "direct_work", "activity": "sessions attended", "count": 11},
    )
)

unit_costs = register(
    TableSpec(
        name="unit_costs",
        source=SOURCE,
        description="Unit costs of the social care the cases are credited with avoiding",
        unique=["cost_item"],
        schema=pa.DataFrameSchema(
            {
                "cost_item": pa.Column(
                    str,
                    pa.Check.isin(["cin_plan_support", "cp_plan_setup", "cp_plan_support"]),
                    description="cin_plan_support, cp_plan_setup or cp_plan_support",
                ),
                "basis": pa.Column(str, pa.Check.isin(UNIT_COST_BASES), description="per_month or one_off"),
                "value_gbp": pa.Column(float, pa.Check.ge(0), metadata={"unit": "GBP"}),
                "estimated_by": pa.Column(str, required=False, nullable=True),
                **provenance_columns(section_description=_SECTION),
            },
            coerce=True,
            strict=False,
        ),
        requires=[
            RequiredValues(
                column="cost_item",
                values=("cin_plan_support", "cp_plan_setup", "cp_plan_support"),
                needed_by="01_gloucestershire_yst for the CIN and CP plan costs a case is credited with",
            )
        ],
        example={"cost_item": "cin_plan_support", "basis": "per_month", "value_gbp": 393, "estimated_by": "LA"},
        more_examples=[
            {"cost_item": "cp_plan_setup", "basis": "one_off", "value_gbp": 2200, "estimated_by": "LA"},
            {"cost_item": "cp_plan_support", "basis": "per_month", "value_gbp": 1147, "estimated_by": "LA"},
        ],
    )
)

project_phases = register(
    TableSpec(
        name="project_phases",
        source=SOURCE,
        description="Phases of the project and the evaluation period (Table 3)",
        unique=["phase"],
        month_columns=["start_month", "end_month"],
        schema=pa.DataFrameSchema(
            {
                "phase": pa.Column(str),
                "start_month": pa.Column("datetime64[ns]", description="First month (YYYY-MM)"),
                "end_month": pa.Column("datetime64[ns]", description="Last month (YYYY-MM)"),
                **provenance_columns(section_description=_SECTION),
            },
            coerce=True,
            strict=False,
        ),
        requires=[Ordered(start="start_month", end="end_month")],
        example={"phase": "Pilot", "start_month": "2015-11", "end_month": "2016-02"},
    )
)

training_counts = register(
    TableSpec(
        name="training_counts",
        source=SOURCE,
        description="People trained in the practice model, by phase and role (Table 3)",
        unique=["phase", "role"],
        schema=pa.DataFrameSchema(
            {
                "phase": pa.Column(str),
                "role": pa.Column(str, pa.Check.isin(["practitioners", "managers", "senior managers", "partners"])),
                "persons": pa.Column(int, pa.Check.ge(0), metadata={"unit": "persons"}),
                **provenance_columns(section_description=_SECTION),
                "note": pa.Column(str, required=False, nullable=True),
            },
            coerce=True,
            strict=False,
        ),
        example={"phase": "Pilot", "role": "practitioners", "persons": 2},
    )
)

yp_cases_by_phase = register(
    TableSpec(
        name="yp_cases_by_phase",
        source=SOURCE,
        description="Young people's cases worked under the model, by phase (Table 3)",
        unique=["phase"],
        schema=pa.DataFrameSchema(
            {
                "phase": pa.Column(str),
                "cases": pa.Column("Int64", pa.Check.ge(0), nullable=True, metadata={"unit": "cases"}),
                "approximate": pa.Column(bool),
                "estimated_by": pa.Column(str, nullable=True, required=False),
                **provenance_columns(section_description=_SECTION),
            },
            coerce=True,
            strict=False,
        ),
        example={"phase": "Pilot", "cases": 18, "approximate": "false"},
    )
)

evaluation_samples = register(
    TableSpec(
        name="evaluation_samples",
        source=SOURCE,
        description="Sample sizes of the evaluation's strands (Table 3)",
        unique=["strand", "phase"],
        schema=pa.DataFrameSchema(
            {
                "strand": pa.Column(str),
                "phase": pa.Column(str),
                "n": pa.Column(int, pa.Check.ge(0), metadata={"unit": "count"}),
                "unit": pa.Column(str),
                **provenance_columns(section_description=_SECTION),
                "note": pa.Column(str, required=False, nullable=True),
            },
            coerce=True,
            strict=False,
        ),
        example={"strand": "Baseline survey with practitioners", "phase": "Pilot", "n": 156, "unit": "respondents"},
    )
)

RESPONDENTS = ["young_person", "parent", "social_worker", "practitioner", "other"]

rating_coverage = register(
    TableSpec(
        name="rating_coverage",
        source=SOURCE,
        description="Which respondents gave case-study ratings, as far as the text says",
        unique=["figure", "respondent_group", "case_study"],
        schema=pa.DataFrameSchema(
            {
                "figure": pa.Column(str),
                "respondent_group": pa.Column(str, pa.Check.isin(RESPONDENTS)),
                "case_study": pa.Column(int, pa.Check.ge(1)),
                "data_collected": pa.Column(str, pa.Check.isin(["yes", "no", "unknown"])),
                "rating_values_in_text": pa.Column(bool),
                **provenance_columns(section_description=_SECTION),
                "note": pa.Column(str, required=False, nullable=True),
            },
            coerce=True,
            strict=False,
        ),
        example={"figure": "Figure 3", "respondent_group": "young_person", "case_study": 1,
                 "data_collected": "yes", "rating_values_in_text": "false"},
    )
)

rating_scale = register(
    TableSpec(
        name="rating_scale",
        source=SOURCE,
        description="The rating scale's values and any labels given",
        unique=["value"],
        schema=pa.DataFrameSchema(
            {
                "value": pa.Column(int),
                "label": pa.Column(str, nullable=True),
                **provenance_columns(section_description=_SECTION),
            },
            coerce=True,
            strict=False,
        ),
        example={"value": 1, "label": "very poor"},
    )
)


@register_folder_check("yst_case_ids")
def _case_ids_consistent(folder, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every case in the boxes, profiles and activities is a case of ``yst_case_costs``."""
    base = tables.get("yst_case_costs")
    if base is None:
        return []
    known = set(base["case_id"])
    problems = []
    for name in ("yst_case_boxes", "yst_case_profiles", "yst_case_activities"):
        df = tables.get(name)
        if df is None:
            continue
        for pos, cid in enumerate(df["case_id"]):
            if cid not in known:
                problems.append(
                    Problem(
                        f"{folder.name}/{name}.csv",
                        "unknown-case",
                        f"case_id {cid} is not in yst_case_costs.csv",
                        row=file_row(df, pos),
                        column="case_id",
                    )
                )
    return problems


case_study_ratings = register(
    TableSpec(
        name="case_study_ratings",
        source=SOURCE,
        description=(
            "Ratings read from printed case-study figures (e.g. seed 000 Figures 3, 5 and 6): "
            "one row per respondent group, case study and rated item"
        ),
        unique=["figure", "respondent_group", "case_study", "item"],
        schema=pa.DataFrameSchema(
            {
                "figure": pa.Column(str, description="Figure the rating is read from"),
                "respondent_group": pa.Column(str, pa.Check.isin(RESPONDENTS),
                                              metadata={"allowed": RESPONDENTS}),
                "case_study": pa.Column(int, pa.Check.ge(1)),
                "item": pa.Column(str, description="Rated aspect, as labelled in the figure"),
                "rating": pa.Column(int, pa.Check.in_range(1, 5), nullable=True,
                                    description="1 very poor to 5 very good; empty if not rated",
                                    metadata={"unit": "rating 1-5"}),
                "read_by": pa.Column(str, required=False, nullable=True,
                                     description="Who read the value off the figure, and from which copy"),
            },
            coerce=True,
            strict=False,
        ),
        example={"figure": "Figure 3", "respondent_group": "young_person", "case_study": 3,
                 "item": "overall support", "rating": 4, "read_by": "initials, PDF p.NN"},
    )
)
