"""Change from baseline to follow-up: paired tests, Hodges-Lehmann, effect sizes, reliable change.

Waves are linked by respondent id (:func:`link_waves`). For the respondents
seen at both waves, :func:`paired_change` gives the mean change with the
paired-t interval, the Wilcoxon signed-rank test with the Hodges-Lehmann
estimate and its interval, and the standardised effect size d_z with an exact
(noncentral t) interval. :func:`reliable_change` classifies each respondent
with the Jacobson-Truax (1991) Reliable Change Index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evalkit.surveys._safe import safe_table

BASELINE = "baseline"
FOLLOW_UP = "follow_up"


class WaveError(ValueError):
    """Waves that cannot be linked (missing wave column, duplicates, follow-up without baseline)."""


def link_waves(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    id_column: str = "respondent_id",
    wave_column: str = "wave",
    baseline: str = BASELINE,
    follow_up: str = FOLLOW_UP,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per baseline respondent: ``<col>_baseline``, ``<col>_follow_up`` and ``followed_up``.

    Parameters
    ----------
    df
        Long by wave: one row per respondent per wave.
    columns
        Score columns to carry.
    id_column, wave_column
        Respondent id and wave columns.
    baseline, follow_up
        The wave labels.
    keep
        Baseline columns carried unchanged (covariates for attrition analysis).

    Raises
    ------
    WaveError
        When the wave column is missing, a respondent appears twice in a wave,
        a wave label is unknown, or a follow-up has no baseline (naming the ids).
    """
    for c in (id_column, wave_column):
        if c not in df.columns:
            raise WaveError(f"column {c!r} is missing: each row needs a respondent id and a wave "
                            f"({baseline!r} or {follow_up!r})")
    missing = [c for c in [*columns, *keep] if c not in df.columns]
    if missing:
        raise WaveError(f"columns {missing} are not in the table")
    waves = df[wave_column].astype(str).str.strip()
    unknown = sorted(set(waves) - {baseline, follow_up})
    if unknown:
        raise WaveError(f"column {wave_column!r}: unknown wave labels {unknown}; use {baseline!r} or {follow_up!r}")
    ids = df[id_column].astype(str).str.strip()
    dup = (pd.DataFrame({"id": ids, "w": waves})).duplicated(keep=False)
    if dup.any():
        shown = sorted(set(ids[dup]))[:10]
        raise WaveError(f"respondents {shown} appear more than once in the same wave; "
                        f"each respondent has at most one row per wave")
    base_ids = set(ids[waves == baseline])
    orphans = sorted(set(ids[waves == follow_up]) - base_ids)
    if orphans:
        raise WaveError(f"respondents {orphans[:10]} have a follow-up but no baseline; "
                        "add their baseline row or check the id")
    b = df.loc[waves == baseline, [*columns, *keep]].copy()
    b.index = ids[waves == baseline]
    f = df.loc[waves == follow_up, list(columns)].copy()
    f.index = ids[waves == follow_up]
    out = pd.DataFrame(index=b.index)
    out.index.name = id_column
    for c in keep:
        out[c] = b[c]
    for c in columns:
        out[f"{c}_{BASELINE}"] = pd.to_numeric(b[c], errors="coerce")
        out[f"{c}_{FOLLOW_UP}"] = pd.to_numeric(f[c], errors="coerce").reindex(out.index)
    out["followed_up"] = out.index.isin(f.index)
    return out


def hodges_lehmann(d: Sequence[float], *, alpha: float = 0.05) -> tuple[float, float, float]:
    """One-sample Hodges-Lehmann estimate (median of Walsh averages) with its Wilcoxon interval.

    The interval runs from the k-th smallest to the k-th largest Walsh average,
    with k from the exact signed-rank null distribution when there are no ties
    or zeros and n <= 50, and from the normal approximation with tie correction
    otherwise (Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods*, 3rd ed., 3.3).

    Returns
    -------
    (estimate, lower, upper)
    """
    d = np.asarray(d, dtype=float)
    d = d[~np.isnan(d)]
    n = len(d)
    if n == 0:
        return (np.nan, np.nan, np.nan)
    i, j = np.triu_indices(n)
    walsh = np.sort((d[i] + d[j]) / 2)
    m = len(walsh)
    est = float(np.median(walsh))
    absd = np.abs(d)
    ties_or_zeros = (absd == 0).any() or len(np.unique(absd)) < n
    if n <= 50 and not ties_or_zeros:
        # Exact null distribution of the signed-rank statistic (counts of subset sums of 1..n).
        counts = np.zeros(m + 1)
        counts[0] = 1
        for r in range(1, n + 1):
            counts[r:] = counts[r:] + counts[: m + 1 - r].copy()
        cdf = np.cumsum(counts) / counts.sum()
        # k: largest k with P(W <= k - 1) <= alpha / 2
        k = int(np.searchsorted(cdf, alpha / 2, side="right"))
    else:
        _, tcounts = np.unique(absd[absd > 0], return_counts=True)
        var = n * (n + 1) * (2 * n + 1) / 24 - np.sum(tcounts**3 - tcounts) / 48
        k = int(np.floor(m / 2 - stats.norm.ppf(1 - alpha / 2) * np.sqrt(var)))
    k = max(k, 1)
    if k > m:
        return (est, np.nan, np.nan)
    return (est, float(walsh[k - 1]), float(walsh[m - k]))


def _dz_interval(t: float, n: int, alpha: float) -> tuple[float, float]:
    """Exact interval for d_z = t / sqrt(n) by inverting the noncentral t distribution."""
    if n < 2 or not np.isfinite(t):
        return (np.nan, np.nan)
    df = n - 1

    def cdf(nc: float) -> float:
        p = float(stats.nct.cdf(t, df, nc))
        if np.isnan(p):
            # scipy >= 1.15 (Boost) gives NaN far in the tails, where the probability is 0
            # (nc well above t) or 1 (well below) to double precision; older scipy gives 0 or 1
            p = 0.0 if nc > t else 1.0
        return p

    def solve(target: float) -> float:
        f = lambda nc: cdf(nc) - target  # noqa: E731
        lo, hi = t - 10 - abs(t), t + 10 + abs(t)
        return optimize.brentq(f, lo, hi)

    nc_low = solve(1 - alpha / 2)
    nc_high = solve(alpha / 2)
    return (nc_low / np.sqrt(n), nc_high / np.sqrt(n))


@dataclass
class PairedChange:
    """Paired change for the respondents seen at both waves.

    ``change`` is follow-up minus baseline. ``improved_direction`` is +1 when a
    higher score is better and -1 when lower is better (SDQ difficulties).
    """

    name: str
    n: int
    mean_baseline: float
    mean_follow_up: float
    mean_change: float
    sd_change: float
    t: float
    df: int
    p_t: float
    ci_t: tuple[float, float]
    wilcoxon_statistic: float
    p_wilcoxon: float
    hodges_lehmann: float
    ci_hodges_lehmann: tuple[float, float]
    dz: float
    ci_dz: tuple[float, float]
    d_baseline_sd: float
    alpha: float
    improved_direction: int
    _change: np.ndarray = field(repr=False, default_factory=lambda: np.array([]))

    def conf_int(self) -> pd.DataFrame:
        """Intervals of the mean change (paired t), the Hodges-Lehmann estimate and d_z."""
        return pd.DataFrame(
            {"lower": [self.ci_t[0], self.ci_hodges_lehmann[0], self.ci_dz[0]],
             "upper": [self.ci_t[1], self.ci_hodges_lehmann[1], self.ci_dz[1]]},
            index=["mean_change", "hodges_lehmann", "dz"],
        )

    def to_frame(self) -> pd.DataFrame:
        """One-row table (suppressed when 1 to 5 respondents: :data:`evalkit.disclosure.DEFAULT_THRESHOLD`)."""
        row = {
            "score": self.name, "n": self.n,
            "mean_baseline": round(self.mean_baseline, 2), "mean_follow_up": round(self.mean_follow_up, 2),
            "mean_change": round(self.mean_change, 2),
            "ci_low": round(self.ci_t[0], 2), "ci_high": round(self.ci_t[1], 2), "p_t": round(self.p_t, 4),
            "hodges_lehmann": round(self.hodges_lehmann, 2),
            "hl_low": round(self.ci_hodges_lehmann[0], 2), "hl_high": round(self.ci_hodges_lehmann[1], 2),
            "p_wilcoxon": round(self.p_wilcoxon, 4),
            "dz": round(self.dz, 2), "dz_low": round(self.ci_dz[0], 2), "dz_high": round(self.ci_dz[1], 2),
        }
        df = pd.DataFrame([row])
        stat_cols = [c for c in df.columns if c not in {"score", "n"}]
        return safe_table(df, counts=["n"], n_column="n", statistics=stat_cols)

    def summary(self) -> str:
        """Plain text of the results."""
        from evalkit.disclosure import DEFAULT_THRESHOLD

        if self.n < DEFAULT_THRESHOLD:
            return f"{self.name}: fewer than {DEFAULT_THRESHOLD} respondents at both waves; change not shown"
        pct = int(round(100 * (1 - self.alpha)))
        word = "improvement" if np.sign(self.mean_change) == self.improved_direction else "worsening"
        if self.mean_change == 0:
            word = "no change"
        return "\n".join([
            f"{self.name}: n = {self.n} seen at both waves",
            f"  mean {self.mean_baseline:.2f} -> {self.mean_follow_up:.2f}; change {self.mean_change:+.2f} "
            f"({pct}% CI {self.ci_t[0]:+.2f} to {self.ci_t[1]:+.2f}; paired t = {self.t:.2f}, "
            f"df = {self.df}, p = {self.p_t:.3f}) [{word}]",
            f"  Hodges-Lehmann {self.hodges_lehmann:+.2f} ({pct}% CI {self.ci_hodges_lehmann[0]:+.2f} to "
            f"{self.ci_hodges_lehmann[1]:+.2f}); Wilcoxon signed-rank p = {self.p_wilcoxon:.3f}",
            f"  effect size d_z = {self.dz:+.2f} ({pct}% CI {self.ci_dz[0]:+.2f} to {self.ci_dz[1]:+.2f}); "
            f"change / baseline SD = {self.d_baseline_sd:+.2f}",
        ])


def paired_change(
    baseline: Sequence[float],
    follow_up: Sequence[float],
    *,
    name: str = "score",
    alpha: float = 0.05,
    higher_is_better: bool = True,
) -> PairedChange:
    """Paired change (follow-up - baseline) for respondents with both scores.

    Pairs with either score missing are dropped. Uses scipy for the paired t
    and the Wilcoxon signed-rank test (zeros handled by Pratt's method, which keeps
    them in the ranking; exact p-value when scipy can compute one).
    """
    b = np.asarray(baseline, dtype=float)
    f = np.asarray(follow_up, dtype=float)
    if b.shape != f.shape:
        raise ValueError("baseline and follow_up must have the same length (one pair per respondent)")
    ok = ~np.isnan(b) & ~np.isnan(f)
    b, f = b[ok], f[ok]
    d = f - b
    n = len(d)
    direction = 1 if higher_is_better else -1
    nan2 = (np.nan, np.nan)
    if n < 2:
        return PairedChange(name, n, *(np.nan,) * 4, np.nan, max(n - 1, 0), np.nan, nan2, np.nan, np.nan,
                            np.nan, nan2, np.nan, nan2, np.nan, alpha, direction, d)
    sd = float(d.std(ddof=1))
    tt = stats.ttest_rel(f, b)
    ci = tt.confidence_interval(1 - alpha)
    if np.all(d == 0):
        w_stat, p_w = np.nan, 1.0
    else:
        w = stats.wilcoxon(d, zero_method="pratt")
        w_stat, p_w = float(w.statistic), float(w.pvalue)
    hl, hl_lo, hl_hi = hodges_lehmann(d, alpha=alpha)
    t = float(tt.statistic) if sd > 0 else np.nan
    dz = float(d.mean() / sd) if sd > 0 else np.nan
    sd_b = float(b.std(ddof=1))
    return PairedChange(
        name=name, n=n, mean_baseline=float(b.mean()), mean_follow_up=float(f.mean()),
        mean_change=float(d.mean()), sd_change=sd, t=t, df=n - 1, p_t=float(tt.pvalue),
        ci_t=(float(ci.low), float(ci.high)), wilcoxon_statistic=w_stat, p_wilcoxon=p_w,
        hodges_lehmann=hl, ci_hodges_lehmann=(hl_lo, hl_hi), dz=dz, ci_dz=_dz_interval(t, n, alpha),
        d_baseline_sd=float(d.mean() / sd_b) if sd_b > 0 else np.nan, alpha=alpha,
        improved_direction=direction, _change=d,
    )


RCI_CATEGORIES = ("reliably improved", "no reliable change", "reliably deteriorated")


@dataclass
class ReliableChange:
    """Jacobson-Truax Reliable Change Index for each respondent seen at both waves.

    Attributes
    ----------
    sem
        Standard error of measurement, ``sd * sqrt(1 - reliability)``.
    s_diff
        Standard error of the difference, ``sqrt(2) * sem``.
    criterion
        The smallest change that counts as reliable, ``z * s_diff``.
    rci
        Per-respondent index (person-level; never save it).
    category
        Per-respondent category (person-level).
    """

    name: str
    reliability: float | None
    sd: float | None
    sem: float
    s_diff: float
    z: float
    criterion: float
    higher_is_better: bool
    rci: np.ndarray = field(repr=False)
    category: pd.Categorical = field(repr=False)
    reliability_source: str = ""

    def counts(self) -> pd.DataFrame:
        """Counts and shares of the three categories (one row, suppressed)."""
        cat = pd.Series(self.category)
        row: dict[str, object] = {"score": self.name, "n": int(cat.notna().sum())}
        keys = {"reliably improved": "improved", "no reliable change": "no_change",
                "reliably deteriorated": "deteriorated"}
        for label, key in keys.items():
            row[f"n_{key}"] = int((cat == label).sum())
        for key in keys.values():
            row[f"pct_{key}"] = round(100 * row[f"n_{key}"] / row["n"], 1) if row["n"] else np.nan
        row["criterion"] = round(self.criterion, 2)
        df = pd.DataFrame([row])
        counts = ["n_improved", "n_no_change", "n_deteriorated", "n"]
        linked = {f"n_{k}": [f"pct_{k}"] for k in keys.values()}
        return safe_table(df, counts=counts, totals=["n"], linked=linked)

    def summary(self) -> str:
        """Plain text: the criterion and the shares reliably improved, unchanged and deteriorated."""
        rel = f"reliability {self.reliability:.2f}" if self.reliability is not None else f"SEM {self.sem:.2f}"
        src = f" ({self.reliability_source})" if self.reliability_source else ""
        c = self.counts().iloc[0]
        return "\n".join([
            f"{self.name}: reliable change needs a change of at least {self.criterion:.2f} points "
            f"({rel}{src}; S_diff = {self.s_diff:.2f}, z = {self.z:.2f})",
            f"  of {c['n']}: reliably improved {c['n_improved']} ({c['pct_improved']}%), "
            f"no reliable change {c['n_no_change']} ({c['pct_no_change']}%), "
            f"reliably deteriorated {c['n_deteriorated']} ({c['pct_deteriorated']}%)",
        ])


def reliable_change(
    baseline: Sequence[float],
    follow_up: Sequence[float],
    *,
    reliability: float | None = None,
    sd: float | None = None,
    sem: float | None = None,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    name: str = "score",
    reliability_source: str = "",
) -> ReliableChange:
    """Jacobson-Truax (1991) Reliable Change Index.

    ``RCI = (x2 - x1) / S_diff`` with ``S_diff = sqrt(2 * SEM^2)`` and
    ``SEM = s1 * sqrt(1 - r_xx)``. Change is reliable when ``|RCI| > z`` (1.96 at
    alpha = 0.05), and the category follows the scale's direction.

    Parameters
    ----------
    baseline, follow_up
        Scores of the same respondents at the two waves.
    reliability
        The scale's published reliability ``r_xx`` (see
        :func:`evalkit.surveys.published_reliability`).
    sd
        Baseline standard deviation ``s1``; default the SD of the baseline scores given.
    sem
        Standard error of measurement, instead of ``reliability`` and ``sd``
        (e.g. taken from a test manual).
    higher_is_better
        False for difficulty scores (SDQ), where a fall is an improvement.
    """
    b = np.asarray(baseline, dtype=float)
    f = np.asarray(follow_up, dtype=float)
    if b.shape != f.shape:
        raise ValueError("baseline and follow_up must have the same length")
    if sem is None:
        if reliability is None:
            raise ValueError("give reliability= (the scale's published reliability) or sem=")
        if not 0 <= reliability < 1:
            raise ValueError(f"reliability {reliability} must be in [0, 1)")
        if sd is None:
            sd = float(np.nanstd(b, ddof=1))
        sem = float(sd * np.sqrt(1 - reliability))
    s_diff = float(np.sqrt(2 * sem**2))
    z = float(stats.norm.ppf(1 - alpha / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        rci = (f - b) / s_diff
    good = rci if higher_is_better else -rci
    labels = np.where(np.isnan(rci), None,
                      np.where(good > z, RCI_CATEGORIES[0], np.where(good < -z, RCI_CATEGORIES[2], RCI_CATEGORIES[1])))
    cat = pd.Categorical(labels, categories=list(RCI_CATEGORIES), ordered=True)
    return ReliableChange(name=name, reliability=reliability, sd=sd, sem=sem, s_diff=s_diff, z=z,
                          criterion=z * s_diff, higher_is_better=higher_is_better, rci=rci, category=cat,
                          reliability_source=reliability_source)
