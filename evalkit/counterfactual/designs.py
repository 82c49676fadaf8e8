"""The designs of :func:`evalkit.counterfactual.assess`, each on the log scale, reported as ratios.

Every design returns a :class:`DesignEffect`: one row of the effects table
(``design, estimate, ci_lower, ci_upper, p_value, n_comparators, note``) and
what the plots and the verdict need. Estimates are ratios (``exp`` of an
effect on the log of the yearly count): 0.8 means 20% fewer than the
counterfactual, averaged over the post-period years.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.counterfactual._panel import Setup

#: Fewest placebos for a Conley-Taber (order-statistic) interval at alpha = 0.05.
MIN_PLACEBOS_QUANTILE = 39


@dataclass
class DesignEffect:
    """One design's effect (ratio scale) and its working parts."""

    design: str
    estimate: float
    ci_lower: float
    ci_upper: float
    p_value: float
    n_comparators: int
    note: str = ""
    placebos: np.ndarray | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The effects-table row."""
        return {"design": self.design, "estimate": self.estimate, "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper, "p_value": self.p_value,
                "n_comparators": self.n_comparators, "note": self.note}

    @property
    def has_interval(self) -> bool:
        """True when the interval is finite."""
        return bool(np.isfinite(self.ci_lower) and np.isfinite(self.ci_upper))


def failed(design: str, why: str, n: int = 0) -> DesignEffect:
    """A design that could not be estimated (NaN row with the reason)."""
    nan = float("nan")
    return DesignEffect(design, nan, nan, nan, nan, n, f"not estimated: {why}")


# --------------------------------------------------------------------------- placebo inference


def placebo_interval(est: float, placebos: np.ndarray, alpha: float = 0.05) -> tuple[float, float, float, str]:
    """Interval and p-value for a log effect from placebo-in-space estimates.

    With ``n`` placebos and ``k = floor(alpha/2 * (n + 1)) >= 1``, Conley and
    Taber's (2011) interval ``[est - x_(n+1-k), est - x_(k)]`` from the placebo
    order statistics: if the treated authority is exchangeable with the
    placebos it misses the truth with probability at most ``alpha`` (interpolated
    quantiles miss more often: 7% against 5% on the DfE panel). With ``k = 0``
    (fewer than ``2/alpha - 1`` placebos), ``est +/- t(n-1) * sd(placebos)``. The p-value is
    the rank ``(1 + #|placebo| >= |est|) / (1 + #placebos)``.
    """
    pl = np.asarray(placebos, float)
    pl = pl[np.isfinite(pl)]
    if len(pl) < 2:
        return float("nan"), float("nan"), float("nan"), "fewer than 2 placebos"
    p = float((1 + np.sum(np.abs(pl) >= abs(est) - 1e-12)) / (1 + len(pl)))
    k = int(math.floor(alpha / 2 * (len(pl) + 1)))
    if k >= 1:
        srt = np.sort(pl)
        q_lo, q_hi = srt[k - 1], srt[-k]
        return (float(est - q_hi), float(est - q_lo), p,
                f"Conley-Taber interval from {len(pl)} placebos (order statistics {k} and {len(pl) + 1 - k})")
    sd = float(np.std(pl, ddof=1))
    q = float(stats.t.ppf(1 - alpha / 2, len(pl) - 1))
    return (float(est - q * sd), float(est + q * sd), p,
            f"t interval on the SD of {len(pl)} placebos (too few for quantiles)")


def _did_gap(y: np.ndarray, comps: np.ndarray, pre: np.ndarray) -> float:
    gap = y - comps.mean(axis=0)
    return float(gap[~pre].mean() - gap[pre].mean())


def did_placebos(t: np.ndarray, C: np.ndarray, pre: np.ndarray) -> tuple[float, np.ndarray]:
    """DiD of ``t`` against the mean of the rows of ``C``, and each row against the others."""
    est = _did_gap(t, C, pre)
    k = len(C)
    tot = C.sum(axis=0)
    pl = np.array([_did_gap(C[i], (tot - C[i])[None, :] / (k - 1), pre) for i in range(k)]) if k > 2 \
        else np.array([])
    return est, pl


def did_procedure(values: pd.DataFrame, su: Setup, comps: list[str] | None = None
                  ) -> tuple[float, np.ndarray, int]:
    """DiD of the treated row of ``values`` against its comparators, and the placebo estimates.

    Each placebo is a comparator against *its own* comparators chosen by the
    same rule (:meth:`Setup.placebo_sets`), so the whole procedure is re-run.
    Rows missing from ``values`` (NaN) are left out of every comparison set.
    """
    ok = set(values.index[values.notna().all(axis=1)])
    comps = [c for c in (su.comparators if comps is None else comps) if c in ok]
    v = values.to_numpy(float)
    idx = {c: i for i, c in enumerate(values.index)}
    est = _did_gap(v[idx[su.code]], v[[idx[c] for c in comps]], su.pre)
    pl = []
    scale_t = _gap_sd(v[idx[su.code]], v[[idx[c] for c in comps]], su.pre)
    for c, own in su.placebo_sets().items():
        own = [x for x in own if x in ok and x != c]
        if c in ok and len(own) >= 2:
            e = _did_gap(v[idx[c]], v[[idx[x] for x in own]], su.pre)
            if STUDENTIZE:
                e *= scale_t / _gap_sd(v[idx[c]], v[[idx[x] for x in own]], su.pre)
            pl.append(e)
    return est, np.asarray(pl), len(comps)


#: Rescale each placebo estimate to the treated authority's noise level (see :func:`did_procedure`).
STUDENTIZE = False


def _gap_sd(y: np.ndarray, comps: np.ndarray, pre: np.ndarray) -> float:
    """Noise scale of one authority's gaps: the SD of its pre-period gaps about their line."""
    gap = (y - comps.mean(axis=0))[pre]
    x = np.arange(len(gap), dtype=float)
    if len(gap) < 3:
        return float(np.std(gap, ddof=1)) if len(gap) > 1 else 1.0
    r = gap - np.polyval(np.polyfit(x, gap, 1), x)
    return float(max(np.sqrt((r @ r) / (len(gap) - 2)), 1e-3))


def size_scale(su: Setup) -> pd.Series:
    """Noise scale of each authority's log values: ``1 / sqrt(pre-period mean count)``.

    The variance of the log of a count falls with its size, so a small
    authority's DiD is noisier than a large one's. Placebo estimates are
    multiplied by ``scale[treated] / scale[placebo]`` before they set the
    interval: Ferman and Pinto's (2019) correction of placebo inference for
    heteroskedasticity that comes from group size.
    """
    pre_mean = np.exp(su.logs.loc[:, su.pre]).mean(axis=1)
    return 1.0 / np.sqrt(pre_mean)


# --------------------------------------------------------------------------- designs


def did(su: Setup, alpha: float = 0.05, comps: list[str] | None = None) -> DesignEffect:
    """Difference-in-differences on the log scale with placebo-in-space inference.

    ``gap_t = log y_t - mean_j log y_jt`` over the comparators ``j``; the effect
    is ``mean(post gaps) - mean(pre gaps)`` (the two-way fixed-effects estimate
    for this balanced panel), as a ratio ``exp(effect)``. Placebos: each of the
    ``n_placebos`` authorities nearest the treated one in turn is treated as if
    it had started the service, against its own comparators
    (:meth:`Setup.placebo_sets`).
    """
    est, pl, k = did_procedure(su.logs, su, comps)
    lo, hi, p, how = placebo_interval(est, pl, alpha)
    comps = su.comparators if comps is None else comps
    return DesignEffect("difference-in-differences", math.exp(est), math.exp(lo) if np.isfinite(lo) else lo,
                        math.exp(hi) if np.isfinite(hi) else hi, p, len(comps), how, placebos=pl,
                        details={"log_effect": est})


def ddd(su: Setup, within_logs: pd.DataFrame | None, alpha: float = 0.05,
        within_label: str = "under-10 starts") -> DesignEffect:
    """Triple difference: the DiD of log(measure / within-authority control) (placebo inference).

    ``within_logs`` holds the log of a series the service should not move (the
    same authority's starts aged under 10) for the same authorities and years.
    The within-authority gap removes anything that moves both age groups in that
    authority (a new children's services director, a court backlog); comparing
    that gap's change with the comparators' removes national changes by age.
    """
    name = "triple difference (within-LA control: " + within_label + ")"
    if within_logs is None:
        return failed(name, "no within-authority control series was given (within=)")
    w = within_logs.reindex(columns=su.years)
    ok = [c for c in [su.code, *su.comparators] if c in w.index and w.loc[c].notna().all()]
    if su.code not in ok:
        return failed(name, f"{su.name} has no positive {within_label} in every year used")
    comps = [c for c in su.comparators if c in ok]
    if len(comps) < 3:
        return failed(name, f"only {len(comps)} comparators have {within_label} in every year", len(comps))
    d = su.logs - w.reindex(index=su.logs.index)
    est, pl, _ = did_procedure(d, su)
    lo, hi, p, how = placebo_interval(est, pl, alpha)
    note = how + ("" if len(comps) == len(su.comparators)
                  else f"; {len(su.comparators) - len(comps)} comparators lack {within_label}")
    return DesignEffect(name, math.exp(est), math.exp(lo) if np.isfinite(lo) else lo,
                        math.exp(hi) if np.isfinite(hi) else hi, p, len(comps), note, placebos=pl)


def its_single(su: Setup, errors: str, alpha: float = 0.05) -> DesignEffect:
    """Single-series ITS on the log values: a level change at the start, pre-period trend extrapolated."""
    from evalkit.its import fit_its

    d = pd.DataFrame({"year": su.years, "log_value": su.treated})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_its(d, "log_value", "year", su.start_year, impact="level", errors=errors, alpha=alpha)
    e = r.effects.loc["level"]
    lv = float(r.params[r.terms["level"]])
    note = f"errors={errors}; no comparison group: assumes the pre-period trend would have continued"
    if r.notes:
        note += "; " + "; ".join(r.notes)
    return DesignEffect("interrupted time series (single)", math.exp(lv), math.exp(e["ci_lower"]),
                        math.exp(e["ci_upper"]), float(e["p_value"]), 0, note, details={"fit": r})


def its_controlled(su: Setup, errors: str, alpha: float = 0.05, comps: list[str] | None = None) -> DesignEffect:
    """Controlled ITS on the log values: the authority against the mean log of its comparators."""
    from evalkit.its import fit_its

    comps = su.comparators if comps is None else comps
    tr = pd.DataFrame({"year": su.years, "log_value": su.treated})
    ctl = pd.DataFrame({"year": su.years, "log_value": su.comp_matrix(comps).mean(axis=0)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_its(tr, "log_value", "year", su.start_year, impact="level", errors=errors,
                    control=ctl, alpha=alpha, labels=(su.name, f"mean of {len(comps)} comparators"))
    name = r.terms["level"]
    est = float(r.params[name])
    ci = r.conf_int(alpha).loc[name]
    se = float(r.bse[name])
    p = r._pvalue(est / se, r._unit(name)) if se > 0 else float("nan")
    note = f"errors={errors}"
    if r.notes:
        note += "; " + "; ".join(r.notes)
    return DesignEffect("controlled interrupted time series", math.exp(est), math.exp(ci["lower"]),
                        math.exp(ci["upper"]), float(p), len(comps), note, details={"fit": r})


def ascm(su: Setup, alpha: float = 0.05, seed: int = 0, grid_size: int = 12) -> DesignEffect:
    """Augmented synthetic control (Ben-Michael, Feller and Rothstein 2021), conformal interval.

    ``augsynth_py.AugSynth`` (ridge augmentation, unit fixed effects) on the
    log values of the treated authority and its comparators; the interval
    inverts Chernozhukov, Wuthrich and Zhu's (2021) conformal test of a
    constant effect (``augsynth_py.conformal_interval``, i.i.d. permutations
    of the years: with a dozen years the moving-block version has at most one
    permutation per year and can never reject at 5%).
    """
    name = "augmented synthetic control"
    try:
        import augsynth_py as asy
        import polars as pl
    except ImportError as e:  # pragma: no cover - dependency is pinned
        return failed(name, f"augsynth-py is not installed ({e})")
    units = [su.code, *su.comparators]
    long = su.logs.loc[units].stack().rename("y").reset_index()
    long.columns = ["unit", "year", "y"]
    long["unit"] = long["unit"].astype(str)
    long["year"] = long["year"].astype(int)
    rng = np.random.default_rng(seed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kw = {"unit": "unit", "time": "year", "outcome": "y", "treated": su.code,
                  "treatment_time": su.start_year}
            cv = asy.AugSynth().fit(pl.from_pandas(long), **kw)
            # refits under each null reuse the cross-validated ridge penalty
            fit = asy.AugSynth(lambda_=float(cv.lambda_)).fit(pl.from_pandas(long), **kw)
            lo, hi = asy.conformal_interval(fit, alpha=alpha, grid_size=grid_size, permutation_type="iid",
                                            ns=200, rng=rng)
            p = asy.conformal_test(fit, 0.0, permutation_type="iid", ns=200, rng=rng).pvalue
    except Exception as e:  # noqa: BLE001 - the library raises several kinds
        return failed(name, f"augsynth-py failed: {e}", len(su.comparators))
    att = float(fit.att_)
    gap = np.asarray(fit.gap_, float)[~np.asarray(fit.pre_mask_, bool)]
    half = 6 * float(np.std(gap, ddof=1)) if len(gap) > 1 else abs(att)
    note = (f"conformal interval (i.i.d. permutations, grid of {grid_size}); pre-period RMSPE "
            f"{float(fit.rmspe_pre_):.3f} on the log scale")
    if lo <= att - 0.999 * half or hi >= att + 0.999 * half:
        lo, hi = -math.inf, math.inf
        note += ("; the interval reaches the edge of its grid (6 SD of the post-period gaps either side), "
                 "so it is reported as unbounded")
    if float(fit.rmspe_pre_) < 1e-6:
        note += ("; a perfect pre-period fit (more donors than pre-years): the refits under any null fit "
                 "exactly too, so the conformal test has no power here")
    return DesignEffect(name, math.exp(att), math.exp(float(lo)), math.exp(float(hi)), float(p),
                        len(su.comparators), note,
                        details={"synthetic": np.asarray(fit.synthetic_, float), "years": list(fit.periods_)})


def sdid(su: Setup, alpha: float = 0.05, seed: int = 0) -> DesignEffect:
    """Synthetic difference-in-differences (Arkhangelsky et al. 2021) via ``diff_diff.SyntheticDiD``.

    Unit and time weights on the log values of the treated authority and its
    comparators; placebo variance (the method the authors recommend with one
    treated unit), normal interval.
    """
    name = "synthetic difference-in-differences"
    try:
        import diff_diff as dd
    except ImportError as e:  # pragma: no cover
        return failed(name, f"diff-diff is not installed ({e})")
    units = [su.code, *su.comparators]
    long = su.logs.loc[units].stack().rename("y").reset_index()
    long.columns = ["unit", "year", "y"]
    long["treated"] = (long["unit"] == su.code).astype(int)
    post = [y for y in su.years if y >= su.start_year]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = dd.SyntheticDiD(variance_method="placebo", n_bootstrap=200, seed=seed, alpha=alpha).fit(
                long, outcome="y", treatment="treated", unit="unit", time="year", post_periods=post)
    except Exception as e:  # noqa: BLE001
        return failed(name, f"diff-diff failed: {e}", len(su.comparators))
    att, lo, hi = float(r.att), float(r.conf_int[0]), float(r.conf_int[1])
    return DesignEffect(name, math.exp(att), math.exp(lo), math.exp(hi), float(r.p_value),
                        len(su.comparators), "placebo variance, normal interval")


# --------------------------------------------------------------------------- event study


@dataclass
class EventStudy:
    """Year-by-year log gaps relative to a reference pre-year, with placebo bands (ratio scale)."""

    coefs: pd.DataFrame
    ref_year: int
    outliers: list[int]
    outside: list[int]
    pretrend_p: float
    note: str


def event_study(su: Setup, alpha: float = 0.05) -> EventStudy:
    """Event study whose reference is the last pre-year that is not an outlier.

    Gaps ``g_t = log y_t - mean_j log y_jt``. A pre-year is an *outlier* when
    its gap's distance from the mean of the other pre-years' gaps exceeds the
    ``1 - alpha`` quantile of the same distance among the placebos
    (:meth:`Setup.placebo_sets`). The reference is the last pre-year that is
    not an outlier (so a spike just before the start does not make every later
    year look like a fall). Coefficients ``exp(g_t - g_ref)``; the placebo band
    is the ``alpha/2`` to ``1 - alpha/2`` range of the placebos' coefficients.
    A pre-year coefficient outside its band draws a warning. ``pretrend_p`` is
    the rank of the root mean square of the treated pre-year coefficients among
    the placebos'.
    """
    from evalkit.errors import EvalkitWarning

    C = su.comp_matrix()
    sets = su.placebo_sets()
    k = len(sets)
    gaps = np.vstack([su.treated - C.mean(axis=0)]
                     + [su.logs.loc[c].to_numpy(float) - su.comp_matrix(own).mean(axis=0)
                        for c, own in sets.items()])
    years = np.asarray(su.years)
    pre_idx = np.flatnonzero(su.pre)
    outliers = []
    for j in pre_idx:
        others = [i for i in pre_idx if i != j]
        dev = np.abs(gaps[:, j] - gaps[:, others].mean(axis=1))
        if dev[0] > np.quantile(dev[1:], 1 - alpha):
            outliers.append(int(years[j]))
    ref_j = next((j for j in pre_idx[::-1] if int(years[j]) not in outliers), pre_idx[-1])
    rel = gaps - gaps[:, [ref_j]]
    band_lo, band_hi = np.quantile(rel[1:], [alpha / 2, 1 - alpha / 2], axis=0)
    coefs = pd.DataFrame({"year": years, "rel_year": years - su.start_year, "log_coef": rel[0],
                          "estimate": np.exp(rel[0]), "placebo_lower": np.exp(band_lo),
                          "placebo_upper": np.exp(band_hi)})
    pre_other = [j for j in pre_idx if j != ref_j]
    outside = [int(years[j]) for j in pre_other if not band_lo[j] <= rel[0, j] <= band_hi[j]]
    rms = np.sqrt((rel[:, pre_other] ** 2).mean(axis=1)) if pre_other else np.zeros(len(rel))
    pretrend_p = float((1 + np.sum(rms[1:] >= rms[0] - 1e-12)) / (1 + k)) if pre_other else float("nan")
    note = f"reference year {int(years[ref_j])}"
    if outliers:
        note += f" (pre-year outlier(s) {', '.join(map(str, outliers))} not used as reference)"
    if outside:
        msg = (f"event study: the pre-period coefficient(s) for {', '.join(map(str, outside))} lie outside "
               f"the placebo band (reference {int(years[ref_j])}); parallel trends are in doubt")
        warnings.warn(msg, EvalkitWarning, stacklevel=2)
        note += "; " + msg
    return EventStudy(coefs, int(years[ref_j]), outliers, outside, pretrend_p, note)
