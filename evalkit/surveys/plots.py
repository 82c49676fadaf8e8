"""Survey plots (matplotlib/seaborn): diverging bars, paired-change slope chart, balance of completers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from evalkit import viz


def diverging_bars(
    categories: pd.DataFrame,
    levels: Sequence[int],
    labels: Mapping[int, str],
    groups: Sequence[str],
    *,
    ax=None,
    title: str | None = None,
):
    """Diverging stacked bars of category shares, centred on the neutral category.

    Categories below the middle extend left of zero, those above extend right,
    and the middle category (odd number of levels) is split across zero.
    Each bar is labelled with its group and item and its n.
    """
    levels = list(levels)
    k = len(levels)
    colours = sns.color_palette("RdBu", k)
    df = categories.reset_index(drop=True)
    bar_labels = [" | ".join(viz.label(str(df.at[i, g]), units=False) for g in groups) + f"  (n={df.at[i, 'n']})"
                  for i in df.index]
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.45 * len(df) + 1.6))
    mid = (k - 1) / 2
    y = np.arange(len(df))[::-1]
    for i in df.index:
        shares = np.array([df.at[i, f"pct_{v}"] for v in levels], dtype=float)
        neutral = shares[int(mid)] if k % 2 else 0.0
        left_start = -(shares[: k // 2].sum() + neutral / 2)
        pos = left_start
        for j, v in enumerate(levels):
            ax.barh(y[i], shares[j], left=pos, color=colours[j], edgecolor="white", linewidth=0.5,
                    label=labels.get(v, str(v)) if i == 0 else None)
            pos += shares[j]
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(bar_labels)
    lim = max(100, 5)
    ax.set_xlim(-lim, lim)
    ax.set_xticks(np.arange(-100, 101, 25))
    ax.set_xticklabels([f"{abs(t)}%" for t in np.arange(-100, 101, 25)])
    ax.set_xlabel("share of answers (left of 0: below the middle category; right: above)")
    viz.legend_outside(ax, where="below", ncol=k)
    ax.set_title(title or "Share of answers, centred on the neutral category")
    return ax


def slope_chart(
    baseline: Sequence[float],
    follow_up: Sequence[float],
    *,
    ax=None,
    title: str | None = None,
    ylabel: str = "score",
    higher_is_better: bool = True,
    jitter: float = 0.0,
    seed: int = 0,
    min_group: int = 1,
):
    """Paired change from baseline to follow-up, with the means in bold.

    Lines are coloured by direction (improved / same / worse). With many tied
    scores a small horizontal ``jitter`` helps. No identifiers are drawn.

    With ``min_group`` > 1 (use 5 for an LA's real data) no individual is
    drawn: respondents are sorted by baseline score and cut into consecutive
    groups of at least ``min_group``, and each line joins a group's mean
    baseline to its mean follow-up, so every line is an aggregate of at
    least ``min_group`` people (the package's small-number rule).
    """
    b = np.asarray(baseline, dtype=float)
    f = np.asarray(follow_up, dtype=float)
    ok = ~np.isnan(b) & ~np.isnan(f)
    b, f = b[ok], f[ok]
    if min_group > 1:
        order = np.argsort(b, kind="stable")
        n_groups = len(b) // min_group
        groups = np.array_split(order, n_groups) if n_groups else []
        b_all, f_all = b, f
        b = np.array([b_all[g].mean() for g in groups])
        f = np.array([f_all[g].mean() for g in groups])
        jitter = 0.0
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    rng = np.random.default_rng(seed)
    good = (f - b) * (1 if higher_is_better else -1)
    pal = sns.color_palette("colorblind")
    for bi, fi, gi in zip(b, f, good, strict=True):
        c = pal[2] if gi > 0 else pal[3] if gi < 0 else "0.6"
        dx = rng.uniform(-jitter, jitter, 2) if jitter else (0, 0)
        ax.plot([0 + dx[0], 1 + dx[1]], [bi, fi], color=c, alpha=0.45, linewidth=1)
    if min_group > 1:
        if len(b_all):
            ax.plot([0, 1], [b_all.mean(), f_all.mean()], color="black", linewidth=3, marker="o", label="mean")
        title = (title or f"Paired change (n = {len(b_all)})") + (
            f"\nlines: means of groups of >= {min_group} respondents by baseline score"
        )
    elif len(b):
        ax.plot([0, 1], [b.mean(), f.mean()], color="black", linewidth=3, marker="o", label="mean")
    ax.set_xticks([0, 1])
    ax.set_xticklabels(["baseline", "follow-up"])
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylabel(ylabel)
    viz.legend_outside(ax, where="right")
    ax.set_title(title or f"Paired change (n = {len(b)}); green = better, orange = worse")
    return ax


def balance_plot(asmd: pd.DataFrame, *, ax=None, title: str | None = None, threshold: float = 0.1):
    """Love plot: absolute standardised differences per covariate, one marker per column of ``asmd``.

    ``asmd`` has covariates as index and columns such as ``completers vs lost``,
    ``completers vs baseline (unweighted)``, ``weighted completers vs baseline``.
    """
    df = asmd.copy()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.4 * len(df) + 1.5))
    y = np.arange(len(df))[::-1]
    markers = ["o", "s", "D", "^"]
    pal = sns.color_palette("colorblind")
    for j, c in enumerate(df.columns):
        ax.scatter(df[c].to_numpy(dtype=float), y, marker=markers[j % 4], color=pal[j], label=c, zorder=3)
    ax.axvline(threshold, color="0.4", linestyle="--", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(viz.labels_of(df.index))
    ax.set_xlabel("absolute standardised mean difference (SMD)")
    ax.set_xlim(left=0)
    viz.legend_outside(ax, where="below", ncol=min(3, len(df.columns)))
    ax.set_title(title or "Baseline balance: completers against those lost")
    return ax
