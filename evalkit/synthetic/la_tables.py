"""Synthetic versions of the tables a new LA supplies, for ``evalkit new-la --synthetic``.

Each generator is registered with :mod:`evalkit.synthetic.la_folder` under
the table's name and returns a table that passes that table's schema. The
values are made up (seeded); they let a freshly scaffolded folder run every
notebook end to end, and they describe no real person or authority.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.synthetic.la_folder import generator


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


@generator("child_records")
def _child_records(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    from evalkit.synthetic.cohort import make_cohort

    return make_cohort(n_treated=126, n_comparison=1000, seed=_seed(rng)).data


@generator("survey_responses_wide")
def _survey(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    from evalkit.synthetic.surveys import survey_folder

    return survey_folder(seed=_seed(rng))["survey_responses_wide"]


@generator("sefton_cba_outcomes")
def _cba_outcomes(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    rows = [
        ("missing_episodes", "Missing episodes", "benefit", 2449.0, int(rng.integers(4, 15)),
         "missing episodes (fewer)", None, "police"),
        ("cp_plans", "Child protection plans", "benefit", 271.0, int(rng.integers(10, 40)),
         "months on a CP plan (reduction; total across the sample)", None, "local_authority"),
        ("stepped_down", "Stepped down from social care", "benefit", 110.0, int(rng.integers(10, 40)),
         "cases stepped down", 3, "local_authority"),
        ("child_looked_after", "Child looked after", "disbenefit", 1142.0, int(rng.integers(5, 25)),
         "months spent in care (increase; total across the sample)", None, "local_authority"),
    ]
    df = pd.DataFrame(rows, columns=["outcome_id", "outcome", "kind", "unit", "quantity", "quantity_unit",
                                     "months_per_case", "payer"])
    months = df["months_per_case"].fillna(1).astype(float)
    df["value_gbp"] = (df["unit"] * df["quantity"] * months).round(0)
    df["source_table"] = np.where(df["kind"] == "benefit", "Table 3", "Table 4")
    df["payer_basis"] = "stated"
    return df[["outcome_id", "outcome", "source_table", "kind", "value_gbp", "quantity", "quantity_unit",
               "months_per_case", "payer", "payer_basis"]]


@generator("sefton_cba_sample")
def _cba_sample(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    n = int(rng.integers(80, 200))
    return pd.DataFrame(
        {
            "key": ["sample_n", "window_months", "exited_care", "became_lac"],
            "value": [n, 3, int(rng.integers(1, 6)), int(rng.integers(3, 10))],
            "unit": ["young people", "months", "young people", "young people"],
            "comparator": ["=", "=", "=", "="],
        }
    )


@generator("sefton_cba_windows")
def _cba_windows(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "window": ["entry", "before", "after"],
            "start_month": ["2023-01", "2022-10", "2023-08"],
            "end_month": ["2023-03", "2022-12", "2023-10"],
        }
    )


@generator("edge_of_care_self_assessment")
def _self_assessment(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    from evalkit import paths, schemas

    feats = schemas.load_table(paths.RAW / "004_ofsted_edging_away", "ofsted_success_features")
    return pd.DataFrame(
        {
            "feature_id": feats["feature_id"],
            "score": rng.choice([0, 1, 2], size=len(feats), p=[0.2, 0.4, 0.4]),
            "evidence": "synthetic example score",
        }
    )


@generator("glos_iis_finance")
def _finance(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    current = round(float(rng.uniform(4, 12)), 1)
    over = round(float(rng.uniform(0.5, 2.0)), 1)
    rows = [
        ("placement_spend_current", "system", "current", current, "=", None),
        ("placement_spend_projected", "system", "within the next 6 years", round(current * 1.18, 1), ">=", 6),
        ("overspend_2016_17", "council", "this year", over, "=", None),
        ("overspend_annual_future", "council", "future years", round(over * 1.3, 1), ">", None),
        ("overspend_cumulative", "council", "5 years", round(over * 5.4, 1), "=", 5),
        ("revenue_investment_2017_18", "council", "first year", round(current * 0.18, 1), "=", None),
        ("revenue_investment_total", "council", "5 years", round(current * 0.88, 1), "=", 5),
        ("capital_investment", "council", "not stated", round(current * 0.15, 1), "=", None),
        ("placement_spend_reduction", "system", "6 years", round(current * 0.32, 1), "=", 6),
    ]
    df = pd.DataFrame(rows, columns=["item", "framing", "period", "value_gbp_m", "comparator", "horizon_years"])
    df.insert(1, "mention", "business_case")
    df["horizon_years"] = df["horizon_years"].astype("Int64")
    return df


@generator("glos_iis_cohort")
def _cohort(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "measure": ["cohort_size", "age_min", "age_max"],
            "value": [int(rng.integers(40, 140)), 11, 18],
            "unit": ["young people", "years", "years"],
            "base": ["young people in out-of-area placements", "cohort", "cohort"],
        }
    )


@generator("la_timeseries")
def _timeseries(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    """Adolescent entries to care a year, 2011-2022, with a known 20% fall from 2016."""
    years = np.arange(2011, 2023)
    base = float(rng.uniform(30, 90))
    trend = float(rng.normal(0.5, 0.8))
    mean = (base + trend * (years - 2011)) * np.where(years >= 2016, 0.8, 1.0)
    return pd.DataFrame(
        {
            "la_name": la_name,
            "year": years,
            "measure": "adolescent_starts",
            "value": rng.poisson(np.clip(mean, 1, None)).astype(float),
            "source": "synthetic (evalkit.synthetic.la_tables): true level ratio 0.8 from 2016",
        }
    )
