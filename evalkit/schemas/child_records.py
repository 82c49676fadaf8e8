"""Schema of the child-level table an LA supplies for a matched comparison.

``child_records.csv``: one row per young person, those who received the
service and those who did not (the comparison pool), with covariates measured
**before** the service started (or the equivalent date for the pool) and
outcomes over a fixed follow-up window after it. Read by
``notebooks/08_matching_child_level.ipynb``; the default data there are
:func:`evalkit.synthetic.cohort.make_cohort`.

Covariates follow the Sefton Community Adolescent Service evaluation (seed
001): previous CIN, CP and LAC plans (L900-904, footnote 17) and the
eligibility criteria of its Table 2 (L831-860) as 0/1 risk flags. Only the
identifier, the service flag, age, sex, the three plan counts and the three
outcomes are required; supply whichever risk flags the LA records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from evalkit.schemas._core import MinGroupSize, TableSpec, register

SEXES = ["female", "male", "other"]

#: Risk flags (Table 2 of the Sefton evaluation; group A then group B), column -> criterion.
RISK_FLAGS: dict[str, str] = {
    "cse_risk": "A1 Sexual exploitation (risk of, or involved in, police investigation)",
    "missing_risk": "A2 Missing (risk identified)",
    "homeless_16_17": "A3 Homeless 16 or 17 year old",
    "gang_risk": "A4 Gun and gang - youth at risk",
    "edge_of_care": "A5 Edge of care or risk of local authority accommodation",
    "neet": "B1 Not in education, employment or training (NEET)",
    "domestic_violence": "B2 Domestic violence",
    "neglect": "B3 Neglect",
    "persistent_absence": "B4 Persistent absence from education",
    "substance_misuse": "B5 Substance misuse",
    "self_harm": "B6 Self-harm by the young person",
    "contact_history": "B7 Significant contact or referral history",
    "crime_asb": "B8 Crime and anti-social behaviour",
    "parental_mental_health": "B9 Parental mental health",
    "mental_health": "B10 Young person's mental health",
}

#: Outcome columns and what they measure.
OUTCOMES: dict[str, str] = {
    "entered_care": "Entered care (became looked after) during the follow-up window: 1 yes, 0 no",
    "months_in_care": "Months looked after during the follow-up window",
    "missing_episodes": "Missing episodes recorded during the follow-up window",
}

#: Required covariates (besides the risk flags present).
BASE_COVARIATES = ["age", "sex", "prior_cin_plans", "prior_cp_plans", "prior_lac_plans"]

#: Longest follow-up window accepted, in months.
MAX_FOLLOW_UP_MONTHS = 60


def _flag(description: str) -> pa.Column:
    return pa.Column(
        int,
        pa.Check.isin([0, 1]),
        required=False,
        nullable=False,
        description=f"{description}: 1 yes, 0 no (before the service started)",
        metadata={"unit": "0/1"},
    )


def _plans(kind: str) -> pa.Column:
    return pa.Column(
        int,
        [pa.Check.ge(0), pa.Check.le(20)],
        description=f"Number of previous {kind} plans before the service started (0 if none)",
        metadata={"unit": "plans"},
    )


def _check_records(df: pd.DataFrame) -> list[tuple[int | None, str | None, str, str]]:
    """Whole-table rules: both groups present; no months in care without entering care.

    Returns (0-based row position or None, column, rule, detail), as :class:`TableSpec` checks do.
    """
    problems: list[tuple[int | None, str | None, str, str]] = []
    groups = set(df["received_service"].unique())
    for g, who in ((1, "received the service"), (0, "did not receive it (the comparison pool)")):
        if g not in groups:
            problems.append(
                (None, "received_service", "both-groups",
                 f"no row has received_service = {g}: the table needs young people who {who}")
            )
    bad = ((df["months_in_care"] > 0) & (df["entered_care"] == 0)).to_numpy()
    months = df["months_in_care"].to_numpy()
    for pos in np.flatnonzero(bad)[:20]:  # 0-based position; the loader turns it into a row number
        problems.append(
            (int(pos), "months_in_care", "months-without-entry",
             f"{months[pos]} months in care but entered_care is 0; "
             "code entered_care 1 for anyone looked after during the follow-up window")
        )
    return problems


#: Fewest young people in each group (service / comparison pool) the matching notebook accepts.
#: Below this a propensity model has almost nothing to fit, and every published count
#: would be suppressed anyway (evalkit.disclosure).
MIN_GROUP = 10

child_records = register(
    TableSpec(
        name="child_records",
        source="la",
        description=(
            "One row per young person, treated and comparison pool: service flag, covariates "
            "before the service, outcomes over the follow-up window"
        ),
        unique=["child_id"],
        schema=pa.DataFrameSchema(
            {
                "child_id": pa.Column(
                    str,
                    pa.Check.str_length(1, 64),
                    description="Pseudonymous identifier (never a name, UPN or NHS number); not saved in outputs",
                    metadata={"unit": "id"},
                ),
                "received_service": pa.Column(
                    int,
                    pa.Check.isin([0, 1]),
                    description="1 = received the service, 0 = comparison pool",
                    metadata={"unit": "0/1"},
                ),
                "age": pa.Column(
                    int,
                    [pa.Check.ge(10), pa.Check.le(25)],
                    description="Age in whole years when the service started (or the pool's index date)",
                    metadata={"unit": "years"},
                ),
                "sex": pa.Column(
                    str,
                    pa.Check.isin(SEXES),
                    description="Sex as recorded: female, male or other",
                    metadata={"allowed": SEXES},
                ),
                "prior_cin_plans": _plans("child in need (CIN)"),
                "prior_cp_plans": _plans("child protection (CP)"),
                "prior_lac_plans": _plans("looked-after (LAC/CLA)"),
                **{name: _flag(text) for name, text in RISK_FLAGS.items()},
                "entered_care": pa.Column(
                    int, pa.Check.isin([0, 1]), description=OUTCOMES["entered_care"],
                    metadata={"unit": "0/1"},
                ),
                "months_in_care": pa.Column(
                    float,
                    [pa.Check.ge(0), pa.Check.le(MAX_FOLLOW_UP_MONTHS)],
                    description=OUTCOMES["months_in_care"],
                    metadata={"unit": "months"},
                ),
                "missing_episodes": pa.Column(
                    int, [pa.Check.ge(0), pa.Check.le(1000)], description=OUTCOMES["missing_episodes"],
                    metadata={"unit": "episodes"},
                ),
            },
            coerce=True,
            strict=False,
        ),
        example={
            "child_id": "YP0001",
            "received_service": 1,
            "age": 15,
            "sex": "female",
            "prior_cin_plans": 1,
            "prior_cp_plans": 0,
            "prior_lac_plans": 0,
            **{name: 0 for name in RISK_FLAGS},
            "edge_of_care": 1,
            "persistent_absence": 1,
            "entered_care": 0,
            "months_in_care": 0,
            "missing_episodes": 2,
        },
        checks=[_check_records],
        requires=[
            MinGroupSize(column="received_service", groups=(1, 0), n=MIN_GROUP,
                         needed_by="08_matching_child_level: fewer leave nothing to match or publish")
        ],
        min_rows=2,
    )
)


def covariates_present(df: pd.DataFrame) -> list[str]:
    """Covariate columns of a validated ``child_records`` table: the base ones plus the flags present.

    A flag with a single value in the whole table carries no information and is left out.
    """
    flags = [c for c in RISK_FLAGS if c in df.columns and df[c].nunique() > 1]
    base = [c for c in BASE_COVARIATES if df[c].nunique() > 1]
    return base + flags


def outcomes_present(df: pd.DataFrame) -> list[str]:
    """Outcome columns (all three are required)."""
    return [c for c in OUTCOMES if c in df.columns]
