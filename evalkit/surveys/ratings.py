"""Rating and Likert items: counts, shares with small-sample intervals, medians, bootstrap means.

Input is long: one row per answer, with the item, the value and any grouping
columns (respondent group, case study, wave). :func:`to_long` turns a wide
table (one column per item) into that shape.

Intervals hold at small n: shares use the Wilson score interval (or the exact
Clopper-Pearson interval, ``method="exact"``) from statsmodels; means use a
percentile bootstrap from scipy. Tables returned by :class:`LikertSummary`
pass small-number suppression (:mod:`evalkit.surveys._safe`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from evalkit.errors import shown as _value
from evalkit.schemas import InputError, Problem
from evalkit.surveys._safe import safe_table

#: Labels of a five-point agreement scale (used when none are given).
AGREE5 = {1: "strongly disagree", 2: "disagree", 3: "neither", 4: "agree", 5: "strongly agree"}
#: The seed 000 service-user rating scale: only the end points are labelled in the report.
RATING5 = {1: "1 very poor", 2: "2", 3: "3", 4: "4", 5: "5 very good"}

_CI_METHODS = {"wilson": "wilson", "exact": "beta"}


def to_long(
    df: pd.DataFrame,
    items: Sequence[str],
    *,
    keep: Sequence[str] = (),
    item: str = "item",
    value: str = "value",
) -> pd.DataFrame:
    """Reshape a wide table (one column per item) to one row per answered item."""
    missing = [c for c in [*items, *keep] if c not in df.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the table")
    long = df.melt(id_vars=list(keep), value_vars=list(items), var_name=item, value_name=value)
    return long[long[value].notna()].reset_index(drop=True)


def _check_values(df: pd.DataFrame, item: str, value: str, levels: Sequence[int], id_column: str | None) -> pd.Series:
    num = pd.to_numeric(df[value], errors="coerce")
    bad = num.isna() | ~num.isin(list(levels))
    if bad.any():
        problems = []
        for i in df.index[bad][:20]:
            who = f"respondent {_value(df.at[i, id_column])}, " if id_column and id_column in df else ""
            problems.append(
                Problem("<ratings>", "out-of-range",
                        f"{who}item {_value(df.at[i, item])}: {_value(df.at[i, value])} is not one of the scale "
                        f"values {list(levels)}; it is not clipped - correct the entry",
                        row=int(i) + 2 if isinstance(i, (int, np.integer)) else None, column=value))
        raise InputError(problems)
    return num.astype(int)


def bootstrap_mean_ci(x: Sequence[float], *, alpha: float = 0.05, n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval for a mean (scipy.stats.bootstrap); a constant sample gives a point."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return (np.nan, np.nan)
    if len(x) == 1 or np.all(x == x[0]):
        return (float(x[0]), float(x[0])) if len(x) > 1 else (np.nan, np.nan)
    res = stats.bootstrap((x,), np.mean, confidence_level=1 - alpha, n_resamples=n_boot,
                          method="percentile", random_state=np.random.default_rng(seed))
    return (float(res.confidence_interval.low), float(res.confidence_interval.high))


def proportion_ci(count: int, n: int, *, alpha: float = 0.05, method: str = "wilson") -> tuple[float, float]:
    """Wilson (default) or exact Clopper-Pearson interval for ``count / n`` (statsmodels)."""
    if method not in _CI_METHODS:
        raise ValueError(f"method {method!r}: choose 'wilson' or 'exact'")
    if n == 0:
        return (np.nan, np.nan)
    lo, hi = proportion_confint(count, n, alpha=alpha, method=_CI_METHODS[method])
    return (float(lo), float(hi))


@dataclass
class LikertSummary:
    """Counts, shares and statistics of rating items by group.

    ``categories()`` and ``statistics()`` return suppressed tables (safe to save
    and show). ``plot()`` draws diverging stacked bars centred on the neutral
    category. The unsuppressed frames are kept for plotting only.
    """

    levels: list[int]
    labels: dict[int, str]
    groups: list[str]
    positive_from: int
    method: str
    alpha: float
    _categories: pd.DataFrame = field(repr=False)
    _statistics: pd.DataFrame = field(repr=False)

    def _count_cols(self) -> list[str]:
        return [f"n_{v}" for v in self.levels]

    def categories(self) -> pd.DataFrame:
        """Counts and percentages per category, one row per group and item (suppressed)."""
        counts = self._count_cols()
        linked = {f"n_{v}": [f"pct_{v}"] for v in self.levels}
        df = self._categories.copy()
        for v in self.levels:
            df[f"pct_{v}"] = df[f"pct_{v}"].round(1)
        return safe_table(df, counts=[*counts, "n"], totals=["n"], linked=linked)

    def statistics(self) -> pd.DataFrame:
        """n, median, mean with bootstrap interval, and share positive with its interval (suppressed)."""
        df = self._statistics.copy()
        for c in ["mean", "mean_low", "mean_high"]:
            df[c] = df[c].round(2)
        for c in ["pct_positive", "pct_positive_low", "pct_positive_high"]:
            df[c] = df[c].round(1)
        stat_cols = ["median", "mean", "mean_low", "mean_high", "pct_positive", "pct_positive_low",
                     "pct_positive_high", "n_positive"]
        return safe_table(df, counts=["n", "n_positive"], n_column="n", statistics=stat_cols,
                          linked={"n_positive": ["pct_positive", "pct_positive_low", "pct_positive_high"]})

    def to_text(self) -> str:
        """Fixed-width text of :meth:`statistics` for output-checked notebook cells."""
        df = self.statistics().astype(str)
        return df.to_string(index=False)

    def plot(self, ax=None, title: str | None = None):
        """Diverging stacked bars centred on the neutral category; returns the matplotlib Axes."""
        from evalkit.surveys.plots import diverging_bars

        return diverging_bars(self._categories, self.levels, self.labels, self.groups, ax=ax, title=title)


def likert_summary(
    long: pd.DataFrame,
    *,
    item: str = "item",
    value: str = "value",
    by: Sequence[str] = (),
    levels: Sequence[int] = (1, 2, 3, 4, 5),
    labels: Mapping[int, str] | None = None,
    positive_from: int | None = None,
    method: str = "wilson",
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
    id_column: str | None = None,
) -> LikertSummary:
    """Summarise rating items by group.

    Parameters
    ----------
    long
        One row per answer (see :func:`to_long`).
    item, value
        Columns holding the item name and the answer.
    by
        Grouping columns (e.g. ``["respondent_group"]`` or ``["wave"]``).
    levels
        The scale's values, lowest first. A value outside them is an error, not clipped.
    labels
        Label of each level (for plots); default :data:`AGREE5` for five levels.
    positive_from
        Lowest level counted as positive ("agree", "good"); default the level above the middle.
    method
        ``"wilson"`` or ``"exact"`` (Clopper-Pearson) interval for shares.
    alpha
        1 - confidence level.
    n_boot, seed
        Bootstrap resamples and seed for the interval of the mean.
    id_column
        Respondent id column, used only to name respondents in errors.
    """
    levels = [int(v) for v in levels]
    if labels is None:
        labels = AGREE5 if levels == [1, 2, 3, 4, 5] else {v: str(v) for v in levels}
    if positive_from is None:
        positive_from = levels[len(levels) // 2 + 1] if len(levels) % 2 else levels[len(levels) // 2]
    for c in [item, value, *by]:
        if c not in long.columns:
            raise ValueError(f"column {c!r} is not in the ratings table (columns: {list(long.columns)})")
    df = long.copy()
    df[value] = _check_values(df, item, value, levels, id_column)
    keys = [*by, item]
    cat_rows, stat_rows = [], []
    for key, grp in df.groupby(keys, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        x = grp[value].to_numpy()
        n = len(x)
        row = dict(zip(keys, key, strict=True))
        row["n"] = n
        for v in levels:
            row[f"n_{v}"] = int((x == v).sum())
        for v in levels:
            row[f"pct_{v}"] = 100 * row[f"n_{v}"] / n
        cat_rows.append(row)
        pos = int((x >= positive_from).sum())
        lo, hi = proportion_ci(pos, n, alpha=alpha, method=method)
        mlo, mhi = bootstrap_mean_ci(x, alpha=alpha, n_boot=n_boot, seed=seed)
        stat_rows.append({**dict(zip(keys, key, strict=True)), "n": n, "median": float(np.median(x)),
                          "mean": float(x.mean()), "mean_low": mlo, "mean_high": mhi,
                          "n_positive": pos, "pct_positive": 100 * pos / n,
                          "pct_positive_low": 100 * lo, "pct_positive_high": 100 * hi})
    return LikertSummary(levels=levels, labels=dict(labels), groups=list(keys), positive_from=positive_from,
                         method=method, alpha=alpha, _categories=pd.DataFrame(cat_rows),
                         _statistics=pd.DataFrame(stat_rows))
