"""Schemas for the Gloucestershire Intensive Intervention Service Cabinet report (seed 002).

The report proposes an intensive service for about 100 young people aged 11-18
in out-of-county placements. Its figures are in running text only; the tables
here hold them with row-level provenance. A local authority reusing
``notebooks/03_gloucestershire_iis.ipynb`` for its own business case supplies
``glos_iis_finance`` (required) and, optionally, ``glos_iis_children_in_care``.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from evalkit.schemas._core import (
    Problem,
    RequiredValues,
    TableSpec,
    file_row,
    register,
    register_folder_check,
)
from evalkit.schemas.common import COMPARATORS, provenance_columns

SOURCE = "002_gloucestershire_iis"
FRAMINGS = ["system", "council"]
CIC_MEASURES = ["count", "pct_change"]

#: Items the business-case notebook reads from ``glos_iis_finance``.
FINANCE_ITEMS = [
    "placement_spend_current",
    "placement_spend_projected",
    "overspend_2016_17",
    "overspend_annual_future",
    "overspend_cumulative",
    "revenue_investment_2017_18",
    "revenue_investment_total",
    "capital_investment",
    "placement_spend_reduction",
]


comparator = pa.Column(
    str,
    pa.Check.isin(COMPARATORS),
    required=False,
    nullable=True,
    description="'=' for a value, '>=' for 'at least', '>' for 'over', '~' for 'about'",
    metadata={"allowed": COMPARATORS},
)

#: Money figures the business-case notebook reads (one row each at least).
FINANCE_ITEMS_NEEDED = (
    "placement_spend_current",
    "placement_spend_projected",
    "placement_spend_reduction",
    "overspend_2016_17",
    "overspend_annual_future",
    "overspend_cumulative",
    "revenue_investment_2017_18",
    "revenue_investment_total",
    "capital_investment",
)

glos_iis_finance = register(
    TableSpec(
        name="glos_iis_finance",
        source=SOURCE,
        description=(
            "Spend, overspend, investment and reduction figures of the business case, one row per "
            "mention in the document (so repeats can be compared)"
        ),
        unique=["item", "mention"],
        schema=pa.DataFrameSchema(
            {
                "item": pa.Column(
                    str,
                    pa.Check.isin(FINANCE_ITEMS),
                    description="What the figure is (one of a fixed list; see evalkit.schemas.glos_iis.FINANCE_ITEMS)",
                    metadata={"allowed": FINANCE_ITEMS},
                ),
                "mention": pa.Column(str, description="Where in the document this mention is (short label)"),
                "framing": pa.Column(
                    str,
                    pa.Check.isin(FRAMINGS),
                    description=(
                        "'system': health, education and social care spend on out-of-county placements; "
                        "'council': the council's social care budget"
                    ),
                    metadata={"allowed": FRAMINGS},
                ),
                "period": pa.Column(str, nullable=True, description="Year or period the figure refers to, as worded"),
                "value_gbp_m": pa.Column(
                    float, pa.Check.ge(0), description="The figure in millions of pounds", metadata={"unit": "GBP_m"}
                ),
                "comparator": comparator,
                "horizon_years": pa.Column(
                    "Int64",
                    pa.Check.in_range(1, 30),
                    nullable=True,
                    required=False,
                    description="Years the figure spans or is reached within, where stated",
                    metadata={"unit": "years"},
                ),
                **provenance_columns(),
            },
            coerce=True,
            strict=False,
        ),
        requires=[
            RequiredValues(
                column="item",
                values=FINANCE_ITEMS_NEEDED,
                needed_by="03_gloucestershire_iis for the spend paths, the overspend paths and the investment",
            )
        ],
        example={
            "item": "placement_spend_current",
            "mention": "resource_implications",
            "framing": "system",
            "period": "current (not dated)",
            "value_gbp_m": 7.8,
            "comparator": "=",
            "horizon_years": "",
        },
        # One row for every item the notebook needs, with the Gloucestershire business case's figures.
        more_examples=[
            {"item": item, "mention": "resource_requirements", "framing": framing, "period": period,
             "value_gbp_m": value, "comparator": "=", "horizon_years": years}
            for item, framing, period, value, years in [
                ("placement_spend_projected", "system", "within the next 6 years", 9.2, 6),
                ("placement_spend_reduction", "system", "six year period", 2.5, 6),
                ("overspend_2016_17", "council", "2016/17", 1.6, ""),
                ("overspend_annual_future", "council", "future years", 2.1, ""),
                ("overspend_cumulative", "council", "5 years", 8.7, 5),
                ("revenue_investment_2017_18", "council", "2017/18", 1.4, ""),
                ("revenue_investment_total", "council", "5 years", 6.9, 5),
                ("capital_investment", "council", "not stated", 1.2, ""),
            ]
        ],
    )
)

glos_iis_children_in_care = register(
    TableSpec(
        name="glos_iis_children_in_care",
        source=SOURCE,
        description="Children in care counts and the percentage increases the report compares (1. Background)",
        unique=["area", "measure", "period_start", "period_end"],
        schema=pa.DataFrameSchema(
            {
                "area": pa.Column(str, description="Local authority, 'England', a region, or a description"),
                "measure": pa.Column(
                    str,
                    pa.Check.isin(CIC_MEASURES),
                    description="'count' (children in care) or 'pct_change' (percentage increase)",
                    metadata={"allowed": CIC_MEASURES},
                ),
                "period_start": pa.Column(
                    str, description="Reference period (e.g. '2011/12') or date (ISO) of the count, or start of the change"
                ),
                "period_end": pa.Column(str, nullable=True, description="End of the change ('not stated' allowed)"),
                "value": pa.Column(float, description="Count of children, or percent", metadata={"unit": "count or %"}),
                "unit": pa.Column(str, description="'children' or '%'"),
                "comparator": comparator,
                **provenance_columns(),
            },
            coerce=True,
            strict=False,
        ),
        example={
            "area": "Gloucestershire",
            "measure": "count",
            "period_start": "2011/12",
            "period_end": "",
            "value": 465,
            "unit": "children",
            "comparator": "=",
        },
    )
)

glos_iis_cohort = register(
    TableSpec(
        name="glos_iis_cohort",
        source=SOURCE,
        description="The service's cohort: size, ages, share of placement spend, and needs",
        unique=["measure"],
        schema=pa.DataFrameSchema(
            {
                "measure": pa.Column(str, description="What is measured"),
                "value": pa.Column(float, pa.Check.ge(0), description="The figure", metadata={"unit": "see unit"}),
                "unit": pa.Column(str, description="Unit of the figure"),
                "base": pa.Column(str, nullable=True, description="Denominator or population, as far as stated"),
                **provenance_columns(),
            },
            coerce=True,
            strict=False,
        ),
        example={"measure": "cohort_size", "value": 100, "unit": "young people", "base": "aged 11-18"},
    )
)

glos_iis_service = register(
    TableSpec(
        name="glos_iis_service",
        source=SOURCE,
        description="Numeric facts about the proposed service's design and the periods the report cites",
        unique=["item"],
        schema=pa.DataFrameSchema(
            {
                "item": pa.Column(str, description="What is stated"),
                "value": pa.Column(float, pa.Check.ge(0), description="The figure", metadata={"unit": "see unit"}),
                "unit": pa.Column(str, description="Unit of the figure"),
                "comparator": comparator,
                **provenance_columns(),
            },
            coerce=True,
            strict=False,
        ),
        example={"item": "childrens_homes", "value": 2, "unit": "homes", "comparator": "="},
    )
)


@register_folder_check("glos_iis_finance_framing")
def _finance_framing_consistent(folder, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every mention of one item has the same framing (system or council)."""
    fin = tables.get("glos_iis_finance")
    if fin is None:
        return []
    problems = []
    for item, g in fin.groupby("item", sort=False):
        if g["framing"].nunique() > 1:
            i = int(g.index[1])
            problems.append(
                Problem(
                    f"{folder.name}/glos_iis_finance.csv",
                    "mixed-framing",
                    f"item {item!r} is tagged with more than one framing ({sorted(g['framing'].unique())}); "
                    "one figure belongs to one framing",
                    row=file_row(fin, i),
                    column="framing",
                )
            )
    return problems
