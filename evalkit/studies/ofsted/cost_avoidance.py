"""Ofsted, "Edging away from care" (seed 004): cost avoidance, sample profile, success checklist.

The survey visited 11 local authorities and spoke to 39 young people and 33
parents or carers in 43 families (April-June 2011). Its numbers are few. This
module holds what a reproduction and a new local authority need from it:

- a **cost-avoidance calculator** (:class:`CostAvoidance`): the weekly cost of a
  residential placement (£1,500-£6,000 in the report) annualised (weekly x 52
  by default) and set against the stated savings (£93,000 for one family;
  £688,000 for a children's services budget), with the parameters the report
  leaves implicit (the chance the young person would otherwise have entered
  care, the weeks of care avoided, the cost of the intervention);
- the **sample profile** (:func:`sample_profile`), also used by the survey
  helpers;
- the **success features** as a covariate list (:func:`covariates`) and a
  self-assessment checklist (:func:`checklist`, :func:`score_checklist`);
- the rows of the **reproduction table** (:func:`reproduce`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import InputDataError
from evalkit.errors import shown as _value

WEEKS_PER_YEAR = 52.0
#: 365 / 7: the exact number of weeks in a (non-leap) year, the alternative convention.
WEEKS_PER_YEAR_EXACT = 365 / 7


class CostAvoidanceError(InputDataError):
    """Bad input to the cost-avoidance calculator or the checklist: names the argument and the rule."""


def load_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Read the survey's tables from a data folder through their schemas.

    ``ofsted_costs`` is required; the others are optional (absent ones are
    left out of the result).
    """
    from evalkit import schemas

    out = {"ofsted_costs": schemas.load_table(folder, "ofsted_costs")}
    for name in ("ofsted_sample", "ofsted_survey_design", "ofsted_case_studies", "ofsted_case_figures",
                 "ofsted_lists", "ofsted_success_features"):
        t = schemas.load_optional(folder, name)
        if t is not None:
            out[name] = t
    return out


# --------------------------------------------------------------------------- calculator


def _number(x: Any, name: str, *, minimum: float | None = 0.0, maximum: float | None = None,
            strict: bool = False) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise CostAvoidanceError(f"{name} must be a number, got {x!r}") from None
    if not math.isfinite(v):
        raise CostAvoidanceError(f"{name} must be a finite number, got {x!r}")
    if minimum is not None and (v < minimum or (strict and v == minimum)):
        raise CostAvoidanceError(f"{name} must be {'>' if strict else '>='} {minimum:g}, got {v:g}")
    if maximum is not None and v > maximum:
        raise CostAvoidanceError(f"{name} must be <= {maximum:g}, got {v:g}")
    return v


def annualise(weekly: float | Sequence[float] | np.ndarray, weeks_per_year: float = WEEKS_PER_YEAR) -> Any:
    """A weekly cost over a year: ``weekly x weeks_per_year`` (52 by default; 365/7 is the alternative).

    >>> annualise(1500)
    78000.0
    >>> round(annualise(6000, 365 / 7), 2)
    312857.14
    """
    w = _number(weeks_per_year, "weeks_per_year", minimum=0.0, strict=True)
    arr = np.asarray(weekly, dtype=float)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise CostAvoidanceError(f"weekly cost must be finite and >= 0, got {weekly!r}")
    out = arr * w
    return float(out) if out.ndim == 0 else out


def weekly_range(costs: pd.DataFrame) -> tuple[float, float]:
    """(lowest, highest) weekly residential cost from ``ofsted_costs`` (rows of kind ``unit_cost`` per week)."""
    wk = costs.loc[(costs["kind"] == "unit_cost") & (costs["per"] == "week"), "value_gbp"]
    if wk.empty:
        raise CostAvoidanceError("ofsted_costs: no row of kind 'unit_cost' per 'week' (the weekly placement cost)")
    return float(wk.min()), float(wk.max())


def stated_savings(costs: pd.DataFrame) -> pd.DataFrame:
    """The savings rows of ``ofsted_costs``: ``item, value_gbp, scope``."""
    s = costs.loc[costs["kind"] == "saving", ["item", "value_gbp", "scope"]].reset_index(drop=True)
    if s.empty:
        raise CostAvoidanceError("ofsted_costs: no row of kind 'saving'")
    return s


def cost_range_table(low: float, high: float) -> pd.DataFrame:
    """Weekly placement costs annualised both ways: low, midpoint, geometric mean and high.

    Columns ``point, weekly, annual_52, annual_365_7``.
    """
    low = _number(low, "low", strict=True)
    high = _number(high, "high", strict=True)
    if high < low:
        raise CostAvoidanceError(f"high ({high:g}) is below low ({low:g})")
    pts = [("low", low), ("midpoint", (low + high) / 2), ("geometric mean", math.sqrt(low * high)), ("high", high)]
    return pd.DataFrame(
        {
            "point": [p for p, _ in pts],
            "weekly": [v for _, v in pts],
            "annual_52": [annualise(v) for _, v in pts],
            "annual_365_7": [annualise(v, WEEKS_PER_YEAR_EXACT) for _, v in pts],
        }
    )


@dataclass(frozen=True)
class CostAvoidance:
    """The report's cost-avoidance reasoning, with its implicit assumptions as parameters.

    A young person supported at home instead of entering residential care is
    credited with the placement cost avoided. The report's case-study method
    (para 56) implicitly assumes that the young person would certainly have
    entered care (``p_care = 1``) for some unstated time and that the
    intervention costs nothing to set against it; here each is a parameter.

    Parameters
    ----------
    weekly_low, weekly_high
        Weekly residential placement cost range (report: £1,500-£6,000).
    weeks_per_year
        Weeks in a year for annualising (52; 365/7 is the alternative).
    weeks_in_care
        Weeks of residential care avoided per young person (the report gives
        none; default one year).
    p_care
        Probability the young person would have entered residential care
        without the service (report's implicit value: 1).
    intervention_cost
        Cost of the intervention per young person (the report gives none; 0).
    """

    weekly_low: float = 1500.0
    weekly_high: float = 6000.0
    weeks_per_year: float = WEEKS_PER_YEAR
    weeks_in_care: float = WEEKS_PER_YEAR
    p_care: float = 1.0
    intervention_cost: float = 0.0

    def __post_init__(self) -> None:
        _number(self.weekly_low, "weekly_low", strict=True)
        _number(self.weekly_high, "weekly_high", strict=True)
        if self.weekly_high < self.weekly_low:
            raise CostAvoidanceError(f"weekly_high ({self.weekly_high:g}) is below weekly_low ({self.weekly_low:g})")
        _number(self.weeks_per_year, "weeks_per_year", strict=True, maximum=53)
        _number(self.weeks_in_care, "weeks_in_care")
        _number(self.p_care, "p_care", maximum=1.0)
        _number(self.intervention_cost, "intervention_cost")

    @classmethod
    def from_costs(cls, costs: pd.DataFrame, *, weekly_low: float | None = None, weekly_high: float | None = None,
                   **params: Any) -> CostAvoidance:
        """Weekly range from the ``ofsted_costs`` table (unless given); other parameters from ``params``."""
        low, high = weekly_range(costs)
        unknown = set(params) - {"weeks_per_year", "weeks_in_care", "p_care", "intervention_cost"}
        if unknown:
            raise CostAvoidanceError(f"unknown cost-avoidance parameter(s): {sorted(unknown)}")
        return cls(weekly_low=low if weekly_low is None else weekly_low,
                   weekly_high=high if weekly_high is None else weekly_high, **params)

    def annual(self) -> tuple[float, float]:
        """Annual placement cost at the low and high weekly cost."""
        return annualise(self.weekly_low, self.weeks_per_year), annualise(self.weekly_high, self.weeks_per_year)

    def net_saving(self, weekly: float) -> float:
        """Expected net saving per young person: ``p_care x weeks_in_care x weekly - intervention_cost``."""
        w = _number(weekly, "weekly")
        return self.p_care * self.weeks_in_care * w - self.intervention_cost

    def break_even_weeks(self, weekly: float) -> float:
        """Weeks of care that must be avoided for the saving to cover the intervention cost."""
        w = _number(weekly, "weekly")
        if self.p_care * w == 0:
            return math.inf if self.intervention_cost > 0 else 0.0
        return self.intervention_cost / (self.p_care * w)

    def table(self) -> pd.DataFrame:
        """The calculator at the low and high weekly cost.

        Columns: ``point, weekly, annual, expected_avoided`` (p_care x
        weeks_in_care x weekly), ``intervention_cost``, ``net_saving``,
        ``break_even_weeks``.
        """
        rows = []
        for point, w in (("low", self.weekly_low), ("high", self.weekly_high)):
            rows.append(
                {
                    "point": point,
                    "weekly": w,
                    "annual": annualise(w, self.weeks_per_year),
                    "expected_avoided": self.p_care * self.weeks_in_care * w,
                    "intervention_cost": self.intervention_cost,
                    "net_saving": self.net_saving(w),
                    "break_even_weeks": self.break_even_weeks(w),
                }
            )
        return pd.DataFrame(rows)

    def against_savings(self, savings: pd.DataFrame) -> pd.DataFrame:
        """Each stated saving in placement terms, at the low and high weekly cost.

        Columns: ``item, value_gbp, weeks_at_low, weeks_at_high`` (weeks of
        residential care the saving equals), ``years_at_low, years_at_high``
        (placement-years, using ``weeks_per_year``), and
        ``young_people_at_low, young_people_at_high``: young people whose
        expected net saving (:meth:`net_saving`) adds up to the stated saving
        (NaN when the net saving per young person is not positive).
        """
        rows = []
        for _, s in savings.iterrows():
            v = float(s["value_gbp"])
            row: dict[str, Any] = {"item": s["item"], "value_gbp": v}
            for point, w in (("low", self.weekly_low), ("high", self.weekly_high)):
                row[f"weeks_at_{point}"] = v / w
                row[f"years_at_{point}"] = v / w / self.weeks_per_year
                net = self.net_saving(w)
                row[f"young_people_at_{point}"] = v / net if net > 0 else float("nan")
            rows.append(row)
        return pd.DataFrame(rows)

    def simulate(
        self,
        n: int = 10_000,
        seed: int = 0,
        *,
        weeks_range: tuple[float, float] = (13.0, 104.0),
        p_care_range: tuple[float, float] = (0.25, 1.0),
    ) -> pd.DataFrame:
        """Seeded draws of the net saving per young person when the report's implicit inputs are uncertain.

        Each draw takes a weekly cost uniformly between ``weekly_low`` and
        ``weekly_high``, weeks of care avoided uniformly in ``weeks_range``
        (default a quarter of a year to two years) and the probability of
        care otherwise uniformly in ``p_care_range``; the intervention cost is
        held at its value. The same seed gives the same draws.

        Returns
        -------
        pandas.DataFrame
            Columns ``weekly, weeks_in_care, p_care, net_saving``.
        """
        if int(n) != n or n < 2:
            raise CostAvoidanceError(f"n must be a whole number >= 2, got {n!r}")
        for name, (lo, hi), top in (("weeks_range", weeks_range, None), ("p_care_range", p_care_range, 1.0)):
            _number(lo, f"{name} low", maximum=top)
            _number(hi, f"{name} high", maximum=top)
            if hi < lo:
                raise CostAvoidanceError(f"{name} must be (low, high) with low <= high, got {(lo, hi)!r}")
        rng = np.random.default_rng(int(seed))
        weekly = rng.uniform(self.weekly_low, self.weekly_high, int(n))
        weeks = rng.uniform(weeks_range[0], weeks_range[1], int(n))
        p = rng.uniform(p_care_range[0], p_care_range[1], int(n))
        return pd.DataFrame({"weekly": weekly, "weeks_in_care": weeks, "p_care": p,
                             "net_saving": p * weeks * weekly - self.intervention_cost})

    def grid(self, weeks: Sequence[float] | np.ndarray | None = None) -> pd.DataFrame:
        """Net saving per young person against weeks of care avoided, at the low and high weekly cost."""
        weeks = np.arange(0, 105, 4) if weeks is None else np.asarray(weeks, dtype=float)
        if np.any(weeks < 0):
            raise CostAvoidanceError("weeks must be >= 0")
        rows = []
        for point, w in (("low", self.weekly_low), ("high", self.weekly_high)):
            for wk in weeks:
                rows.append({"point": point, "weekly": w, "weeks_in_care": float(wk),
                             "net_saving": self.p_care * wk * w - self.intervention_cost})
        return pd.DataFrame(rows)


def plot_costs_vs_savings(calc: CostAvoidance, savings: pd.DataFrame, ax: Any = None) -> Any:
    """Left: a year of residential care (range) against each stated saving (log scale).
    Right: net saving per young person by weeks of care avoided, with the stated savings.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.ticker import FuncFormatter

    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(12, 4.2))
    a0, a1 = ax
    c = sns.color_palette("colorblind", 4)
    lo, hi = calc.annual()
    labels = [f"a year of residential care\n(£{calc.weekly_low:,.0f}-£{calc.weekly_high:,.0f} a week x {calc.weeks_per_year:g})"]
    a0.plot([lo, hi], [0, 0], color=c[0], linewidth=8, solid_capstyle="butt")
    for x in (lo, hi):
        a0.annotate(f"£{x / 1000:,.0f}k", (x, 0), textcoords="offset points", xytext=(0, 9), ha="center", fontsize=8)
    for i, (_, s) in enumerate(savings.iterrows(), start=1):
        a0.scatter([s["value_gbp"]], [i], s=70, marker="D", color=(c[1], c[3])[(i - 1) % 2], zorder=3)
        a0.annotate(f"£{s['value_gbp'] / 1000:,.0f}k", (s["value_gbp"], i), textcoords="offset points",
                    xytext=(0, 9), ha="center", fontsize=8)
        labels.append(str(s["item"]).replace("_", " "))
    a0.set_xscale("log")
    a0.set_xlim(min(lo, savings["value_gbp"].min()) / 2, max(hi, savings["value_gbp"].max()) * 2)
    a0.set_ylim(-0.6, len(labels) - 0.4)
    a0.set_yticks(range(len(labels)))
    a0.set_yticklabels(labels, fontsize=8)
    a0.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"£{x / 1000:,.0f}k"))
    a0.set_xlabel("£ (log scale)")
    a0.set_title("A year of residential care vs the stated savings")
    g = calc.grid()
    for i, point in enumerate(("low", "high")):
        d = g.loc[g["point"] == point]
        a1.plot(d["weeks_in_care"], d["net_saving"], color=c[i * 2], label=f"£{d['weekly'].iloc[0]:,.0f} a week")
    for i, (_, s) in enumerate(savings.iterrows(), start=1):
        a1.axhline(s["value_gbp"], color=(c[1], c[3])[(i - 1) % 2], linestyle="--", linewidth=0.9,
                   label=f"{str(s['item']).replace('_', ' ')} (£{s['value_gbp'] / 1000:,.0f}k)")
    a1.axhline(0, color="black", linewidth=0.8)
    a1.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"£{x / 1000:,.0f}k"))
    a1.set_xlabel("Weeks of residential care avoided per young person")
    a1.set_ylabel("Net saving per young person (£)")
    a1.set_title(f"P(care otherwise) = {calc.p_care:g}; intervention cost £{calc.intervention_cost:,.0f}")
    a1.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


# --------------------------------------------------------------------------- sample profile


def feasible_splits(n_units: int, total: int, sizes: Sequence[int] = (3, 4)) -> list[dict[int, int]]:
    """Ways ``n_units`` units taking one of ``sizes`` each can add up to ``total``.

    >>> feasible_splits(11, 43)
    [{3: 1, 4: 10}]
    """
    if int(n_units) != n_units or n_units < 1 or int(total) != total or total < 0:
        raise CostAvoidanceError(f"n_units and total must be whole numbers (got {n_units!r}, {total!r})")
    sizes = sorted(set(int(s) for s in sizes))
    if len(sizes) != 2:
        raise CostAvoidanceError(f"sizes must be two distinct whole numbers, got {sizes!r}")
    a, b = sizes
    out = []
    for k in range(int(n_units) + 1):
        if a * k + b * (int(n_units) - k) == total:
            out.append({a: k, b: int(n_units) - k})
    return out


def sample_profile(sample: pd.DataFrame, design: pd.DataFrame | None = None) -> pd.DataFrame:
    """The sample composition, with what it implies.

    Columns ``measure, value, note``: the counts of each group, people per
    family and per local authority, the fewest families that cannot have had
    a young person or a parent interviewed (when at most one of each per
    family), and the only split of the 'three or four families' per LA that
    gives the total.
    """
    n = dict(zip(sample["group"], sample["n"].astype(int), strict=True))
    need = {"local_authorities", "families", "young_people", "parents_carers"}
    missing = need - set(n)
    if missing:
        raise CostAvoidanceError(f"ofsted_sample: groups {sorted(missing)} are missing")
    las, fam, yp, par = n["local_authorities"], n["families"], n["young_people"], n["parents_carers"]
    rows = [
        ("local authorities", las, "visited"),
        ("families", fam, "nominated by the local authorities"),
        ("young people", yp, "interviewed; aged 11 and over; never looked after"),
        ("parents or carers", par, "interviewed"),
        ("people interviewed", yp + par, "young people + parents or carers (professionals not counted)"),
        ("families per local authority", fam / las, "mean"),
        ("young people per family", yp / fam, "mean"),
        ("parents or carers per family", par / fam, "mean"),
        ("families with no young person interviewed", max(fam - yp, 0), "at least, if one young person per family"),
        ("families with no parent or carer interviewed", max(fam - par, 0),
         "at least, if at most one parent or carer per family"),
    ]
    if design is not None:
        d = design.set_index("attribute")["value"]
        if {"families_requested_per_la_min", "families_requested_per_la_max"} <= set(d.index):
            lo, hi = int(float(d["families_requested_per_la_min"])), int(float(d["families_requested_per_la_max"]))
            splits = feasible_splits(las, fam, (lo, hi))
            note = "; ".join(f"{v[lo]} LA(s) x {lo} + {v[hi]} LA(s) x {hi}" for v in splits) or "no split fits"
            rows.append((f"splits of {lo} or {hi} families per LA giving {fam}", len(splits), note))
    return pd.DataFrame(rows, columns=["measure", "value", "note"])


def case_ages(case_studies: pd.DataFrame) -> dict[str, Any]:
    """Ages of the young people in the case-study boxes that give one."""
    ages = case_studies["young_person_age"].dropna().astype(int)
    return {
        "boxes": int(len(case_studies)),
        "with_age": int(len(ages)),
        "min": int(ages.min()) if len(ages) else None,
        "max": int(ages.max()) if len(ages) else None,
        "mean": float(ages.mean()) if len(ages) else None,
        "female": int((case_studies["young_person_sex"] == "female").sum()),
        "male": int((case_studies["young_person_sex"] == "male").sum()),
    }


def plot_sample(sample: pd.DataFrame, case_studies: pd.DataFrame | None = None, ax: Any = None) -> Any:
    """Bar chart of the sample groups; with the case studies, the ages of the young people in them."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        ncols = 2 if case_studies is not None else 1
        _, ax = plt.subplots(1, ncols, figsize=(6 * ncols, 3.8))
    axes = np.atleast_1d(ax)
    labels = sample["group"].str.replace("_", " ")
    sns.barplot(x=sample["n"].to_numpy(), y=labels.to_numpy(), ax=axes[0], color=sns.color_palette("colorblind")[0])
    for i, v in enumerate(sample["n"]):
        axes[0].text(v, i, f" {v}", va="center", fontsize=9)
    axes[0].set_xlabel("Number in the sample (people, families, authorities)")
    axes[0].set_ylabel("")
    axes[0].set_title("Edging away from care: the sample (visits April-June 2011)")
    if case_studies is not None and len(axes) > 1:
        cs = case_studies.dropna(subset=["young_person_age"]).sort_values("young_person_age")
        palette = {"female": sns.color_palette("colorblind")[1], "male": sns.color_palette("colorblind")[2],
                   "not stated": "0.6"}
        axes[1].barh(cs["la"], cs["young_person_age"].astype(float),
                     color=[palette[s] for s in cs["young_person_sex"]])
        axes[1].axvline(11, color="black", linestyle="--", linewidth=0.9, label="survey definition: 11 and over")
        axes[1].set_xlim(0, 18)
        axes[1].set_xlabel("Age of the young person in the case study (years)")
        axes[1].set_title(f"Case-study ages ({len(cs)} of {len(case_studies)} boxes give one)")
        axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, -0.18), frameon=False)
    return ax


# --------------------------------------------------------------------------- features and checklist


def covariates(features: pd.DataFrame) -> pd.DataFrame:
    """The success features as a covariate list for a matched comparison of services or areas.

    Columns ``covariate, feature_id, domain, basis, description``. Each is a
    characteristic of a service or area, scored 0/1/2 like the checklist.
    The features come from successful cases only (the report selected on the
    outcome), so they are candidates for adjustment, not proven predictors.
    """
    return features[["covariate", "feature_id", "domain", "basis", "description"]].reset_index(drop=True)


def features_by_domain(features: pd.DataFrame) -> pd.DataFrame:
    """Number of features in each domain, and how many are the report's executive-summary key factors."""
    g = features.groupby("domain", sort=False)
    out = pd.DataFrame({
        "features": g.size(),
        "key_factors": g["basis"].apply(lambda s: int((s == "key factor").sum())),
        "key_findings": g["basis"].apply(lambda s: int((s == "key finding").sum())),
    }).reset_index()
    return out


def checklist(features: pd.DataFrame) -> pd.DataFrame:
    """A blank self-assessment: one row per feature, with the question and empty score and evidence.

    Fill ``score`` with 0 (not in place), 1 (partly) or 2 (fully in place) and
    save it as ``edge_of_care_self_assessment.csv`` in the LA's data folder.
    """
    out = features[["feature_id", "domain", "checklist_question", "paragraph", "seed_lines"]].copy()
    out = out.rename(columns={"paragraph": "report_paragraph", "seed_lines": "report_lines"})
    out["score"] = ""
    out["evidence"] = ""
    return out.reset_index(drop=True)


def score_checklist(features: pd.DataFrame, assessment: pd.DataFrame) -> pd.DataFrame:
    """Summarise a self-assessment by domain.

    Parameters
    ----------
    features
        ``ofsted_success_features``.
    assessment
        ``edge_of_care_self_assessment`` (validated): ``feature_id, score``.

    Returns
    -------
    pandas.DataFrame
        One row per domain and a final ``all`` row: ``features``, ``scored``,
        ``fully`` (score 2), ``partly`` (1), ``not_in_place`` (0), ``score``
        (sum), ``max_score`` (2 x scored) and ``percent`` (score / max).

    Raises
    ------
    CostAvoidanceError
        When the assessment scores a feature that is not in ``features``, or
        a score is not 0, 1 or 2.
    """
    known = set(features["feature_id"])
    unknown = [f for f in assessment["feature_id"] if f not in known]
    if unknown:
        raise CostAvoidanceError(f"edge_of_care_self_assessment: feature_id(s) {unknown} are not success features")
    bad = assessment.loc[~assessment["score"].isin([0, 1, 2])]
    if len(bad):
        i = int(bad.index[0])
        raise CostAvoidanceError(
            f"edge_of_care_self_assessment: row {i + 2}: column 'score': {_value(bad['score'].iloc[0])} is not 0, 1 or 2"
        )
    m = features[["feature_id", "domain"]].merge(assessment[["feature_id", "score"]], on="feature_id", how="left")
    rows = []
    for dom, g in [*m.groupby("domain", sort=False), ("all", m)]:
        s = g["score"].dropna()
        rows.append({
            "domain": dom,
            "features": int(len(g)),
            "scored": int(len(s)),
            "fully": int((s == 2).sum()),
            "partly": int((s == 1).sum()),
            "not_in_place": int((s == 0).sum()),
            "score": int(s.sum()),
            "max_score": int(2 * len(s)),
            "percent": float(100 * s.sum() / (2 * len(s))) if len(s) else float("nan"),
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- reproduction

_SINGLE = "a fact from the fieldwork, stated without inputs to recompute it from"


def _fig(figs: pd.DataFrame | None, item: str) -> pd.Series | None:
    if figs is None:
        return None
    r = figs.loc[figs["item"] == item]
    return None if r.empty else r.iloc[0]


def _requested_range(design: pd.DataFrame | None) -> tuple[int, int]:
    """The 'three or four families' each LA was asked for, from ``ofsted_survey_design``."""
    if design is None:
        raise CostAvoidanceError("ofsted_survey_design.csv is needed for the families requested per LA")
    d = design.set_index("attribute")["value"]
    try:
        return int(float(d["families_requested_per_la_min"])), int(float(d["families_requested_per_la_max"]))
    except KeyError as err:
        raise CostAvoidanceError(f"ofsted_survey_design: attribute {err.args[0]!r} is missing") from None


def reproduce(rep: Any, tables: Mapping[str, pd.DataFrame]) -> None:
    """Record every stated figure of the survey in the reproduction table ``rep``.

    Few figures can be recomputed: the list counts, and the bounds that the
    sample and the case-study ages must satisfy. The rest are single
    statements of fact; each is marked ``not_reproducible`` with the reason
    and, where the document allows, a consistency note.
    """
    sample = tables.get("ofsted_sample")
    design = tables.get("ofsted_survey_design")
    cases = tables.get("ofsted_case_studies")
    figs = tables.get("ofsted_case_figures")
    lists = tables.get("ofsted_lists")
    costs = tables["ofsted_costs"]

    if sample is not None:
        n = dict(zip(sample["group"], sample["n"].astype(int), strict=True))
        lines = dict(zip(sample["group"], sample["seed_lines"], strict=True))
        named = len(cases) if cases is not None else None
        rep.not_reproducible(
            "las_visited",
            f"stated at l.{lines['local_authorities'].replace(';', ', ')} in the same number; the authorities are "
            "not listed" + (f" (only {named} are named, one per case study)" if named else ""),
        )
        lo, hi = _requested_range(design)
        splits = feasible_splits(n["local_authorities"], n["families"], (lo, hi))
        split_txt = "; ".join(f"{v[lo]} x {lo} + {v[hi]} x {hi}" for v in splits) or "no split"
        rep.not_reproducible(
            "families",
            f"per-LA counts are not published; {n['local_authorities']} LAs x {lo}-{hi} families allows "
            f"{lo * n['local_authorities']}-{hi * n['local_authorities']}, and {n['families']} needs {split_txt}",
        )
        rep.not_reproducible(
            "young_people",
            f"{_SINGLE}; with one focus young person a family, at least {n['families'] - n['young_people']} of the "
            f"{n['families']} families had none interviewed",
        )
        rep.not_reproducible(
            "parents_carers",
            f"{_SINGLE}; with at most one a family, at least {n['families'] - n['parents_carers']} families had no "
            "parent or carer interviewed",
        )
        mean = n["families"] / n["local_authorities"]
        note = (f"mean {n['families']} / {n['local_authorities']} families per LA: the mean satisfies the request, "
                "which is necessary, not sufficient, for every LA to have had that many")
        rep.check("families_per_la_min", round(mean, 6), note=note, reason="the mean is below the requested minimum")
        rep.check("families_per_la_max", round(mean, 6), note=note, reason="the mean is above the requested maximum")
    else:
        for fid in ("las_visited", "families", "young_people", "parents_carers", "families_per_la_min",
                    "families_per_la_max"):
            rep.not_reproducible(fid, "ofsted_sample.csv is not in the data folder")

    if cases is not None:
        ages = case_ages(cases)
        older = _fig(figs, "parent_daughter_age")
        extra = f"; the parent's account in para 26 adds a {older['value_min']:.0f}-year-old" if older is not None else ""
        rep.check(
            "young_person_min_age", ages["min"],
            note=(f"youngest of the {ages['with_age']} case-study young people with an age "
                  f"({ages['min']}-{ages['max']}, mean {ages['mean']:.1f}){extra}"),
            reason="a case-study young person is younger than the survey's definition",
        )
        for fid, la in (("hillingdon_age", "Hillingdon"), ("rochdale_age", "Rochdale"), ("stockton_age", "Stockton-on-Tees"),
                        ("sheffield_age", "Sheffield"), ("blackpool_age", "Blackpool")):
            rep.not_reproducible(fid, f"{_SINGLE} (the {la} box); within the survey's 11-and-over definition")
    else:
        rep.not_reproducible("young_person_min_age", "ofsted_case_studies.csv is not in the data folder")

    rep.not_reproducible("fieldwork_start", "the first month of the fieldwork (l.364); nothing to recompute it from")
    rep.not_reproducible("fieldwork_end", "the last month of the fieldwork (l.364); nothing to recompute it from")
    rep.not_reproducible("young_people_ever_looked_after",
                         "a selection criterion (l.89): true by construction, not a finding")
    rep.not_reproducible("young_people_entered_care",
                         "true by construction: the LAs nominated families with successful outcomes (l.89), as the "
                         "report concedes (l.341); it is not a rate of success")
    rep.not_reproducible("las_with_range_of_services", "the five local authorities are not named (l.7)")
    rep.not_reproducible(
        "las_with_early_reduction",
        "the authorities are not named and no numbers are given (para 54, l.341, says only 'Some'); DfE's LA "
        "starts by age begin in 2011, so a fall before the April-June 2011 visits cannot be checked",
    )
    rep.not_reproducible("reduction_claim_age_from",
                         "an age band, not a count; it differs from the survey's own definition (11 and over, l.98), "
                         "as the authorities' evidence follows DfE's 10-15 age band")
    rep.not_reproducible("inspection_programme_end", "a planned date (l.359), future at the time of writing")

    if lists is not None:
        for fid, lid in (("munro_reasons", "munro_reasons_for_early_help"),
                         ("explanations_no_reduction", "explanations_no_overall_reduction")):
            items = lists.loc[lists["list_id"] == lid]
            rep.check(fid, int(len(items)), note=f"items listed ({lid})",
                      reason="the list has a different number of items from the number stated")
    else:
        for fid in ("munro_reasons", "explanations_no_reduction"):
            rep.not_reproducible(fid, "ofsted_lists.csv is not in the data folder")

    low, high = weekly_range(costs)
    savings = stated_savings(costs)
    for _, s in savings.iterrows():
        v = float(s["value_gbp"])
        rep.not_reproducible(
            s["item"],
            f"no local authority, period, number of families or method is given (l.345); it equals "
            f"{v / high:.1f}-{v / low:.1f} weeks of residential care at £{low:,.0f}-£{high:,.0f} a week",
        )
    for item in ("residential_weekly_min", "residential_weekly_max"):
        rep.not_reproducible(item, "projected in individual case studies (l.348); no cases or sources are given; "
                                   f"a year at 52 weeks is £{annualise(low):,.0f}-£{annualise(high):,.0f}",
                             locate=True)

    _reproduce_case_figures(rep, figs)


def _reproduce_case_figures(rep: Any, figs: pd.DataFrame | None) -> None:
    ids = [
        "fip_duration_short_min", "fip_duration_short_max", "fip_duration_typical_min", "fip_duration_typical_max",
        "lengthy_involvement_min", "lengthy_involvement_max", "round_the_clock_hours", "round_the_clock_days",
        "ny_time_to_cp_plans_ending", "ny_initial_visits_per_week", "wirral_mst_since", "wirral_children_on_cp_plans",
        "wirral_school_attendance", "wirral_follow_up", "parent_social_workers_seen", "parent_social_workers_period",
        "parent_daughter_age", "parent_callback_delay", "rochdale_response_aim", "rochdale_intervention_min",
        "rochdale_intervention_max", "rochdale_first_meeting", "rochdale_hospital_visits", "rochdale_time_to_closure",
        "sheffield_support_teams", "sheffield_meeting_interval", "sheffield_mst_duration", "sheffield_step_down",
        "manchester_coordinators", "blackpool_days_per_year", "blackpool_opening_hour", "blackpool_closing_hour",
        "blackpool_support_duration",
    ]
    notes: dict[str, str] = {}
    if figs is not None:
        typ = _fig(figs, "fip_duration_typical")
        if typ is not None:
            span = f"the 'more typical' FIP length of {typ['value_min']:.0f}-{typ['value_max']:.0f} months (para 19)"
            for item, fid in (("blackpool_support_duration", "blackpool_support_duration"),
                              ("lengthy_involvement", "lengthy_involvement_max")):
                r = _fig(figs, item)
                if r is not None:
                    inside = typ["value_min"] <= r["value_max"] <= typ["value_max"]
                    notes[fid] = f"{'within' if inside else 'outside'} {span}"
        roc = _fig(figs, "rochdale_intervention_length")
        close = _fig(figs, "rochdale_time_to_closure")
        if roc is not None and close is not None:
            notes["rochdale_time_to_closure"] = (
                f"closure within {close['value_max']:.0f} weeks sits at the bottom of the team's "
                f"{roc['value_min']:.0f}-{roc['value_max']:.0f} week model")
        mst, step = _fig(figs, "sheffield_mst_duration"), _fig(figs, "sheffield_step_down")
        if mst is not None and step is not None:
            notes["sheffield_step_down"] = (f"{mst['value_max']:.0f} months of MST + {step['value_max']:.0f} of step-down "
                                            f"= {mst['value_max'] + step['value_max']:.0f} months of support")
        sw, per = _fig(figs, "parent_social_workers_seen"), _fig(figs, "parent_social_workers_period")
        if sw is not None and per is not None:
            notes["parent_social_workers_seen"] = (
                f"one social worker every {per['value_max'] * WEEKS_PER_YEAR / 12 / sw['value_max']:.1f} weeks")
        bh = _fig(figs, "blackpool_hours")
        if bh is not None:
            hours = bh["value_max"] - bh["value_min"]
            notes["blackpool_closing_hour"] = (
                f"{bh['value_min']:02.0f}:00 to {bh['value_max']:02.0f}:00 is {hours:.0f} hours a day, "
                f"{100 * hours / 24:.0f}% of a 24-hour service")
    for fid in ids:
        extra = f"; {notes[fid]}" if fid in notes else ""
        rep.not_reproducible(fid, f"{_SINGLE}{extra}", locate=True)


#: Where each stated figure is transcribed in the folder's tables: figure_id -> (table, key column,
#: key, value column). Used to check that stated_figures.csv and the tables agree.
STATED_IN_TABLES: dict[str, tuple[str, str, str, str]] = {
    "las_visited": ("ofsted_sample", "group", "local_authorities", "n"),
    "families": ("ofsted_sample", "group", "families", "n"),
    "young_people": ("ofsted_sample", "group", "young_people", "n"),
    "parents_carers": ("ofsted_sample", "group", "parents_carers", "n"),
    "families_per_la_min": ("ofsted_survey_design", "attribute", "families_requested_per_la_min", "value"),
    "families_per_la_max": ("ofsted_survey_design", "attribute", "families_requested_per_la_max", "value"),
    "young_person_min_age": ("ofsted_survey_design", "attribute", "young_person_min_age", "value"),
    "young_people_ever_looked_after": ("ofsted_survey_design", "attribute", "young_people_ever_looked_after", "value"),
    "young_people_entered_care": ("ofsted_survey_design", "attribute", "young_people_entered_care", "value"),
    "las_with_range_of_services": ("ofsted_survey_design", "attribute", "las_with_range_of_services", "value"),
    "las_with_early_reduction": ("ofsted_survey_design", "attribute", "las_with_early_reduction_over_10s", "value"),
    "reduction_claim_age_from": ("ofsted_survey_design", "attribute", "reduction_claim_age_from", "value"),
    "saving_one_family": ("ofsted_costs", "item", "saving_one_family", "value_gbp"),
    "saving_childrens_services_budget": ("ofsted_costs", "item", "saving_childrens_services_budget", "value_gbp"),
    "residential_weekly_min": ("ofsted_costs", "item", "residential_weekly_min", "value_gbp"),
    "residential_weekly_max": ("ofsted_costs", "item", "residential_weekly_max", "value_gbp"),
    "hillingdon_age": ("ofsted_case_studies", "la", "Hillingdon", "young_person_age"),
    "rochdale_age": ("ofsted_case_studies", "la", "Rochdale", "young_person_age"),
    "stockton_age": ("ofsted_case_studies", "la", "Stockton-on-Tees", "young_person_age"),
    "sheffield_age": ("ofsted_case_studies", "la", "Sheffield", "young_person_age"),
    "blackpool_age": ("ofsted_case_studies", "la", "Blackpool", "young_person_age"),
    "fip_duration_short_min": ("ofsted_case_figures", "item", "fip_duration_short", "value_min"),
    "fip_duration_short_max": ("ofsted_case_figures", "item", "fip_duration_short", "value_max"),
    "fip_duration_typical_min": ("ofsted_case_figures", "item", "fip_duration_typical", "value_min"),
    "fip_duration_typical_max": ("ofsted_case_figures", "item", "fip_duration_typical", "value_max"),
    "lengthy_involvement_min": ("ofsted_case_figures", "item", "lengthy_involvement", "value_min"),
    "lengthy_involvement_max": ("ofsted_case_figures", "item", "lengthy_involvement", "value_max"),
    "round_the_clock_hours": ("ofsted_case_figures", "item", "round_the_clock_service", "value_max"),
    "round_the_clock_days": ("ofsted_case_figures", "item", "round_the_clock_days", "value_max"),
    "ny_time_to_cp_plans_ending": ("ofsted_case_figures", "item", "ny_time_to_cp_plans_ending", "value_max"),
    "ny_initial_visits_per_week": ("ofsted_case_figures", "item", "ny_initial_visits_per_week", "value_max"),
    "wirral_children_on_cp_plans": ("ofsted_case_figures", "item", "wirral_children_on_cp_plans", "value_max"),
    "wirral_school_attendance": ("ofsted_case_figures", "item", "wirral_school_attendance", "value_max"),
    "wirral_follow_up": ("ofsted_case_figures", "item", "wirral_follow_up", "value_max"),
    "parent_social_workers_seen": ("ofsted_case_figures", "item", "parent_social_workers_seen", "value_max"),
    "parent_social_workers_period": ("ofsted_case_figures", "item", "parent_social_workers_period", "value_max"),
    "parent_daughter_age": ("ofsted_case_figures", "item", "parent_daughter_age", "value_max"),
    "parent_callback_delay": ("ofsted_case_figures", "item", "parent_callback_delay", "value_max"),
    "rochdale_response_aim": ("ofsted_case_figures", "item", "rochdale_response_aim", "value_max"),
    "rochdale_intervention_min": ("ofsted_case_figures", "item", "rochdale_intervention_length", "value_min"),
    "rochdale_intervention_max": ("ofsted_case_figures", "item", "rochdale_intervention_length", "value_max"),
    "rochdale_first_meeting": ("ofsted_case_figures", "item", "rochdale_first_meeting", "value_max"),
    "rochdale_hospital_visits": ("ofsted_case_figures", "item", "rochdale_hospital_visits", "value_max"),
    "rochdale_time_to_closure": ("ofsted_case_figures", "item", "rochdale_time_to_closure", "value_max"),
    "sheffield_support_teams": ("ofsted_case_figures", "item", "sheffield_support_teams", "value_max"),
    "sheffield_meeting_interval": ("ofsted_case_figures", "item", "sheffield_meeting_interval", "value_max"),
    "sheffield_mst_duration": ("ofsted_case_figures", "item", "sheffield_mst_duration", "value_max"),
    "sheffield_step_down": ("ofsted_case_figures", "item", "sheffield_step_down", "value_max"),
    "manchester_coordinators": ("ofsted_case_figures", "item", "manchester_coordinators", "value_max"),
    "blackpool_days_per_year": ("ofsted_case_figures", "item", "blackpool_days_per_year", "value_max"),
    "blackpool_opening_hour": ("ofsted_case_figures", "item", "blackpool_hours", "value_min"),
    "blackpool_support_duration": ("ofsted_case_figures", "item", "blackpool_support_duration", "value_max"),
}
