"""Summaries of case-study evidence: outcomes, activity, ratings coverage, training.

These read the tidy tables of a costed case review (``yst_case_profiles``,
``yst_case_activities``, ``rating_coverage``, ``training_counts``) and return
small aggregate tables. They never return one row per child beyond the case
numbers the source document itself publishes.
"""

from __future__ import annotations

import pandas as pd

RESPONDENT_ORDER = ["young_person", "parent", "social_worker", "practitioner", "other"]


def status_change(profile: pd.Series) -> str:
    """Plain text of a case's change in status: ``"no change"`` or ``"CP -> CP and child in care"``."""
    start, end = str(profile["status_at_start"]), str(profile["status_at_end"])
    return "no change" if start == end else f"{start} -> {end}"


def outcome_counts(profiles: pd.DataFrame) -> dict[str, int]:
    """Counts of case outcomes: closed to social care, CP escalation avoided, entered care, no change."""
    changed = profiles.apply(status_change, axis=1) != "no change"
    return {
        "cases": int(len(profiles)),
        "closed_to_social_care": int(profiles["closed_to_social_care"].sum()),
        "cp_escalation_avoided": int(profiles["cp_escalation_avoided"].sum()),
        "became_child_in_care": int(profiles["became_child_in_care"].sum()),
        "status_changed": int(changed.sum()),
    }


def attendance(activities: pd.DataFrame) -> pd.DataFrame:
    """Direct-work sessions attended and missed per case, with the share attended."""
    d = activities[activities["activity_group"] == "direct_work"]
    wide = d.pivot_table(index="case_id", columns="activity", values="count", aggfunc="sum")
    wide = wide.rename(columns={"sessions attended": "attended", "sessions not attended": "missed"})
    for c in ("attended", "missed"):
        if c not in wide:
            wide[c] = 0
    out = wide[["attended", "missed"]].astype(float)
    out["scheduled"] = out["attended"] + out["missed"]
    out["share_attended"] = out["attended"] / out["scheduled"]
    return out.reset_index()


def activity_range(activities: pd.DataFrame, activity: str) -> tuple[int, int]:
    """Fewest and most of one counted activity across the cases that list it."""
    v = activities.loc[activities["activity"] == activity, "count"].dropna()
    if v.empty:
        raise ValueError(f"no case lists a count for activity {activity!r}")
    return int(v.min()), int(v.max())


def training_totals(training: pd.DataFrame) -> pd.DataFrame:
    """People trained by role, with and without partners."""
    by_role = training.groupby("role", sort=False)["persons"].sum()
    return pd.DataFrame(
        {
            "measure": [
                "practitioners",
                "managers (incl. senior)",
                "practitioners and managers",
                "partners",
                "everyone trained",
            ],
            "persons": [
                int(by_role.get("practitioners", 0)),
                int(by_role.get("managers", 0) + by_role.get("senior managers", 0)),
                int(by_role.drop("partners", errors="ignore").sum()),
                int(by_role.get("partners", 0)),
                int(by_role.sum()),
            ],
        }
    )


def trained_in_phase(training: pd.DataFrame, phase: str) -> int:
    """Everyone trained in one phase (all roles)."""
    sel = training["phase"] == phase
    if not sel.any():
        raise ValueError(f"no training counts for phase {phase!r}")
    return int(training.loc[sel, "persons"].sum())


def months_between(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Whole months from ``start`` to ``end`` (May 2015 to November 2016 is 18)."""
    return (end.year - start.year) * 12 + (end.month - start.month)


def rating_summary(coverage: pd.DataFrame, ratings: pd.DataFrame | None = None) -> pd.DataFrame:
    """What is known about the case-study ratings, by respondent group.

    Parameters
    ----------
    coverage
        A ``rating_coverage`` table: which respondent rated which case study,
        as far as the source says.
    ratings
        Optional ratings read from the printed figures (a ``case_study_ratings``
        table: ``respondent_group``, ``case_study``, ``item``, ``rating``).

    Returns
    -------
    pandas.DataFrame
        Per respondent group: case studies in the figure, with data (yes / no /
        unknown), ratings available, and their median, mean, min and max.
    """
    rows = []
    groups = [g for g in RESPONDENT_ORDER if g in set(coverage["respondent_group"])]
    for g in groups:
        cov = coverage[coverage["respondent_group"] == g]
        vals = (
            ratings.loc[ratings["respondent_group"] == g, "rating"].dropna().astype(float)
            if ratings is not None
            else pd.Series(dtype=float)
        )
        rows.append(
            {
                "respondent_group": g,
                "figure": ", ".join(sorted(cov["figure"].unique())),
                "case_studies": int(cov["case_study"].nunique()),
                "data_yes": int((cov["data_collected"] == "yes").sum()),
                "data_no": int((cov["data_collected"] == "no").sum()),
                "data_unknown": int((cov["data_collected"] == "unknown").sum()),
                "ratings_available": int(len(vals)),
                "median": float(vals.median()) if len(vals) else float("nan"),
                "mean": float(vals.mean()) if len(vals) else float("nan"),
                "min": float(vals.min()) if len(vals) else float("nan"),
                "max": float(vals.max()) if len(vals) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def rating_grid(coverage: pd.DataFrame, ratings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Respondent group x case study: the mean rating where known, else the coverage state.

    Returns a long table with ``respondent_group, case_study, state, rating``
    where ``state`` is ``rated``, ``not collected``, ``value lost`` (collected
    but not in the text) or ``unknown``.
    """
    out = coverage[["respondent_group", "case_study", "data_collected"]].copy()
    means = (
        ratings.groupby(["respondent_group", "case_study"])["rating"].mean()
        if ratings is not None and len(ratings)
        else pd.Series(dtype=float)
    )
    out["rating"] = [means.get((g, c), float("nan")) for g, c in zip(out["respondent_group"], out["case_study"], strict=True)]
    state = out["data_collected"].map({"no": "not collected", "yes": "value lost", "unknown": "unknown"})
    out["state"] = state.where(out["rating"].isna(), "rated")
    return out[["respondent_group", "case_study", "state", "rating"]]
