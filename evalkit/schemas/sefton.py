"""Schemas for the Sefton Community Adolescent Service evaluation (seed 001).

One :class:`TableSpec` per table in ``data/raw/001_sefton_cas``. The table a
new local authority would supply to rerun ``notebooks/02_sefton_cas.ipynb``
on its own before/after costing is ``sefton_cba_outcomes`` (one row per valued
outcome: stated total, quantity, payer); the other tables hold the figures the
Sefton report states and are read by the reproduction half of the notebook.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from evalkit.schemas._core import Ordered, RequiredValues, TableSpec, register

SOURCE = "001_sefton_cas"
OUTCOME_KINDS = ["benefit", "disbenefit", "cost"]
PAYER_BASES = ["stated", "inferred", "assumed"]
COMPARATORS = ["=", "~", ">", ">=", "<", "<="]


def _prov(verbatim: bool = True) -> dict[str, pa.Column]:
    cols = {
        # Required in the seed folder by tests/test_raw_data.py; optional for an LA's own data.
        "seed_lines": pa.Column(
            str, required=False, nullable=True, description="Lines of the seed text (e.g. '1646-1647;1663')"
        ),
    }
    if verbatim:
        cols["verbatim"] = pa.Column(str, required=False, nullable=True, description="Words of the source")
    return cols


def _key_value(
    name: str,
    description: str,
    *,
    unit_required: bool = True,
    example: dict,
    requires: tuple[str, ...] = (),
    more_examples: tuple[dict, ...] = (),
) -> TableSpec:
    """A key/value table of stated figures (one figure per row)."""
    return register(
        TableSpec(
            name=name,
            source=SOURCE,
            description=description,
            unique=["key"],
            schema=pa.DataFrameSchema(
                {
                    "key": pa.Column(
                        str, pa.Check.str_matches(r"^[a-z0-9_]+$"), description="Identifier of the figure"
                    ),
                    "value": pa.Column(float, description="The figure as stated", metadata={"unit": "see unit"}),
                    "unit": pa.Column(str, nullable=not unit_required, description="Unit of the figure"),
                    "comparator": pa.Column(
                        str,
                        pa.Check.isin(COMPARATORS),
                        required=False,
                        nullable=True,
                        description="'=' exact, '~' about, '<=' up to / not exceeded, '>' just over",
                    ),
                    **_prov(),
                },
                coerce=True,
                strict=False,
            ),
            requires=[RequiredValues(column="key", values=requires, needed_by="02_sefton_cas")] if requires else [],
            example=example,
            more_examples=list(more_examples),
        )
    )


def _no_negative_money(df: pd.DataFrame) -> list[tuple[int | None, str | None, str, str]]:
    out = []
    for i, v in df["value_gbp"].items():
        if pd.notna(v) and v < 0:
            out.append((int(i), "value_gbp", "non-negative", f"{v} is negative; direction is set by 'kind'"))
    return out


sefton_cba_outcomes = register(
    TableSpec(
        name="sefton_cba_outcomes",
        source=SOURCE,
        description=(
            "Valued outcomes of a before/after costing (Tables 3 and 4): stated total, the quantity it is "
            "linked to, who pays or saves. Unit costs are not stated and are back-solved from these."
        ),
        unique=["outcome_id"],
        schema=pa.DataFrameSchema(
            {
                "outcome_id": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$"), description="Identifier"),
                "outcome": pa.Column(str, description="Outcome as labelled in the table"),
                "source_table": pa.Column(str, description="Table of the document"),
                "kind": pa.Column(
                    str,
                    pa.Check.isin(OUTCOME_KINDS),
                    description="benefit (a saving), disbenefit (an outcome that costs money) or cost",
                    metadata={"allowed": OUTCOME_KINDS},
                ),
                "value_gbp": pa.Column(
                    float, description="Stated total value across the sample", metadata={"unit": "GBP"}
                ),
                "quantity": pa.Column(
                    float, pa.Check.gt(0), description="Stated quantity the value is linked to",
                    metadata={"unit": "see quantity_unit"},
                ),
                "quantity_unit": pa.Column(str, description="What the quantity counts"),
                "months_per_case": pa.Column(
                    float, pa.Check.gt(0), nullable=True, required=False,
                    description="Months of support valued per case, where the value is per case-month",
                    metadata={"unit": "months"},
                ),
                "payer": pa.Column(str, description="Who bears the cost or keeps the saving (evalkit.cba payer name)"),
                "payer_basis": pa.Column(
                    str, pa.Check.isin(PAYER_BASES), description="stated in the document, inferred, or assumed"
                ),
                "payer_seed_lines": pa.Column(str, nullable=True, required=False, description="Where the payer is stated"),
                "valuation_verbatim": pa.Column(str, nullable=True, required=False, description="Value text as printed"),
                "footnote_verbatim": pa.Column(str, nullable=True, required=False, description="Footnote on the valuation"),
                **_prov(verbatim=False),
            },
            coerce=True,
            strict=False,
        ),
        checks=[_no_negative_money],
        requires=[
            RequiredValues(column="outcome_id", values=("child_looked_after",),
                           needed_by="02_sefton_cas for the care-months check")
        ],
        example={
            "outcome_id": "missing_episodes",
            "outcome": "Missing episodes",
            "source_table": "Table 3",
            "kind": "benefit",
            "value_gbp": 22040,
            "quantity": 9,
            "quantity_unit": "missing episodes (fewer)",
            "months_per_case": "",
            "payer": "police",
            "payer_basis": "stated",
            "seed_lines": "1646-1647",
        },
        more_examples=[
            {"outcome_id": "child_looked_after", "outcome": "Child looked after", "source_table": "Table 4",
             "kind": "disbenefit", "value_gbp": 18270, "quantity": 16,
             "quantity_unit": "months spent in care (increase; total across the sample)",
             "payer": "local_authority", "payer_basis": "inferred"},
        ],
    )
)

sefton_costs = _key_value(
    "sefton_costs",
    "Funding, staff hourly rates and time inputs, short-break unit costs and the block contract (Costs section)",
    example={"key": "short_break_unit_cost", "value": 672750, "unit": "GBP", "comparator": "=", "seed_lines": "1587"},
)

sefton_cba_sample = _key_value(
    "sefton_cba_sample",
    "Facts about the CBA sample: size, exclusions, window length, short-break use, care entries and exits",
    example={"key": "sample_n", "value": 126, "unit": "young people", "comparator": "=", "seed_lines": "1606-1607"},
    requires=("sample_n", "became_lac", "exited_care", "window_months"),
    more_examples=[
        {"key": "became_lac", "value": 6, "unit": "young people", "comparator": "="},
        {"key": "exited_care", "value": 3, "unit": "young people", "comparator": "="},
        {"key": "window_months", "value": 3, "unit": "months", "comparator": "="},
    ],
)

sefton_cba_windows = register(
    TableSpec(
        name="sefton_cba_windows",
        source=SOURCE,
        description="The CBA's entry window and its before and after comparison windows (months, inclusive)",
        unique=["window"],
        month_columns=["start_month", "end_month"],
        schema=pa.DataFrameSchema(
            {
                "window": pa.Column(str, pa.Check.isin(["entry", "before", "after"]), description="Which window"),
                "start_month": pa.Column("datetime64[ns]", description="First month (YYYY-MM)"),
                "end_month": pa.Column("datetime64[ns]", description="Last month (YYYY-MM), inclusive"),
                **_prov(),
            },
            coerce=True,
            strict=False,
        ),
        requires=[
            RequiredValues(column="window", values=("before", "after"), needed_by="02_sefton_cas for the before and after months"),
            Ordered(start="start_month", end="end_month"),
        ],
        example={"window": "before", "start_month": "2015-10", "end_month": "2015-12", "seed_lines": "1624-1625"},
        more_examples=[{"window": "after", "start_month": "2016-08", "end_month": "2016-10"}],
    )
)

sefton_cohort_counts = register(
    TableSpec(
        name="sefton_cohort_counts",
        source=SOURCE,
        description="Cohort and throughput counts, surviving Figure 2 values, and the short-break first-year split",
        unique=["key"],
        schema=pa.DataFrameSchema(
            {
                "key": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$"), description="Identifier"),
                "value": pa.Column(float, pa.Check.ge(0), description="Count or percentage as stated"),
                "unit": pa.Column(str, description="Unit"),
                "comparator": pa.Column(str, pa.Check.isin(COMPARATORS), nullable=True, required=False,
                                        description="'=', '~' about, '>' just over"),
                "parent": pa.Column(str, nullable=True, required=False,
                                    description="Key of the count this one is part of"),
                "period": pa.Column(str, nullable=True, required=False, description="Period covered"),
                **_prov(),
            },
            coerce=True,
            strict=False,
        ),
        example={"key": "worked_with_total", "value": 393, "unit": "young people", "seed_lines": "348-349"},
    )
)


def _plan_breakdown(df: pd.DataFrame) -> list[tuple[int | None, str | None, str, str]]:
    """Where a breakdown by number of previous plans is given, it cannot exceed the total."""
    out = []
    parts = df[["n_1_previous", "n_2_previous", "n_3_previous"]]
    for i in df.index:
        if parts.loc[i].notna().any():
            s = parts.loc[i].fillna(0).sum()
            if s > df.at[i, "n_any_previous"]:
                out.append((int(i), "n_any_previous", "breakdown-exceeds-total",
                            f"the breakdown sums to {s:g}, more than the total {df.at[i, 'n_any_previous']:g}"))
    return out


sefton_prior_plans = register(
    TableSpec(
        name="sefton_prior_plans",
        source=SOURCE,
        description="Young people with previous CIN, CP or LAC plans, all assessed and edge-of-care subgroup",
        unique=["group", "plan_type"],
        schema=pa.DataFrameSchema(
            {
                "group": pa.Column(str, pa.Check.isin(["all_assessed", "edge_of_care"]), description="Group"),
                "base_n": pa.Column(int, pa.Check.gt(0), description="Young people in the group"),
                "plan_type": pa.Column(str, pa.Check.isin(["CIN", "CP", "LAC"]), description="Plan type"),
                "n_any_previous": pa.Column(int, pa.Check.ge(0), description="With at least one previous plan"),
                "n_1_previous": pa.Column("Int64", pa.Check.ge(0), nullable=True, description="With exactly 1"),
                "n_2_previous": pa.Column("Int64", pa.Check.ge(0), nullable=True, description="With exactly 2"),
                "n_3_previous": pa.Column("Int64", pa.Check.ge(0), nullable=True, description="With exactly 3"),
                **_prov(),
            },
            coerce=True,
            strict=False,
        ),
        checks=[_plan_breakdown],
        example={"group": "edge_of_care", "base_n": 137, "plan_type": "CP", "n_any_previous": 31,
                 "n_1_previous": 27, "n_2_previous": 4, "n_3_previous": "", "seed_lines": "926"},
    )
)

sefton_closure_reasons = register(
    TableSpec(
        name="sefton_closure_reasons",
        source=SOURCE,
        description="Reasons CAS cases were closed, as percentages of closed cases (base not stated)",
        unique=["reason"],
        schema=pa.DataFrameSchema(
            {
                "reason": pa.Column(str, description="Closure reason"),
                "percent_of_closed_cases": pa.Column(float, pa.Check.in_range(0, 100), description="Share",
                                                     metadata={"unit": "%"}),
                **_prov(),
            },
            coerce=True,
            strict=False,
        ),
        example={"reason": "Family moved out of area", "percent_of_closed_cases": 9, "seed_lines": "45"},
    )
)

sefton_evaluation_samples = register(
    TableSpec(
        name="sefton_evaluation_samples",
        source=SOURCE,
        description="Evaluation samples: interviews, the professional survey (baseline, follow-up), observations",
        unique=["component"],
        schema=pa.DataFrameSchema(
            {
                "component": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$"), description="Component"),
                "n": pa.Column("Int64", pa.Check.ge(0), nullable=True, description="Number (empty if not conducted)"),
                "comparator": pa.Column(str, pa.Check.isin(COMPARATORS), nullable=True, required=False,
                                        description="'=' exact"),
                "conducted": pa.Column(bool, description="Whether the component was carried out"),
                "timing": pa.Column(str, nullable=True, required=False, description="When"),
                "phase_fn4": pa.Column(str, nullable=True, required=False,
                                       description="Project phase footnote 4 gives for an interview wave"),
                **_prov(),
            },
            coerce=True,
            strict=False,
        ),
        example={"component": "professional_survey_baseline", "n": 52, "conducted": True, "seed_lines": "413"},
    )
)

sefton_police_example = _key_value(
    "sefton_police_example",
    "A Police representative's example: missing episodes of 2 young people before and after, and its value",
    example={"key": "missing_episodes_before", "value": 65, "unit": "episodes", "seed_lines": "1433-1434"},
)

sefton_staffing_july2015 = register(
    TableSpec(
        name="sefton_staffing_july2015",
        source=SOURCE,
        description="Figure 4: staff seconded to the CAS hub teams in July 2015, by source service",
        unique=["source_service"],
        schema=pa.DataFrameSchema(
            {
                "source_service": pa.Column(str, description="Service the staff came from"),
                "staff_n": pa.Column("Int64", pa.Check.ge(0), nullable=True, description="Staff (empty if not stated)"),
                "arrangement": pa.Column(str, description="Secondment arrangement"),
                "in_place_july2015": pa.Column(bool, description="In place in July 2015"),
                **_prov(verbatim=False),
            },
            coerce=True,
            strict=False,
        ),
        example={"source_service": "YOT", "staff_n": 2, "arrangement": "Sefton Council match secondment",
                 "in_place_july2015": True, "seed_lines": "2251"},
    )
)


def _range_order(df: pd.DataFrame) -> list[tuple[int | None, str | None, str, str]]:
    bad = df.index[df["value_low"] > df["value_high"]]
    return [(int(i), "value_high", "range-order", "value_high is below value_low") for i in bad]


sefton_process_figures = register(
    TableSpec(
        name="sefton_process_figures",
        source=SOURCE,
        description="Process and implementation figures from the narrative (caseloads, phases, training)",
        unique=["item"],
        schema=pa.DataFrameSchema(
            {
                "item": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$"), description="Identifier"),
                "value_low": pa.Column(float, description="Lower end of a stated range (or the value)"),
                "value_high": pa.Column(float, description="Upper end of a stated range (or the value)"),
                "unit": pa.Column(str, description="Unit"),
                **_prov(),
            },
            coerce=True,
            strict=False,
        ),
        checks=[_range_order],
        example={"item": "phase1_caseload", "value_low": 8, "value_high": 12, "unit": "families per CAS worker",
                 "seed_lines": "126"},
    )
)

sefton_eligibility_criteria = register(
    TableSpec(
        name="sefton_eligibility_criteria",
        source=SOURCE,
        description="Table 2: the CAS eligibility criteria (risk-factor groups A and B)",
        unique=["criteria_group", "item"],
        schema=pa.DataFrameSchema(
            {
                "criteria_group": pa.Column(str, pa.Check.isin(["A", "B"]), description="Risk-factor group"),
                "item": pa.Column(int, pa.Check.ge(1), description="Item number in the group"),
                "criterion": pa.Column(str, description="Criterion as printed"),
                **_prov(verbatim=False),
            },
            coerce=True,
            strict=False,
        ),
        example={"criteria_group": "B", "item": 1, "criterion": "NEET", "seed_lines": "850"},
    )
)
