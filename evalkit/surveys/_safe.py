"""Small-number suppression for every table that leaves :mod:`evalkit.surveys`.

Counts from 1 to ``threshold - 1`` become ``"c"`` (:func:`evalkit.disclosure.suppress`,
with secondary suppression against row totals). Anything a reader could turn
back into a suppressed count is hidden with it: the share of a suppressed
count, and every statistic (mean, median, interval) of a group smaller than
the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from evalkit import disclosure


def safe_table(
    df: pd.DataFrame,
    *,
    counts: Sequence[str] = (),
    totals: Sequence[str] = (),
    linked: Mapping[str, Sequence[str]] | None = None,
    n_column: str | None = None,
    statistics: Sequence[str] = (),
    threshold: int | None = None,
) -> pd.DataFrame:
    """Return ``df`` with small counts and what they reveal replaced by the marker.

    Parameters
    ----------
    df
        Aggregate table.
    counts
        Count columns to suppress when 1 to ``threshold - 1``.
    totals
        Count columns that are row totals of the other counts (secondary suppression).
    linked
        ``{count column: [columns derived from it]}``: hidden when the count is.
    n_column
        Group size; when small, every column in ``statistics`` is hidden.
    statistics
        Columns summarising the group (means, medians, intervals, shares).
    threshold
        Smallest count shown (default :data:`evalkit.disclosure.DEFAULT_THRESHOLD`).
    """
    thr = disclosure.DEFAULT_THRESHOLD if threshold is None else int(threshold)
    disclosure.assert_aggregate(df)
    out = disclosure.suppress(df, list(counts), threshold=thr, totals=list(totals)) if counts else df.copy()
    marker = disclosure.MARKER
    for c, derived in (linked or {}).items():
        if c not in out:
            continue
        hidden = out[c].astype(str) == marker
        for d in derived:
            if d in out:
                col = out[d].astype(object)
                col[hidden.to_numpy()] = marker
                out[d] = col
    if n_column and n_column in df:
        # judge group size on the unsuppressed counts, hide the statistics in the output
        hidden = disclosure.suppress_statistics(df[[n_column]].join(out[[c for c in statistics if c in out]]),
                                                n_column, statistics, threshold=thr)
        for c in statistics:
            if c in out:
                out[c] = hidden[c]
    return out


def secondary_within(
    df: pd.DataFrame,
    group: str,
    count: str,
    *,
    linked: Sequence[str] = (),
) -> pd.DataFrame:
    """Secondary suppression down a column within groups whose counts add to a shown total.

    Where exactly one count of a group (e.g. the levels of one covariate, or the
    bands of one score) is suppressed, the next smallest shown count of that
    group is suppressed too, with its ``linked`` columns, so the hidden count
    cannot be recovered by subtracting the others from the total.
    """
    marker = disclosure.MARKER
    out = df.copy()
    for _, idx in out.groupby(group, sort=False).groups.items():
        vals = out.loc[idx, count]
        hidden = vals.astype(str) == marker
        if hidden.sum() != 1:
            continue
        shown = pd.to_numeric(vals[~hidden], errors="coerce").dropna()
        if shown.empty:
            continue
        j = shown.idxmin()
        for c in [count, *linked]:
            if c in out:
                col = out[c].astype(object)
                col.loc[j] = marker
                out[c] = col
    return out
