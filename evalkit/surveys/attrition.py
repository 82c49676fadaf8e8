"""Attrition between baseline and follow-up, nonresponse weights, and weighted change.

A before/after comparison of those who stayed is biased whenever those who
left differed. This module

1. compares, at baseline, those followed up with those lost (standardised
   mean differences from the ``balance`` package, and counts);
2. builds nonresponse weights from baseline characteristics with ``balance``
   (inverse propensity weights or raking), weighting the completers back to
   everyone who answered at baseline, with its diagnostics and effective
   sample size;
3. reports the change unweighted and weighted, side by side;
4. says plainly when attrition is too heavy to trust the change.

Interval for the weighted mean change: the linearisation (sandwich, HC1)
standard error of a weighted mean, with t on n - 1 degrees of freedom. It
treats the weights as known; with estimated propensity weights this is
usually conservative (Lunceford & Davidian 2004, Stat Med 23:2937), which the
seeded simulation in the tests and ``benchmarks/bench_survey_attrition.py`` checks.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import WLS

from evalkit.surveys._safe import safe_table, secondary_within

#: Conventions used by :func:`attrition_verdict` (see its docstring for sources).
SMD_NOTABLE = 0.1
SMD_SEVERE = 0.25
RETENTION_GOOD = 0.8
RETENTION_TOO_LOW = 0.5
MIN_EFFECTIVE_N = 10


@contextlib.contextmanager
def _quiet_balance() -> Iterator[None]:
    """Import and run ``balance`` without its banner and INFO/WARNING chatter."""
    previous = logging.root.manager.disable
    root_handlers = list(logging.root.handlers)
    logging.disable(logging.WARNING)
    try:
        import balance

        # balance removes the root logger's handlers when first imported; put them back.
        for h in root_handlers:
            if h not in logging.root.handlers:
                logging.root.addHandler(h)
        balance.set_warnings("ERROR")
        yield
    finally:
        logging.disable(previous)


def _design(df: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric model frame: numbers as they are, categories as one 0/1 column per level."""
    parts = []
    for c in covariates:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            parts.append(s.astype(float).rename(c))
        else:
            d = pd.get_dummies(s.astype("string").fillna("(missing)"), prefix=c, prefix_sep="=", dtype=float)
            parts.append(d)
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=df.index)


def _asmd(a: pd.DataFrame, b: pd.DataFrame, wa=None, wb=None, std_type: str = "pooled") -> pd.Series:
    with _quiet_balance():
        from balance.stats_and_plots.weighted_comparisons_stats import asmd

        out = asmd(a, b, sample_weights=wa, target_weights=wb, std_type=std_type)
    return out.drop(labels=["mean(asmd)"], errors="ignore").astype(float)


def attrition_table(
    linked: pd.DataFrame, covariates: Sequence[str], *, followed: str = "followed_up"
) -> pd.DataFrame:
    """Baseline comparison of those followed up with those lost (suppressed table).

    One row per covariate (per level for a category): the mean (or share, %)
    among those followed up and those lost, the count in each group for a
    category level, and the absolute standardised mean difference (pooled SD,
    computed by ``balance``).
    """
    if followed not in linked:
        raise ValueError(f"column {followed!r} is missing; build the table with link_waves()")
    missing = [c for c in covariates if c not in linked]
    if missing:
        raise ValueError(f"covariates {missing} are not in the linked table")
    X = _design(linked, covariates)
    f = linked[followed].astype(bool).to_numpy()
    xf, xl = X[f], X[~f]
    smd = _asmd(xf, xl) if len(xf) > 1 and len(xl) > 1 else pd.Series(np.nan, index=X.columns)
    rows = []
    for c in X.columns:
        is_level = "=" in c and c not in linked.columns
        row = {"covariate": c, "variable": c.split("=")[0] if is_level else c,
               "n_followed_up": int(f.sum()), "n_lost": int((~f).sum())}
        if is_level:
            row["count_followed_up"] = int(xf[c].sum())
            row["count_lost"] = int(xl[c].sum())
            row["followed_up"] = round(100 * xf[c].mean(), 1) if len(xf) else np.nan
            row["lost"] = round(100 * xl[c].mean(), 1) if len(xl) else np.nan
            row["unit"] = "%"
        else:
            row["count_followed_up"] = np.nan
            row["count_lost"] = np.nan
            row["followed_up"] = round(float(xf[c].mean()), 2) if len(xf) else np.nan
            row["lost"] = round(float(xl[c].mean()), 2) if len(xl) else np.nan
            row["unit"] = "mean"
        row["asmd"] = round(float(smd.get(c, np.nan)), 3)
        rows.append(row)
    df = pd.DataFrame(rows)
    # A small count hides its share; a small group hides its means.
    out = safe_table(df, counts=["count_followed_up", "count_lost"],
                     linked={"count_followed_up": ["followed_up", "asmd"], "count_lost": ["lost", "asmd"]})
    out = safe_table(out, counts=["n_lost", "n_followed_up"], n_column="n_lost", statistics=["lost", "asmd"])
    out = safe_table(out, n_column="n_followed_up", statistics=["followed_up", "asmd"])
    # Levels of a category add up to the group sizes shown: hide a second level where one is hidden.
    out = secondary_within(out, "variable", "count_followed_up", linked=["followed_up", "asmd"])
    out = secondary_within(out, "variable", "count_lost", linked=["lost", "asmd"])
    return out.drop(columns=["variable"])


@dataclass
class NonresponseWeights:
    """Weights that make the completers resemble everyone seen at baseline.

    Attributes
    ----------
    method
        ``"ipw"`` (inverse propensity) or ``"rake"``.
    weights
        One weight per completer, summing to the number at baseline (person-level).
    ess
        Kish effective sample size, ``(sum w)^2 / sum w^2``.
    design_effect
        ``n / ess``.
    asmd
        Per covariate: ASMD of completers against everyone at baseline, unweighted and weighted.
    adjusted
        The adjusted ``balance`` Sample (for ``balance``'s own diagnostics).
    """

    method: str
    covariates: list[str]
    weights: pd.Series = field(repr=False)
    ess: float
    design_effect: float
    asmd: pd.DataFrame
    adjusted: object = field(repr=False, default=None)

    def balance_summary(self) -> str:
        """``balance``'s own summary of the adjustment (slow: it computes KL divergences)."""
        if self.adjusted is None:
            return ""
        with _quiet_balance():
            return str(self.adjusted.summary())

    def diagnostics(self) -> pd.DataFrame:
        """Weight diagnostics (one row): n, effective n, design effect, largest weight / mean."""
        w = self.weights
        return pd.DataFrame([{
            "method": self.method, "n_completers": len(w), "effective_n": round(self.ess, 1),
            "design_effect": round(self.design_effect, 2),
            "max_weight_over_mean": round(float(w.max() / w.mean()), 2),
            "mean_asmd_before": round(float(self.asmd["unweighted"].mean()), 3),
            "mean_asmd_after": round(float(self.asmd["weighted"].mean()), 3),
        }])

    def summary(self) -> str:
        d = self.diagnostics().iloc[0]
        return (f"{self.method} weights on {', '.join(self.covariates)}: {d['n_completers']} completers, "
                f"effective n {d['effective_n']}, design effect {d['design_effect']}, "
                f"mean ASMD {d['mean_asmd_before']} -> {d['mean_asmd_after']}")


def nonresponse_weights(
    linked: pd.DataFrame,
    covariates: Sequence[str],
    *,
    method: str = "ipw",
    followed: str = "followed_up",
    c: float = 1e4,
    max_weight_ratio: float = 20,
    diagnostics: bool = True,
) -> NonresponseWeights:
    """Nonresponse weights for the completers from baseline characteristics, with ``balance``.

    The completers are the ``balance`` sample; everyone at baseline is the
    target. With ``method="ipw"`` a logistic regression (scikit-learn, inverse
    regularisation ``c``; the default is close to unpenalised) models membership
    of the completers, and each completer is weighted by the inverse odds,
    which is proportional to the inverse of their response propensity. With
    ``method="rake"`` the completers are raked to the baseline margins of each
    covariate (numbers are cut into quantile bins by ``balance``).
    Weights above ``max_weight_ratio`` times the mean are trimmed (``balance``).
    ``diagnostics=False`` skips the balance table (faster, for simulations).

    Raises
    ------
    ValueError
        For an unknown method, missing covariates, a covariate with missing
        values, or fewer than 5 completers or 5 lost.
    """
    if method not in {"ipw", "rake"}:
        raise ValueError(f"method {method!r}: choose 'ipw' or 'rake'")
    missing = [x for x in covariates if x not in linked]
    if missing:
        raise ValueError(f"covariates {missing} are not in the linked table")
    nan_cols = [x for x in covariates if linked[x].isna().any()]
    if nan_cols:
        raise ValueError(f"covariates {nan_cols} have missing baseline values; fill or drop them first")
    f = linked[followed].astype(bool)
    if f.sum() < 5 or (~f).sum() < 1:
        raise ValueError(f"nonresponse weights need at least 5 completers and someone lost "
                         f"(have {int(f.sum())} completers, {int((~f).sum())} lost)")
    # A plain positional index: balance's raking expects an unnamed index.
    base = linked[list(covariates)].copy().reset_index(drop=True)
    for x in covariates:
        if not pd.api.types.is_numeric_dtype(base[x]) or pd.api.types.is_bool_dtype(base[x]):
            base[x] = base[x].astype(str)
        else:
            base[x] = base[x].astype(float)
    base.insert(0, "_rid", [f"r{i}" for i in range(len(base))])
    base["_w"] = 1.0
    with _quiet_balance():
        from balance import Sample
        from sklearn.linear_model import LogisticRegression

        sample = Sample.from_frame(base[f.to_numpy()].copy(), id_column="_rid", weight_column="_w")
        target = Sample.from_frame(base.copy(), id_column="_rid", weight_column="_w")
        s = sample.set_target(target)
        try:
            if method == "ipw":
                # Newton's method to a tight tolerance: the fit (and so every weight) is the
                # optimum itself, the same on every scikit-learn. lbfgs at its default tol
                # stopped 1e-4 short of it, where it stopped depending on the version.
                model = LogisticRegression(C=c, solver="newton-cholesky", tol=1e-10, max_iter=1000)
                adj = s.adjust(method="ipw", model=model,
                               transformations=None, weight_trimming_mean_ratio=max_weight_ratio)
            else:
                adj = s.adjust(method="rake", weight_trimming_mean_ratio=max_weight_ratio)
        except (KeyError, ValueError, IndexError, ZeroDivisionError) as err:
            raise ValueError(f"balance could not compute {method} weights on {list(covariates)}: "
                             f"{type(err).__name__}: {err}") from err
        w = adj.weights().df.iloc[:, 0].to_numpy(dtype=float)
    w = w * len(linked) / w.sum()
    weights = pd.Series(w, index=linked.index[f.to_numpy()], name="weight")
    if diagnostics:
        X = _design(linked, covariates)
        xf = X[f.to_numpy()]
        asmd = pd.DataFrame({"unweighted": _asmd(xf, X, std_type="target"),
                             "weighted": _asmd(xf, X, wa=w, std_type="target")})
    else:
        asmd = pd.DataFrame(columns=["unweighted", "weighted"], dtype=float)
    ess = float(w.sum() ** 2 / (w**2).sum())
    return NonresponseWeights(method=method, covariates=list(covariates), weights=weights, ess=ess,
                              design_effect=len(w) / ess, asmd=asmd, adjusted=adj)


@dataclass
class WeightedMean:
    """A (weighted) mean with its linearisation interval."""

    label: str
    n: int
    effective_n: float
    mean: float
    se: float
    ci: tuple[float, float]


def weighted_mean(values: Sequence[float], weights: Sequence[float] | None = None, *, alpha: float = 0.05,
                  label: str = "") -> WeightedMean:
    """Weighted mean with a sandwich (HC1) standard error and a t interval on n - 1 df (statsmodels WLS).

    Without weights this is the ordinary mean with the usual t interval.
    """
    y = np.asarray(values, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    ok = ~np.isnan(y) & ~np.isnan(w)
    y, w = y[ok], w[ok]
    n = len(y)
    if n < 2:
        return WeightedMean(label, n, float(n), float(y.mean()) if n else np.nan, np.nan, (np.nan, np.nan))
    fit = WLS(y, np.ones((n, 1)), weights=w).fit(cov_type="HC1", use_t=True)
    lo, hi = fit.conf_int(alpha)[0]
    return WeightedMean(label, n, float(w.sum() ** 2 / (w**2).sum()), float(fit.params[0]),
                        float(fit.bse[0]), (float(lo), float(hi)))


@dataclass
class Verdict:
    """How far attrition lets the follow-up change be trusted: ``level`` and a plain statement."""

    level: str
    text: str
    retention: float
    reasons: list[str]


def attrition_verdict(
    n_baseline: int,
    n_followed_up: int,
    asmd_before: pd.Series | None = None,
    asmd_after: pd.Series | None = None,
    effective_n: float | None = None,
    *,
    what: str = "respondents",
) -> Verdict:
    """Say plainly whether the follow-up change can be trusted given attrition.

    Levels: ``"acceptable"``, ``"caution"``, ``"too heavy to trust"``.

    Rules (conventions, not laws; the thresholds are module constants):

    - Loss of more than 20% is a serious threat to validity (the rule of thumb
      in Schulz & Grimes 2002, Lancet 359:781-785), so retention under
      :data:`RETENTION_GOOD` (80%) is at least ``caution``.
    - An absolute standardised difference over :data:`SMD_NOTABLE` (0.1) between
      completers and lost is a notable imbalance (Austin 2009, Stat Med
      28:3083-3107); over :data:`SMD_SEVERE` (0.25) after weighting, weighting has
      not repaired it (Stuart 2010, Stat Sci 25:1-21).
    - evalkit's own choices: retention under :data:`RETENTION_TOO_LOW` (50%), or an
      effective sample size under :data:`MIN_EFFECTIVE_N` (10), is too heavy to
      trust: most of the sample is then unobserved, and weighting can only correct
      for differences in what was measured at baseline.
    """
    retention = n_followed_up / n_baseline if n_baseline else np.nan
    lost = n_baseline - n_followed_up
    reasons: list[str] = []
    level = "acceptable"
    pct = f"{100 * retention:.0f}%"
    worst_before = float(asmd_before.max()) if asmd_before is not None and len(asmd_before) else np.nan
    worst_after = float(asmd_after.max()) if asmd_after is not None and len(asmd_after) else np.nan
    which = str(asmd_before.idxmax()) if asmd_before is not None and len(asmd_before) else ""
    if retention < RETENTION_TOO_LOW:
        level = "too heavy to trust"
        reasons.append(f"only {n_followed_up} of {n_baseline} {what} ({pct}) answered the follow-up")
    elif retention < RETENTION_GOOD:
        level = "caution"
        reasons.append(f"{lost} of {n_baseline} {what} ({100 - 100 * retention:.0f}%) were lost, more than 20%")
    if np.isfinite(worst_before) and worst_before > SMD_NOTABLE:
        reasons.append(f"those lost differed at baseline (largest standardised difference {worst_before:.2f}, "
                       f"on {which})")
        if level == "acceptable":
            level = "caution"
    if np.isfinite(worst_after) and worst_after > SMD_SEVERE:
        level = "too heavy to trust"
        reasons.append(f"weighting did not remove the difference (largest after weighting {worst_after:.2f})")
    if effective_n is not None and effective_n < MIN_EFFECTIVE_N:
        level = "too heavy to trust"
        reasons.append(f"the weighted sample is worth only {effective_n:.0f} respondents (effective n)")
    if level == "too heavy to trust":
        text = (f"Attrition is too heavy to trust the change: {'; '.join(reasons)}. Weighting can only correct "
                f"for differences in what was measured at baseline; the {lost} who were lost may have changed "
                f"differently for reasons nobody measured. Read the change as describing the {n_followed_up} "
                f"who answered both times, not the {n_baseline} who started.")
    elif level == "caution":
        text = (f"Treat the change with caution: {'; '.join(reasons)}. Compare the weighted and unweighted "
                "estimates; if they differ, the completers are not typical of everyone who started.")
    else:
        text = (f"Attrition is light: {n_followed_up} of {n_baseline} {what} ({pct}) answered the follow-up "
                "and those lost looked like those who stayed on what was measured at baseline.")
    return Verdict(level=level, text=text, retention=retention, reasons=reasons)
