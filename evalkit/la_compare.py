"""Local-authority-level matched comparison: comparators, difference-in-differences, synthetic control.

Works on one measure of the DfE children-looked-after panel in long form
(:func:`evalkit.la_panel.measure_series`: ``la_old_code, la_name, region,
year, value``), for one *treated* authority whose service started in
``start_year`` (a year ending 31 March, so 2016 = April 2015 to March 2016).

1. :func:`choose_comparators` picks the ``n`` authorities nearest the treated
   one in pre-period **level** and **trend** of the measure (and, optionally,
   pre-period means of other measures), by Mahalanobis distance
   (:class:`sklearn.neighbors.NearestNeighbors`).
2. :func:`did` estimates a two-way fixed-effects difference-in-differences on
   the treated authority and its comparators (pyfixest), and
   :func:`event_study` the year-by-year version whose pre-period coefficients
   are the parallel-trends check.
3. :func:`synthetic_control` builds a weighted average of donor authorities
   that tracks the treated one before the start (pysyncon's ``Synth`` with the
   pre-period outcomes as predictors, equal weights on each year).

Inference with one treated authority
------------------------------------
Cluster-robust standard errors need many *treated* clusters; with one they are
far too small (Conley and Taber 2011; MacKinnon and Webb 2017). They are shown
but not relied on. Inference is by **placebo in space**: every comparator in
turn is treated as if it had started the service, the same estimate is
computed, and the treated authority's estimate is ranked among these
placebos. The p-value is ``(1 + #placebos at least as extreme) / (1 + #placebos)``,
so with 19 placebos the smallest possible p-value is 0.05. For the
synthetic control the statistic ranked is the ratio of post- to pre-period
root mean squared prediction error (Abadie, Diamond and Hainmueller 2010).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitWarning

__all__ = [
    "LACompareError",
    "ComparatorSet",
    "DiDResult",
    "EventStudyResult",
    "SynthResult",
    "pre_period_features",
    "la_covariates",
    "choose_comparators",
    "did",
    "event_study",
    "synthetic_control",
]

SERIES_COLUMNS = ["la_old_code", "la_name", "year", "value"]


class LACompareError(ValueError):
    """Bad input to an LA-level comparison (names the argument and the rule)."""


# --------------------------------------------------------------------------- helpers


def _check_series(series: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(series, pd.DataFrame):
        raise LACompareError(
            f"series: expected the DataFrame from la_panel.measure_series(), got {type(series).__name__}"
        )
    missing = [c for c in SERIES_COLUMNS if c not in series.columns]
    if missing:
        raise LACompareError(
            f"series: columns {missing} are missing; pass la_panel.measure_series(panel, measure)"
        )
    s = series.copy()
    s["la_old_code"] = s["la_old_code"].astype(str)
    s["year"] = s["year"].astype(int)
    s["value"] = pd.to_numeric(s["value"], errors="coerce").astype(float)
    if s.duplicated(["la_old_code", "year"]).any():
        r = s[s.duplicated(["la_old_code", "year"], keep=False)].iloc[0]
        raise LACompareError(
            f"series: la_old_code {r['la_old_code']!r} has more than one row for year {r['year']}"
        )
    return s


def _resolve(series: pd.DataFrame, treated: str | int) -> str:
    q = str(treated).strip()
    codes = set(series["la_old_code"])
    if q in codes:
        return q
    hits = series.loc[series["la_name"].astype(str).str.casefold() == q.casefold(), "la_old_code"].unique()
    if len(hits) == 1:
        return str(hits[0])
    if len(hits) > 1:
        raise LACompareError(f"treated: {q!r} names several authorities ({sorted(hits)}); pass the la_old_code")
    raise LACompareError(f"treated: {q!r} is not an la_old_code or name in the series")


def _wide(series: pd.DataFrame) -> pd.DataFrame:
    return series.pivot(index="la_old_code", columns="year", values="value").sort_index(axis=1)


def _names(series: pd.DataFrame) -> pd.Series:
    return series.drop_duplicates("la_old_code", keep="last").set_index("la_old_code")["la_name"].astype(str)


def _slope(years: np.ndarray, values: np.ndarray) -> float:
    ok = np.isfinite(values)
    if ok.sum() < 2:
        return float("nan")
    x, y = years[ok].astype(float), values[ok]
    x = x - x.mean()
    return float((x * (y - y.mean())).sum() / (x**2).sum())


def _placebo_p(stat: float, placebos: np.ndarray) -> float:
    placebos = placebos[np.isfinite(placebos)]
    return float((1 + np.sum(np.abs(placebos) >= abs(stat) - 1e-12)) / (1 + len(placebos)))


# --------------------------------------------------------------------------- features


def pre_period_features(
    series: pd.DataFrame, start_year: int, *, pre_years: Sequence[int] | None = None
) -> pd.DataFrame:
    """Pre-period level and trend of the measure for every authority.

    Parameters
    ----------
    series
        From :func:`evalkit.la_panel.measure_series`.
    start_year
        First year (ending 31 March) of the service.
    pre_years
        Years to use; default all years before ``start_year`` in the series.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``la_old_code``: ``la_name, n_pre, pre_level`` (mean),
        ``pre_trend`` (OLS slope per year), ``last_pre`` (value in the last
        pre-year), ``n_post`` (years with a value from ``start_year``).
    """
    s = _check_series(series)
    w = _wide(s)
    years = np.array(w.columns, dtype=int)
    pre = np.array(sorted(pre_years), dtype=int) if pre_years is not None else years[years < start_year]
    if len(pre) == 0:
        raise LACompareError(f"start_year: no year before {start_year} in the series (years {years.min()}-{years.max()})")
    post = years[years >= start_year]
    if len(post) == 0:
        raise LACompareError(f"start_year: no year from {start_year} on in the series (last year {years.max()})")
    pre_vals = w.reindex(columns=pre).to_numpy(float)
    out = pd.DataFrame(index=w.index)
    out["la_name"] = _names(s).reindex(w.index)
    out["n_pre"] = np.isfinite(pre_vals).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out["pre_level"] = np.nanmean(pre_vals, axis=1)
    out["pre_trend"] = [_slope(pre, row) for row in pre_vals]
    out["last_pre"] = w.reindex(columns=[pre.max()]).iloc[:, 0]
    out["n_post"] = w.reindex(columns=post).notna().sum(axis=1)
    return out


def la_covariates(
    panel: pd.DataFrame, measures: Sequence[str], start_year: int, *, pre_years: Sequence[int] | None = None
) -> pd.DataFrame:
    """Pre-period means of other measures, one column per measure (``<measure>_pre_mean``).

    Uses whichever pre-period years have a value (``population_under18``
    exists only for 2010 before 2019, so its pre-period mean is the 2010 value).
    """
    from evalkit import la_panel

    cols = {}
    for m in measures:
        s = la_panel.measure_series(panel, m)
        s = s[s["year"] < start_year] if pre_years is None else s[s["year"].isin(list(pre_years))]
        cols[f"{m}_pre_mean"] = s.groupby("la_old_code")["value"].mean()
    return pd.DataFrame(cols)


# --------------------------------------------------------------------------- comparators


@dataclass
class ComparatorSet:
    """Comparison authorities chosen for one treated authority (see :func:`choose_comparators`)."""

    treated: str
    treated_name: str
    start_year: int
    selected: list[str]
    features: pd.DataFrame
    feature_columns: list[str]
    distance: pd.Series
    excluded: pd.DataFrame
    metric: str = "weighted"

    @property
    def balance(self) -> pd.DataFrame:
        """Each matching feature: treated value, comparators' mean, all eligible authorities' mean,
        and standardised differences (by the SD across all eligible authorities) before and after."""
        f = self.features
        pool = f.drop(index=self.treated)
        rows = []
        for c in self.feature_columns:
            sd = float(pool[c].std(ddof=1))
            t = float(f.at[self.treated, c])
            m_all, m_sel = float(pool[c].mean()), float(f.loc[self.selected, c].mean())
            rows.append(
                {
                    "feature": c,
                    "treated": t,
                    "comparators_mean": m_sel,
                    "all_las_mean": m_all,
                    "std_diff_all": (t - m_all) / sd if sd > 0 else np.nan,
                    "std_diff_comparators": (t - m_sel) / sd if sd > 0 else np.nan,
                }
            )
        return pd.DataFrame(rows).set_index("feature")

    def table(self) -> pd.DataFrame:
        """The comparators with their features and distance, nearest first."""
        t = self.features.loc[self.selected].copy()
        t.insert(0, "distance", self.distance.loc[self.selected])
        return t.reset_index()

    def plot(self, series: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
        """Trajectories: the treated authority, its comparators (and their mean), and the rest."""
        import matplotlib.pyplot as plt

        s = _check_series(series)
        w = _wide(s)
        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4.5))
        else:
            fig = ax.figure
        others = [c for c in w.index if c != self.treated and c not in self.selected]
        for c in others:
            ax.plot(w.columns, w.loc[c], color="0.85", linewidth=0.6, zorder=1)
        for c in self.selected:
            ax.plot(w.columns, w.loc[c], color="tab:blue", alpha=0.35, linewidth=0.9, zorder=2)
        ax.plot(w.columns, w.loc[self.selected].mean(axis=0), color="tab:blue", linewidth=2.2,
                label=f"mean of {len(self.selected)} comparators", zorder=3)
        ax.plot(w.columns, w.loc[self.treated], color="tab:red", linewidth=2.4, marker="o",
                label=self.treated_name, zorder=4)
        ax.axvline(self.start_year - 0.5, color="0.3", linestyle="--", linewidth=1)
        ax.set_xlabel("year ending 31 March")
        ax.set_ylabel("value")
        ax.set_title(title or f"{self.treated_name} and its comparators (grey: other authorities)")
        ax.legend(loc="best", fontsize="small")
        fig.tight_layout()
        return fig


def choose_comparators(
    series: pd.DataFrame,
    treated: str | int,
    start_year: int,
    *,
    n: int = 20,
    covariates: pd.DataFrame | None = None,
    pre_years: Sequence[int] | None = None,
    min_pre_years: int = 3,
    same_region: bool = False,
    region: pd.Series | None = None,
    metric: str = "weighted",
    allow_fewer: bool = False,
) -> ComparatorSet:
    """Choose ``n`` comparison authorities by pre-period level and trend (and covariates).

    Parameters
    ----------
    series
        The outcome measure, from :func:`evalkit.la_panel.measure_series`.
    treated
        ``la_old_code`` (or exact name) of the treated authority.
    start_year
        First year of the service (year ending 31 March).
    n
        Number of comparators.
    covariates
        Extra features indexed by ``la_old_code`` (e.g. :func:`la_covariates`).
    pre_years
        Pre-period years (default: all before ``start_year``).
    min_pre_years
        Fewest pre-period values an authority needs to be eligible.
    same_region
        Only authorities in the treated authority's region.
    region
        ``la_old_code`` -> region (default: from ``series`` if it has a
        ``region`` column).
    metric
        ``"weighted"`` (default): Euclidean distance on features standardised
        by their SD across eligible authorities, with weight 1 on the level,
        1 on the trend and 1 shared equally by the covariates, so the outcome's
        own history dominates and covariates break near-ties.
        ``"mahalanobis"``: Mahalanobis distance with the covariance across
        eligible authorities. With several size measures (counts of children
        looked after, of starts, population) the covariance is nearly
        singular and Mahalanobis then chases the small residual directions
        between them rather than level and trend, which is why it is not the
        default.

    allow_fewer
        If fewer than ``n`` authorities are eligible, take them all instead of
        raising (for a donor pool).

    Returns
    -------
    ComparatorSet

    Notes
    -----
    The neighbour search is :class:`sklearn.neighbors.NearestNeighbors`. Authorities
    are eligible if they have ``min_pre_years`` pre-period values, at least
    one post-period value and every covariate; the others are listed in
    ``excluded`` with the reason. Boundary changes are respected because the
    key is ``la_old_code``: an authority that did not exist before the start
    has no pre-period and is excluded.
    """
    from sklearn.neighbors import NearestNeighbors

    s = _check_series(series)
    code = _resolve(s, treated)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise LACompareError(f"n: the number of comparators must be a whole number >= 1, got {n!r}")
    feats = pre_period_features(s, start_year, pre_years=pre_years)
    cols = ["pre_level", "pre_trend"]
    if covariates is not None:
        if not isinstance(covariates, pd.DataFrame):
            raise LACompareError("covariates: expected a DataFrame indexed by la_old_code")
        cov = covariates.copy()
        cov.index = cov.index.astype(str)
        clash = [c for c in cov.columns if c in feats.columns]
        if clash:
            raise LACompareError(f"covariates: column names {clash} clash with the level/trend features")
        feats = feats.join(cov, how="left")
        cols += list(cov.columns)
    t = feats.loc[code]
    if t["n_pre"] < 2:
        raise LACompareError(
            f"treated: {t['la_name']} ({code}) has {int(t['n_pre'])} pre-period value(s) before "
            f"{start_year}; level and trend need at least 2"
        )
    bad_t = [c for c in cols if not np.isfinite(t[c])]
    if bad_t:
        raise LACompareError(f"covariates: the treated authority has no value for {bad_t}")
    reasons = pd.Series("", index=feats.index, dtype=object)
    reasons[feats["n_pre"] < min_pre_years] = f"fewer than {min_pre_years} pre-period values"
    reasons[(reasons == "") & (feats["n_post"] < 1)] = "no post-period value"
    miss = feats[cols].isna().any(axis=1)
    reasons[(reasons == "") & miss] = "a feature or covariate is missing"
    if same_region:
        reg = region
        if reg is None and "region" in s.columns:
            reg = s.drop_duplicates("la_old_code", keep="last").set_index("la_old_code")["region"]
        if reg is None:
            raise LACompareError("same_region: no region information (pass region=)")
        reg = reg.reindex(feats.index)
        reasons[(reasons == "") & (reg != reg.get(code))] = "other region"
    reasons[code] = "treated"
    eligible = feats.index[reasons == ""]
    if len(eligible) < n and allow_fewer and len(eligible) >= 1:
        n = len(eligible)
    if len(eligible) < n:
        raise LACompareError(
            f"n: only {len(eligible)} authorities are eligible as comparators, fewer than n={n}"
        )
    F = feats.loc[list(eligible) + [code], cols].to_numpy(float)
    if metric == "weighted":
        n_cov = len(cols) - 2
        wts = np.array([1.0, 1.0] + ([1.0 / n_cov] * n_cov if n_cov else []))
        sd = F[:-1].std(axis=0, ddof=1)
        sd[sd == 0] = 1.0
        F = F * (np.sqrt(wts) / sd)
        nn = NearestNeighbors(n_neighbors=n, algorithm="brute", metric="euclidean")
    elif metric == "mahalanobis":
        VI = np.linalg.pinv(np.atleast_2d(np.cov(F[:-1], rowvar=False)))
        nn = NearestNeighbors(n_neighbors=n, algorithm="brute", metric="mahalanobis",
                              metric_params={"VI": VI})
    else:
        raise LACompareError(f"metric: must be 'weighted' or 'mahalanobis', got {metric!r}")
    nn.fit(F[:-1])
    dist, ind = nn.kneighbors(F[-1:])
    selected = [str(eligible[i]) for i in ind[0]]
    distance = pd.Series(np.nan, index=feats.index, name="distance")
    all_d = nn.kneighbors(F[-1:], n_neighbors=len(eligible))
    distance.loc[[eligible[i] for i in all_d[1][0]]] = all_d[0][0]
    excluded = feats.loc[reasons.index[(reasons != "") & (reasons.index != code)], ["la_name"]].copy()
    excluded["reason"] = reasons[excluded.index]
    return ComparatorSet(
        treated=code,
        treated_name=str(t["la_name"]),
        start_year=int(start_year),
        selected=selected,
        features=feats.loc[list(eligible) + [code]],
        feature_columns=cols,
        distance=distance,
        excluded=excluded.reset_index(),
        metric=metric,
    )


# --------------------------------------------------------------------------- difference in differences


def _panel_for(s: pd.DataFrame, units: list[str], first: int | None, last: int | None) -> pd.DataFrame:
    d = s[s["la_old_code"].isin(units)].dropna(subset=["value"]).copy()
    if first is not None:
        d = d[d["year"] >= first]
    if last is not None:
        d = d[d["year"] <= last]
    return d


def _did_fit(d: pd.DataFrame, treated: str, start_year: int) -> tuple[float, float, float, float]:
    import pyfixest as pf

    d = d.assign(treated_post=((d["la_old_code"] == treated) & (d["year"] >= start_year)).astype(float))
    m = pf.feols("value ~ treated_post | la_old_code + year", data=d, vcov={"CRV1": "la_old_code"})
    tidy = m.tidy()
    r = tidy.loc["treated_post"]
    return float(r["Estimate"]), float(r["Std. Error"]), float(r["2.5%"]), float(r["97.5%"])


@dataclass
class DiDResult:
    """Two-way fixed-effects difference-in-differences for one treated authority.

    ``estimate`` is the average change in the measure (its units, e.g.
    children per year) in the treated authority from ``start_year`` on,
    relative to the change in the comparators.
    """

    treated: str
    treated_name: str
    comparators: list[str]
    start_year: int
    years: tuple[int, int]
    estimate: float
    se_crv1: float
    ci_crv1: tuple[float, float]
    placebo_estimates: pd.Series
    p_value: float
    ci_placebo: tuple[float, float]
    n_obs: int

    def table(self) -> pd.DataFrame:
        """One row: estimate, cluster-robust SE/CI (not relied on), placebo p-value and interval."""
        return pd.DataFrame(
            [
                {
                    "estimate": self.estimate,
                    "se_crv1": self.se_crv1,
                    "ci_crv1_lower": self.ci_crv1[0],
                    "ci_crv1_upper": self.ci_crv1[1],
                    "placebo_p_value": self.p_value,
                    "placebo_ci_lower": self.ci_placebo[0],
                    "placebo_ci_upper": self.ci_placebo[1],
                    "n_placebos": int(self.placebo_estimates.notna().sum()),
                    "n_comparators": len(self.comparators),
                    "first_year": self.years[0],
                    "last_year": self.years[1],
                    "n_obs": self.n_obs,
                }
            ]
        )

    def summary(self) -> str:
        n_pl = int(self.placebo_estimates.notna().sum())
        lines = [
            f"Difference-in-differences: {self.treated_name} vs {len(self.comparators)} comparators, "
            f"{self.years[0]}-{self.years[1]}, service from {self.start_year}",
            f"  estimate: {self.estimate:.2f} per year (treated change minus comparators' change)",
            f"  placebo-in-space p-value: {self.p_value:.3f} (rank among {n_pl} placebo estimates; "
            f"smallest possible {1 / (n_pl + 1):.3f})",
        ]
        if np.isfinite(self.ci_placebo[0]):
            lines.append(
                f"  placebo-based 95% interval: [{self.ci_placebo[0]:.2f}, {self.ci_placebo[1]:.2f}] "
                "(Conley-Taber: estimate minus the placebo distribution's 97.5% and 2.5% points)"
            )
        else:
            lines.append("  placebo-based interval: not shown (needs at least 19 placebos)")
        lines.append(
            f"  cluster-robust SE {self.se_crv1:.2f}, CI [{self.ci_crv1[0]:.2f}, {self.ci_crv1[1]:.2f}]: "
            "NOT reliable with one treated authority (far too narrow); shown for comparison only"
        )
        return "\n".join(lines)


def did(
    series: pd.DataFrame,
    treated: str | int,
    comparators: Sequence[str] | ComparatorSet,
    start_year: int,
    *,
    first_year: int | None = None,
    end_year: int | None = None,
    placebo: bool = True,
) -> DiDResult:
    """Difference-in-differences on the treated authority and its comparators (pyfixest).

    ``value ~ treated_post | la_old_code + year``, cluster-robust by authority,
    plus placebo-in-space inference (see the module docstring). Years with a
    missing (suppressed) value are dropped for that authority only.
    """
    s = _check_series(series)
    code = _resolve(s, treated)
    comps = list(comparators.selected if isinstance(comparators, ComparatorSet) else comparators)
    comps = [str(c) for c in comps]
    if code in comps:
        raise LACompareError("comparators: the treated authority is among its own comparators")
    unknown = [c for c in comps if c not in set(s["la_old_code"])]
    if unknown:
        raise LACompareError(f"comparators: {unknown} are not in the series")
    if len(comps) < 2:
        raise LACompareError("comparators: need at least 2 comparison authorities")
    d = _panel_for(s, [code, *comps], first_year, end_year)
    tr = d[d["la_old_code"] == code]
    if (tr["year"] < start_year).sum() < 1 or (tr["year"] >= start_year).sum() < 1:
        raise LACompareError(
            f"start_year: the treated authority needs values before and from {start_year} "
            f"(has years {sorted(tr['year'].tolist())})"
        )
    est, se, lo, hi = _did_fit(d, code, start_year)
    pl = pd.Series(np.nan, index=comps, dtype=float, name="placebo_estimate")
    if placebo:
        d0 = d[d["la_old_code"] != code]
        for c in comps:
            dc = d0[d0["la_old_code"] == c]
            if (dc["year"] < start_year).any() and (dc["year"] >= start_year).any():
                pl[c] = _did_fit(d0, c, start_year)[0]
    vals = pl.dropna().to_numpy()
    p = _placebo_p(est, vals) if len(vals) else float("nan")
    if len(vals) >= 19:
        q_lo, q_hi = np.quantile(vals, [0.025, 0.975])
        ci_pl = (float(est - q_hi), float(est - q_lo))
    else:
        ci_pl = (float("nan"), float("nan"))
    names = _names(s)
    return DiDResult(
        treated=code,
        treated_name=str(names.get(code, code)),
        comparators=comps,
        start_year=int(start_year),
        years=(int(d["year"].min()), int(d["year"].max())),
        estimate=est,
        se_crv1=se,
        ci_crv1=(lo, hi),
        placebo_estimates=pl,
        p_value=p,
        ci_placebo=ci_pl,
        n_obs=len(d),
    )


# --------------------------------------------------------------------------- event study


def _es_name(k: int) -> str:
    return f"ev_m{-k}" if k < 0 else f"ev_p{k}"


def _es_fit(d: pd.DataFrame, treated: str, start_year: int, ref: int, vcov: bool = True) -> pd.DataFrame:
    import pyfixest as pf

    rel = d["year"] - start_year
    is_t = d["la_old_code"] == treated
    ks = sorted(int(k) for k in rel[is_t].unique() if k != ref)
    d = d.copy()
    for k in ks:
        d[_es_name(k)] = (is_t & (rel == k)).astype(float)
    fml = "value ~ " + " + ".join(_es_name(k) for k in ks) + " | la_old_code + year"
    m = pf.feols(fml, data=d, vcov={"CRV1": "la_old_code"} if vcov else "iid")
    tidy = m.tidy()
    out = pd.DataFrame(
        {
            "rel_year": ks,
            "estimate": [float(tidy.loc[_es_name(k), "Estimate"]) for k in ks],
            "se_crv1": [float(tidy.loc[_es_name(k), "Std. Error"]) for k in ks],
            "ci_crv1_lower": [float(tidy.loc[_es_name(k), "2.5%"]) for k in ks],
            "ci_crv1_upper": [float(tidy.loc[_es_name(k), "97.5%"]) for k in ks],
        }
    )
    ref_row = pd.DataFrame([{"rel_year": ref, "estimate": 0.0, "se_crv1": 0.0,
                             "ci_crv1_lower": 0.0, "ci_crv1_upper": 0.0}])
    return pd.concat([out, ref_row]).sort_values("rel_year").reset_index(drop=True)


@dataclass
class EventStudyResult:
    """Year-by-year difference-in-differences relative to the year before the start (``ref``)."""

    treated: str
    treated_name: str
    comparators: list[str]
    start_year: int
    ref: int
    coefs: pd.DataFrame
    placebo_coefs: pd.DataFrame = field(repr=False)
    pretrend_p_value: float = float("nan")
    notes: list[str] = field(default_factory=list)

    @property
    def pre_outside_band(self) -> list[int]:
        """Calendar years before the start whose coefficient lies outside the placebo band."""
        c = self.coefs
        if "placebo_lower" not in c:
            return []
        pre = c[(c["rel_year"] < 0) & (c["rel_year"] != self.ref) & c["placebo_lower"].notna()]
        out = pre[(pre["estimate"] < pre["placebo_lower"]) | (pre["estimate"] > pre["placebo_upper"])]
        return [int(k) + self.start_year for k in out["rel_year"]]

    def summary(self) -> str:
        lines = [
            f"Event study: {self.treated_name} vs {len(self.comparators)} comparators "
            f"(reference year {self.start_year + self.ref}, coefficient fixed at 0)",
            f"  {'year':>6}{'rel':>5}{'estimate':>10}{'placebo 95% band':>22}",
        ]
        for _, r in self.coefs.iterrows():
            band = (
                f"[{r['placebo_lower']:.1f}, {r['placebo_upper']:.1f}]"
                if np.isfinite(r.get("placebo_lower", np.nan))
                else "-"
            )
            lines.append(
                f"  {int(r['rel_year']) + self.start_year:>6}{int(r['rel_year']):>5}"
                f"{r['estimate']:>10.2f}{band:>22}"
            )
        lines.append(
            f"  pre-period check: the treated authority's pre-period coefficients are "
            f"larger (root mean square) than {100 * (1 - self.pretrend_p_value):.0f}% of placebos' "
            f"(p = {self.pretrend_p_value:.3f}; a small p-value casts doubt on parallel trends)"
            if np.isfinite(self.pretrend_p_value)
            else "  pre-period check: not available (no placebos)"
        )
        lines += [f"  warning: {n}" for n in self.notes]
        return "\n".join(lines)

    def plot(self, *, ax: Any = None, ylabel: str = "difference from comparators") -> Any:
        """Coefficients by year relative to the start, with the placebo band (grey).

        Pre-period points near 0 and inside the band support parallel trends.
        """
        import matplotlib.pyplot as plt

        c = self.coefs
        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4.2))
        else:
            fig = ax.figure
        if "placebo_lower" in c and c["placebo_lower"].notna().any():
            ax.fill_between(c["rel_year"], c["placebo_lower"], c["placebo_upper"], color="0.85",
                            label="placebo 95% band (comparators as if treated)")
        pre = c["rel_year"] < 0
        ax.errorbar(c.loc[pre, "rel_year"], c.loc[pre, "estimate"],
                    yerr=[c.loc[pre, "estimate"] - c.loc[pre, "ci_crv1_lower"],
                          c.loc[pre, "ci_crv1_upper"] - c.loc[pre, "estimate"]],
                    fmt="o", color="tab:gray", ecolor="0.6", capsize=2, label="before the start")
        ax.errorbar(c.loc[~pre, "rel_year"], c.loc[~pre, "estimate"],
                    yerr=[c.loc[~pre, "estimate"] - c.loc[~pre, "ci_crv1_lower"],
                          c.loc[~pre, "ci_crv1_upper"] - c.loc[~pre, "estimate"]],
                    fmt="o", color="tab:red", ecolor="tab:red", capsize=2, label="from the start")
        ax.axhline(0, color="0.2", linewidth=0.8)
        ax.axvline(-0.5, color="0.3", linestyle="--", linewidth=1)
        ax.set_xlabel(f"years relative to the start ({self.start_year} = 0)")
        ax.set_ylabel(ylabel)
        ax.set_title(f"Event study: {self.treated_name} (bars: cluster-robust CI, too narrow with one treated LA)",
                     fontsize="medium")
        ax.legend(loc="best", fontsize="small")
        fig.tight_layout()
        return fig


def event_study(
    series: pd.DataFrame,
    treated: str | int,
    comparators: Sequence[str] | ComparatorSet,
    start_year: int,
    *,
    ref: int = -1,
    first_year: int | None = None,
    end_year: int | None = None,
    placebo: bool = True,
) -> EventStudyResult:
    """Event-study regression (pyfixest): one coefficient per year relative to ``start_year``.

    ``value ~ sum_k 1[treated & year - start_year = k] | la_old_code + year``
    with ``k = ref`` (default the year before the start) left out, so each
    coefficient is the treated authority's gap to its comparators in that year
    minus the gap in the reference year. Years where the treated authority's
    value is missing (suppressed) have no coefficient. The placebo band is the
    2.5-97.5% range of the same coefficients with each comparator treated in turn.
    """
    s = _check_series(series)
    code = _resolve(s, treated)
    comps = [str(c) for c in (comparators.selected if isinstance(comparators, ComparatorSet) else comparators)]
    if code in comps:
        raise LACompareError("comparators: the treated authority is among its own comparators")
    d = _panel_for(s, [code, *comps], first_year, end_year)
    tr_years = set(d.loc[d["la_old_code"] == code, "year"])
    if start_year + ref not in tr_years:
        raise LACompareError(
            f"ref: the treated authority has no value in the reference year {start_year + ref}; choose another ref"
        )
    coefs = _es_fit(d, code, start_year, ref)
    rows = []
    if placebo:
        d0 = d[d["la_old_code"] != code]
        for c in comps:
            if start_year + ref not in set(d0.loc[d0["la_old_code"] == c, "year"]):
                continue
            pc = _es_fit(d0, c, start_year, ref, vcov=False)[["rel_year", "estimate"]]
            rows.append(pc.assign(la_old_code=c))
    placebo_coefs = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["rel_year", "estimate", "la_old_code"])
    p_pre = float("nan")
    if len(placebo_coefs):
        band = placebo_coefs.groupby("rel_year")["estimate"].quantile([0.025, 0.975]).unstack()
        band.columns = ["placebo_lower", "placebo_upper"]
        coefs = coefs.merge(band, left_on="rel_year", right_index=True, how="left")

        def pre_rms(df: pd.DataFrame) -> float:
            pre = df[(df["rel_year"] < 0) & (df["rel_year"] != ref)]["estimate"]
            return float(np.sqrt(np.mean(pre**2))) if len(pre) else float("nan")

        t_rms = pre_rms(coefs)
        pl_rms = placebo_coefs.groupby("la_old_code").apply(pre_rms, include_groups=False).to_numpy()
        if np.isfinite(t_rms):
            p_pre = _placebo_p(t_rms, pl_rms)
    names = _names(s)
    res = EventStudyResult(
        treated=code,
        treated_name=str(names.get(code, code)),
        comparators=comps,
        start_year=int(start_year),
        ref=int(ref),
        coefs=coefs,
        placebo_coefs=placebo_coefs,
        pretrend_p_value=p_pre,
    )
    outside = res.pre_outside_band
    if outside:
        msg = (
            f"pre-period coefficient(s) for {', '.join(map(str, outside))} lie outside the placebo "
            f"95% band: the treated authority did not move with its comparators before the start "
            f"(relative to the reference year {start_year + ref}), so parallel trends are in doubt"
        )
        res.notes.append(msg)
        warnings.warn(msg, EvalkitWarning, stacklevel=2)
    return res


# --------------------------------------------------------------------------- synthetic control


def _synth_weights(pre0: pd.DataFrame, pre1: pd.Series) -> np.ndarray:
    """pysyncon ``Synth`` weights with the pre-period outcomes as predictors, equal V."""
    from pysyncon import Synth

    sc = Synth()
    sc.fit(X0=pre0, X1=pre1, Z0=pre0, Z1=pre1, custom_V=np.ones(len(pre1)))
    w = np.clip(np.asarray(sc.W, dtype=float), 0, None)
    return w / w.sum()


@dataclass
class SynthResult:
    """Synthetic control for one treated authority, with placebo-in-space inference."""

    treated: str
    treated_name: str
    start_year: int
    pre_years: list[int]
    post_years: list[int]
    weights: pd.Series
    path: pd.DataFrame
    att: float
    pre_rmspe: float
    post_rmspe: float
    placebo_gaps: pd.DataFrame = field(repr=False)
    placebo_stats: pd.DataFrame = field(repr=False)
    p_value: float = float("nan")
    p_value_good_fit: float = float("nan")
    exclude_poor_fit: float = 5.0

    @property
    def ratio(self) -> float:
        """Post- to pre-period RMSPE ratio (the statistic ranked against placebos)."""
        return self.post_rmspe / self.pre_rmspe if self.pre_rmspe > 0 else float("inf")

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "att": self.att,
                    "pre_rmspe": self.pre_rmspe,
                    "post_rmspe": self.post_rmspe,
                    "rmspe_ratio": self.ratio,
                    "placebo_p_value": self.p_value,
                    "placebo_p_value_good_fit": self.p_value_good_fit,
                    "n_placebos": len(self.placebo_stats),
                    "n_donors": len(self.weights),
                    "n_donors_weight_over_1pct": int((self.weights > 0.01).sum()),
                }
            ]
        )

    def summary(self) -> str:
        top = self.weights[self.weights > 0.01].sort_values(ascending=False)
        n_good = int((self.placebo_stats["pre_mspe"] <= self.exclude_poor_fit * self.pre_rmspe**2).sum()) \
            if len(self.placebo_stats) else 0
        lines = [
            f"Synthetic control: {self.treated_name}, service from {self.start_year}; "
            f"fitted on {', '.join(str(y) for y in self.pre_years)}",
            f"  donors with weight > 1%: {len(top)} of {len(self.weights)}",
        ]
        for code, wt in top.head(8).items():
            lines.append(f"    {wt:6.1%}  {code}")
        lines += [
            f"  pre-period RMSPE {self.pre_rmspe:.2f}; post-period RMSPE {self.post_rmspe:.2f}",
            f"  average gap after the start (ATT): {self.att:.2f} per year",
            f"  placebo-in-space p-value (post/pre RMSPE ratio rank among {len(self.placebo_stats)} "
            f"placebos): {self.p_value:.3f}",
            f"  same, only placebos fitting at most {self.exclude_poor_fit:g}x the treated pre-period MSPE "
            f"({n_good} placebos): {self.p_value_good_fit:.3f}",
        ]
        return "\n".join(lines)

    def plot(self, *, ax: Any = None, ylabel: str = "value") -> Any:
        """Treated authority and its synthetic control over time."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4.2))
        else:
            fig = ax.figure
        p = self.path
        ax.plot(p["year"], p["treated"], marker="o", color="tab:red", label=self.treated_name)
        ax.plot(p["year"], p["synthetic"], marker="s", linestyle="--", color="tab:blue", label="synthetic control")
        ax.axvline(self.start_year - 0.5, color="0.3", linestyle="--", linewidth=1)
        ax.set_xlabel("year ending 31 March")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{self.treated_name} and its synthetic control")
        ax.legend(loc="best", fontsize="small")
        fig.tight_layout()
        return fig

    def gaps_plot(self, *, ax: Any = None, good_fit_only: bool = True) -> Any:
        """Gap (treated minus synthetic) for the treated authority and every placebo."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4.2))
        else:
            fig = ax.figure
        g = self.placebo_gaps
        keep = list(g.columns)
        if good_fit_only and len(self.placebo_stats):
            ok = self.placebo_stats["pre_mspe"] <= self.exclude_poor_fit * self.pre_rmspe**2
            keep = list(self.placebo_stats.index[ok])
        for c in keep:
            ax.plot(g.index, g[c], color="0.75", linewidth=0.8)
        ax.plot(self.path["year"], self.path["gap"], color="tab:red", linewidth=2.4, marker="o",
                label=f"{self.treated_name}")
        ax.plot([], [], color="0.75", label=f"placebos ({len(keep)})")
        ax.axhline(0, color="0.2", linewidth=0.8)
        ax.axvline(self.start_year - 0.5, color="0.3", linestyle="--", linewidth=1)
        ax.set_xlabel("year ending 31 March")
        ax.set_ylabel("treated minus synthetic")
        ax.set_title("Placebo in space: gaps for every donor treated as if it had the service", fontsize="medium")
        ax.legend(loc="best", fontsize="small")
        fig.tight_layout()
        return fig


def synthetic_control(
    series: pd.DataFrame,
    treated: str | int,
    start_year: int,
    *,
    donors: Sequence[str] | None = None,
    first_year: int | None = None,
    end_year: int | None = None,
    placebo: bool = True,
    exclude_poor_fit: float = 5.0,
) -> SynthResult:
    """Synthetic control (pysyncon) with placebo-in-space inference.

    Parameters
    ----------
    series
        From :func:`evalkit.la_panel.measure_series`.
    treated
        ``la_old_code`` (or exact name) of the treated authority.
    start_year
        First year of the service.
    donors
        Donor pool (default: every authority with a value in every year used).
    first_year, end_year
        Years to use (default: all the treated authority has).
    placebo
        Run the placebo for every donor (each one fitted from the other donors).
    exclude_poor_fit
        For the second p-value and the gaps plot, drop placebos whose
        pre-period MSPE exceeds this multiple of the treated one's (Abadie et
        al. 2010 use 5).

    Notes
    -----
    The predictors are the treated authority's pre-period values (each year
    one predictor, equal weight), so the weights minimise the pre-period
    squared gap subject to being non-negative and summing to one
    (pysyncon's quadratic programme). Years in which the treated authority's
    value is missing are left out; donors need a value in every year used.
    """
    s = _check_series(series)
    code = _resolve(s, treated)
    w = _wide(s)
    if first_year is not None:
        w = w.loc[:, w.columns >= first_year]
    if end_year is not None:
        w = w.loc[:, w.columns <= end_year]
    years = [int(y) for y in w.columns if np.isfinite(w.at[code, y])]
    pre = [y for y in years if y < start_year]
    post = [y for y in years if y >= start_year]
    if len(pre) < 2 or len(post) < 1:
        raise LACompareError(
            f"start_year: the treated authority needs at least 2 values before {start_year} and 1 from it "
            f"(has {years})"
        )
    pool = [c for c in (w.index if donors is None else [str(d) for d in donors]) if c != code]
    unknown = [c for c in pool if c not in w.index]
    if unknown:
        raise LACompareError(f"donors: {unknown} are not in the series")
    complete = w.loc[pool, years].notna().all(axis=1)
    pool = [c for c in pool if complete[c]]
    if len(pool) < 2:
        raise LACompareError("donors: fewer than 2 donor authorities have a value in every year used")
    Y = w.loc[[code, *pool], years].astype(float)

    def fit(unit: str, donors_: list[str]) -> tuple[np.ndarray, pd.Series]:
        pre0 = Y.loc[donors_, pre].T
        pre1 = Y.loc[unit, pre]
        wts = _synth_weights(pre0, pre1)
        synth = Y.loc[donors_].T @ wts
        return wts, Y.loc[unit] - synth

    wts, gap = fit(code, pool)
    synthetic = Y.loc[code] - gap
    path = pd.DataFrame({"year": years, "treated": Y.loc[code].to_numpy(), "synthetic": synthetic.to_numpy(),
                         "gap": gap.to_numpy()})
    pre_rmspe = float(np.sqrt(np.mean(gap[pre] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[post] ** 2)))
    att = float(gap[post].mean())
    gaps, stats_rows = {}, []
    if placebo:
        for c in pool:
            others = [d for d in pool if d != c]
            _, g = fit(c, others)
            gaps[c] = g
            pm, qm = float(np.mean(g[pre] ** 2)), float(np.mean(g[post] ** 2))
            stats_rows.append({"la_old_code": c, "pre_mspe": pm, "post_mspe": qm,
                               "ratio": math.sqrt(qm / pm) if pm > 0 else np.inf})
    placebo_gaps = pd.DataFrame(gaps)
    placebo_stats = pd.DataFrame(stats_rows).set_index("la_old_code") if stats_rows else pd.DataFrame(
        columns=["pre_mspe", "post_mspe", "ratio"])
    ratio = post_rmspe / pre_rmspe if pre_rmspe > 0 else np.inf
    p = p_good = float("nan")
    if len(placebo_stats):
        r = placebo_stats["ratio"].to_numpy()
        p = float((1 + np.sum(r >= ratio)) / (1 + len(r)))
        ok = placebo_stats["pre_mspe"] <= exclude_poor_fit * pre_rmspe**2
        r2 = placebo_stats.loc[ok, "ratio"].to_numpy()
        p_good = float((1 + np.sum(r2 >= ratio)) / (1 + len(r2)))
    names = _names(s)
    return SynthResult(
        treated=code,
        treated_name=str(names.get(code, code)),
        start_year=int(start_year),
        pre_years=pre,
        post_years=post,
        weights=pd.Series(wts, index=pool, name="weight"),
        path=path,
        att=att,
        pre_rmspe=pre_rmspe,
        post_rmspe=post_rmspe,
        placebo_gaps=placebo_gaps,
        placebo_stats=placebo_stats,
        p_value=p,
        p_value_good_fit=p_good,
        exclude_poor_fit=float(exclude_poor_fit),
    )


def donor_weights_table(result: SynthResult, series: pd.DataFrame, threshold: float = 0.01) -> pd.DataFrame:
    """Donors with weight above ``threshold``, with names, largest first."""
    names = _names(_check_series(series))
    w = result.weights[result.weights > threshold].sort_values(ascending=False)
    return pd.DataFrame({"la_old_code": w.index, "la_name": names.reindex(w.index).to_numpy(),
                         "weight": w.to_numpy()})
