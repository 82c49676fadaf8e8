"""Matched comparison: nearest-neighbour matching with balance, effects and sensitivity.

One entry point, :func:`match`, in the spirit of R's MatchIt (matching) and
cobalt (balance)::

    from evalkit import matching
    res = matching.match(df, "received_service", ["age", "prior_cin_plans", "edge_of_care"],
                         outcome="entered_care", caliper=0.2)
    print(res.summary())
    res.love_plot()

What it does
------------
Propensity score
    Logistic regression of the treatment on the covariates
    (:class:`sklearn.linear_model.LogisticRegression`, unpenalised, on
    standardised covariates; categorical covariates become 0/1 indicators).
    ``distance="logit"`` matches on the logit of the score (the linear
    predictor), ``distance="propensity"`` on the score itself, and
    ``distance="mahalanobis"`` on the Mahalanobis distance between covariates
    (pooled within-group covariance, as Rubin 1980), using the propensity
    score only for the caliper (Rosenbaum and Rubin 1985).
Neighbour search
    :class:`sklearn.neighbors.KDTree` on the matching space (the logit, the
    score, or the whitened covariates, in which Euclidean distance is the
    Mahalanobis distance). Each focal unit's ``k`` nearest candidates come
    from one batched query; matching *without replacement* is then a greedy
    pass in MatchIt's order (hardest-to-match first: largest propensity score
    for the ATT), taking each unit's nearest still-unused candidate and
    re-querying, with a larger ``k``, only the few units whose candidates
    were all taken. Cost: one tree build (n log n) plus one query per unit.
Ties
    Covariates with few distinct values give many units the same score.
    Scores, whitened coordinates and distances are rounded to 1e-9
    (:data:`QUANTUM`) before they are ordered or compared, so that values
    equal in exact arithmetic are equal on every machine; remaining ties
    (the matching order and equidistant candidates) are broken by one
    seeded permutation (``seed``). The matched set is then the same on
    every CPU and BLAS kernel.
Caliper
    In standard deviations of the logit of the propensity score (of the score
    itself for ``distance="propensity"``), the SD pooled over the two groups,
    ``sqrt((var_t + var_c) / 2)``, as in Austin (2011), whose 0.2 rule this
    default follows. Focal units with no candidate inside the caliper are
    dropped, which changes the estimand to the effect on the *matched*
    treated; the summary says how many.
Exact matching
    ``exact=[...]``: units are matched only within strata of those columns.
Balance
    Standardised mean differences with one denominator before and after
    matching: the SD in the focal group (treated for the ATT) in the full
    sample, as cobalt does for the ATT, so a change in SMD is a change in the
    mean difference only. Variance ratios (treated / control, weighted after
    matching) for continuous covariates; for a 0/1 covariate the variance is
    fixed by the mean, so the ratio is not reported (as in cobalt).
Effect and its standard error
    The matching estimator (focal unit minus the mean of its matches) with the
    Abadie and Imbens (2006) variance for the population ATT, which accounts
    for controls used more than once::

        V = 1/N1^2 * [ sum_treated (d_i - tau)^2
                       + sum_controls (w_j^2 - sum_{i matched to j} 1/M_i^2) * s2_j ]

    where ``d_i`` is treated unit i's matched difference, ``M_i`` its number
    of matches, ``w_j`` the total weight of control j (sum of ``1/M_i``) and
    ``s2_j`` the conditional variance of control j's outcome, estimated by
    matching j to its 2 nearest controls (Abadie et al. 2004). With ``M`` fixed
    the control term is ``K_j (K_j - 1) / M^2``: it vanishes without
    replacement, where V reduces to the variance of the matched differences.
    Why not the bootstrap: the naive bootstrap is invalid for
    nearest-neighbour matching (Abadie and Imbens 2008). The variance treats
    the propensity score as known; Abadie and Imbens (2016) show the
    correction for estimating it can go either way for the ATT. The test
    suite checks the interval's coverage by simulation.
Regression adjustment (doubly robust)
    The bias-corrected matching estimator of Abadie and Imbens (2011): a
    linear regression of the outcome on the covariates, fitted on the matched
    controls (weighted), adjusts each matched difference for the covariate
    gap that matching left. It is consistent if either the matching removes
    the bias or the regression is right. Same variance formula.
Sensitivity to unobserved confounding
    E-values (VanderWeele and Ding 2017) for every design, and Rosenbaum
    bounds for the Wilcoxon signed-rank test for 1:1 matching without
    replacement; :meth:`MatchResult.sensitivity` explains both in plain words,
    and :func:`sensitivity_table` withholds what would disclose a small count.
Choosing a design
    :func:`compare_designs` runs several designs without outcomes and picks
    the best balanced (the design stage of Rubin 2001; Stuart 2010).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = [
    "MatchingError",
    "NoMatchError",
    "MatchResult",
    "SensitivityResult",
    "match",
    "compare_designs",
    "DesignComparison",
    "balance_table",
    "e_value",
    "rosenbaum_bounds",
    "sensitivity_table",
    "DISTANCES",
]

#: Distance measures accepted by :func:`match`.
DISTANCES = ("logit", "propensity", "mahalanobis")
#: Same-group neighbours used to estimate each unit's conditional variance (Abadie et al. 2004).
VARIANCE_NEIGHBOURS = 2
#: One-sided level of the Rosenbaum bound: 2.5%, matching the two-sided 95% intervals.
ROSENBAUM_ALPHA = 0.025
#: Threshold of |SMD| taken as good balance.
SMD_THRESHOLD = 0.1
SE_METHOD = (
    "Abadie-Imbens (2006) variance for matching estimators (accounts for controls reused; "
    "propensity score treated as known)"
)


#: Step to which scores, coordinates and distances are rounded before they are ordered or
#: compared. Values equal in exact arithmetic can differ in the last bits between machines
#: (OpenBLAS picks its kernels per CPU); rounding to 1e-9 makes such ties a property of the data,
#: so the matched set does not depend on the CPU. Real differences of the logit below 1e-9 are
#: far below anything a propensity model can resolve.
QUANTUM = 1e-9


def _quantise(a: np.ndarray, step: float = QUANTUM) -> np.ndarray:
    """``a`` rounded to a multiple of ``step`` (ties of exact arithmetic become exact ties).

    Examples
    --------
    >>> _quantise(np.array([0.1 + 0.2, 0.3]))[0] == _quantise(np.array([0.3]))[0]
    True
    """
    return np.round(np.asarray(a, dtype=float) / step) * step


def _ordered_query(tree: Any, Z: np.ndarray, k: int, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of the tree for every row of ``Z``, in a defined order.

    Distances are quantised (:data:`QUANTUM`); among candidates at the same
    quantised distance the one with the smaller ``rank`` (a seeded permutation
    of the tree's rows) comes first. Candidates tied with the ``k``-th are all
    fetched before the order is fixed, so which of several equidistant rows is
    returned never depends on the tree's internal traversal.
    """
    n_o = len(rank)
    k = min(k, n_o)
    n = len(Z)
    if n == 0 or k == 0:
        return np.zeros((n, 0)), np.zeros((n, 0), dtype=int)
    dist = np.empty((n, k))
    ind = np.empty((n, k), dtype=int)
    todo = np.arange(n)
    kk = min(n_o, k + 1)
    while len(todo):
        d, i = tree.query(Z[todo], k=kk)
        d = _quantise(d)
        # ties with the k-th candidate may extend beyond the kk fetched: fetch more for those rows
        open_ = (d[:, kk - 1] == d[:, k - 1]) & (kk < n_o)
        done = ~open_
        if done.any():
            dd, ii = d[done], i[done]
            order = np.lexsort((rank[ii], dd), axis=1)[:, :k]
            rows = todo[done]
            dist[rows] = np.take_along_axis(dd, order, axis=1)
            ind[rows] = np.take_along_axis(ii, order, axis=1)
        todo = todo[open_]
        kk = min(n_o, 2 * kk)
    return dist, ind


class MatchingError(ValueError):
    """Bad input to :func:`match`, or a matching that leaves nothing to compare."""


class NoMatchError(MatchingError):
    """No focal unit found a match (caliper too narrow, or no overlap within exact strata)."""


# --------------------------------------------------------------------------- validation


def _rows(mask: np.ndarray, index: pd.Index, limit: int = 5) -> str:
    pos = np.flatnonzero(mask)
    shown = ", ".join(repr(index[p]) for p in pos[:limit])
    more = f" and {len(pos) - limit} more" if len(pos) > limit else ""
    return f"{len(pos)} row(s) (index {shown}{more})"


def _as_list(x: str | Sequence[str] | None, arg: str) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    try:
        out = list(x)
    except TypeError:
        raise MatchingError(f"{arg}: expected a column name or a list of column names, got {x!r}") from None
    for c in out:
        if not isinstance(c, str):
            raise MatchingError(f"{arg}: column names must be text, got {c!r}")
    return out


def _check_columns(data: pd.DataFrame, cols: list[str], arg: str) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise MatchingError(
            f"{arg}: column(s) {missing} not in the data; available columns: {list(data.columns)}"
        )


def _treatment_vector(data: pd.DataFrame, treatment: str) -> np.ndarray:
    col = data[treatment]
    na = col.isna().to_numpy()
    if na.any():
        raise MatchingError(
            f"treatment: column {treatment!r} is missing in {_rows(na, data.index)}; "
            "every unit must be coded 0 (did not receive the service) or 1 (received it)"
        )
    if col.dtype == bool:
        return col.to_numpy().astype(np.int8)
    num = pd.to_numeric(col, errors="coerce")
    bad = (num.isna() | ~num.isin([0, 1])).to_numpy()
    if bad.any():
        vals = sorted({str(v) for v in col[bad].unique()[:5]})
        raise MatchingError(
            f"treatment: column {treatment!r} must be 0 or 1 (or True/False); "
            f"{_rows(bad, data.index)} hold other values ({', '.join(vals)})"
        )
    return num.to_numpy().astype(np.int8)


def _design(data: pd.DataFrame, covariates: list[str]) -> tuple[np.ndarray, list[str], list[bool]]:
    """Numeric design matrix: numbers as they are, categories as 0/1 indicators (first level dropped)."""
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for c in covariates:
        col = data[c]
        na = col.isna().to_numpy()
        if na.any():
            raise MatchingError(
                f"covariates: column {c!r} is missing in {_rows(na, data.index)}; matching needs "
                "complete covariates (impute, or drop those rows explicitly, before matching)"
            )
        if col.dtype == bool:
            blocks.append(col.to_numpy().astype(float)[:, None])
            names.append(c)
        elif pd.api.types.is_numeric_dtype(col):
            v = col.to_numpy().astype(float)
            if not np.isfinite(v).all():
                raise MatchingError(
                    f"covariates: column {c!r} holds infinite values in "
                    f"{_rows(~np.isfinite(v), data.index)}"
                )
            blocks.append(v[:, None])
            names.append(c)
        else:
            levels = sorted(col.astype(str).unique())
            if len(levels) > 50:
                raise MatchingError(
                    f"covariates: column {c!r} is text with {len(levels)} distinct values; "
                    "a categorical covariate should have few levels (is it an identifier?)"
                )
            s = col.astype(str).to_numpy()
            for lev in levels[1:]:
                blocks.append((s == lev).astype(float)[:, None])
                names.append(f"{c}[{lev}]")
    X = np.hstack(blocks) if blocks else np.empty((len(data), 0))
    sd = X.std(axis=0)
    const = [n for n, s in zip(names, sd, strict=True) if s == 0]
    if const:
        raise MatchingError(
            f"covariates: {const} take a single value in the whole data; they carry no "
            "information for matching - drop them"
        )
    binary = [bool(np.isin(X[:, k], [0.0, 1.0]).all()) for k in range(X.shape[1])]
    return X, names, binary


def _outcome_vector(data: pd.DataFrame, outcome: str) -> np.ndarray:
    col = data[outcome]
    if col.dtype == bool:
        col = col.astype(int)
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna().to_numpy()
    if bad.any():
        raise MatchingError(
            f"outcome: column {outcome!r} is missing or not a number in {_rows(bad, data.index)}"
        )
    v = num.to_numpy().astype(float)
    if not np.isfinite(v).all():
        raise MatchingError(f"outcome: column {outcome!r} holds infinite values")
    return v


# --------------------------------------------------------------------------- propensity score


@dataclass
class PropensityModel:
    """The fitted propensity-score model (logistic regression, scikit-learn)."""

    coef: pd.Series
    intercept: float
    converged: bool
    n_iter: int

    def to_text(self) -> str:
        lines = ["Propensity model: logistic regression (unpenalised), coefficients per SD of covariate"]
        lines.append(f"  {'(intercept)':<28}{self.intercept:>9.3f}")
        for k, v in self.coef.items():
            lines.append(f"  {str(k)[:28]:<28}{v:>9.3f}")
        return "\n".join(lines)


def _propensity(X: np.ndarray, t: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray, PropensityModel]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    Z = (X - mu) / sd
    model = LogisticRegression(penalty=None, solver="lbfgs", max_iter=2000, tol=1e-8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(Z, t)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    lp = _quantise(model.decision_function(Z).astype(float))
    ps = _quantise(1.0 / (1.0 + np.exp(-lp)))
    if not converged or np.abs(lp).max() > 30:
        warnings.warn(
            "propensity model: the logistic regression did not converge or predicts scores of "
            "almost exactly 0 or 1 (separation). Some covariate nearly determines who received "
            "the service; overlap is poor and matching on it will discard many units.",
            stacklevel=3,
        )
    pm = PropensityModel(
        coef=pd.Series(model.coef_[0], index=names, name="coef"),
        intercept=float(model.intercept_[0]),
        converged=converged,
        n_iter=int(np.max(model.n_iter_)),
    )
    return ps, lp, pm


def _whiten(X: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Coordinates in which Euclidean distance is the Mahalanobis distance (pooled within-group covariance).

    The whitening is unique, so the coordinates do not depend on the LAPACK
    kernel: the inverse Cholesky factor when the covariance is positive
    definite; otherwise (a covariate with no within-group variation) the
    eigenvectors of the non-null directions with their signs fixed (largest
    component positive), the generalised inverse. Coordinates are quantised
    (:data:`QUANTUM`).
    """
    groups = [X[t == g] for g in (0, 1)]
    n = len(X)
    S = sum((len(g) - 1) * np.cov(g, rowvar=False).reshape(X.shape[1], X.shape[1]) for g in groups if len(g) > 1)
    S = np.asarray(S, dtype=float) / max(n - 2, 1)
    Xc = X - X.mean(axis=0)
    vals, vecs = np.linalg.eigh(S)
    keep = vals > vals.max() * 1e-10
    if keep.all():
        L = np.linalg.cholesky(S)
        return _quantise(np.linalg.solve(L, Xc.T).T)
    vecs = vecs[:, keep]
    sign = np.sign(vecs[np.abs(vecs).argmax(axis=0), np.arange(vecs.shape[1])])
    return _quantise(Xc @ (vecs * sign / np.sqrt(vals[keep])))


# --------------------------------------------------------------------------- nearest neighbours


def _nn_match(
    Zf: np.ndarray,
    Zo: np.ndarray,
    order: np.ndarray,
    ratio: int,
    replace: bool,
    cal_same: float | None,
    cal_ps: tuple[np.ndarray, np.ndarray, float] | None,
    rank: np.ndarray | None = None,
) -> list[list[tuple[int, float]]]:
    """Match each focal row of ``Zf`` to up to ``ratio`` rows of ``Zo``.

    Returns, per focal row, a list of (other row, distance) in the order matched.
    Equidistant candidates are taken in the order of ``rank`` (a seeded
    permutation of the rows of ``Zo``; data order when ``None``).
    ``cal_same`` is a caliper on the matching distance itself; ``cal_ps`` =
    (focal score, other score, width) a caliper on a separate score.
    """
    from sklearn.neighbors import KDTree

    n_f, n_o = len(Zf), len(Zo)
    out: list[list[tuple[int, float]]] = [[] for _ in range(n_f)]
    if n_f == 0 or n_o == 0:
        return out
    tree = KDTree(Zo, leaf_size=40)
    if rank is None:
        rank = np.arange(n_o)
    if replace and cal_ps is None:
        k = min(ratio, n_o)
        dist, ind = _ordered_query(tree, Zf, k, rank)
        for i in range(n_f):
            for d, j in zip(dist[i], ind[i], strict=True):
                if cal_same is None or d <= cal_same:
                    out[i].append((int(j), float(d)))
        return out

    k0 = min(n_o, max(4 * ratio, 16))
    dist, ind = _ordered_query(tree, Zf, k0, rank)
    cand_d: list[list[float]] = dist.tolist()
    cand_i: list[list[int]] = ind.tolist()
    del dist, ind
    ptr = [0] * n_f
    done = [False] * n_f
    used = np.zeros(n_o, dtype=bool)
    if cal_ps is not None:
        sf, so, width = cal_ps
    for _round in range(ratio):
        for i in order.tolist():
            if done[i]:
                continue
            ci, cd, p = cand_i[i], cand_d[i], ptr[i]
            mine = {j for j, _ in out[i]}
            while True:
                if p >= len(ci):
                    if len(ci) >= n_o:
                        done[i] = True
                        break
                    # All candidates examined: re-query this unit only, with a larger k.
                    k = min(n_o, 8 * len(ci))
                    dd, ii = _ordered_query(tree, Zf[i : i + 1], k, rank)
                    ci = cand_i[i] = ii[0].tolist()
                    cd = cand_d[i] = dd[0].tolist()
                    p = 0
                    continue
                d, j = cd[p], ci[p]
                if cal_same is not None and d > cal_same:
                    done[i] = True
                    break
                p += 1
                if (not replace and used[j]) or j in mine:
                    continue
                if cal_ps is not None and _quantise(abs(sf[i] - so[j])) > width:
                    continue
                if not replace:
                    used[j] = True
                out[i].append((j, d))
                break
            ptr[i] = p
    return out


# --------------------------------------------------------------------------- balance


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * x) / np.sum(w))


def _wvar(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted variance with reliability weights: sum w (x-m)^2 / (sum w - sum w^2 / sum w).

    Equals the usual (n - 1) variance when all weights are equal.
    """
    sw = np.sum(w)
    denom = sw - np.sum(w**2) / sw
    if denom <= 0:
        return float("nan")
    m = np.sum(w * x) / sw
    return float(np.sum(w * (x - m) ** 2) / denom)


def balance_table(
    X: np.ndarray | pd.DataFrame,
    treated: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    names: Sequence[str] | None = None,
    estimand: str = "ATT",
    binary: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """Balance of covariates before and after matching (or weighting).

    Parameters
    ----------
    X
        Covariates, one column each (numeric).
    treated
        0/1 per row.
    weights
        Matching weights per row (0 = not matched). ``None``: before only.
    names
        Covariate names (default: the DataFrame's columns or ``x0, x1, ...``).
    estimand
        ``"ATT"``: the SMD denominator is the treated group's SD in the full
        sample; ``"ATC"``: the control group's. If that SD is 0, the pooled SD
        ``sqrt((var_t + var_c) / 2)`` is used.
    binary
        Which columns are 0/1 (their variance ratio is not reported). Default:
        detected.

    Returns
    -------
    pandas.DataFrame
        One row per covariate: ``mean_treated_before, mean_control_before,
        smd_before, var_ratio_before`` and, with weights, the same ``_after``.
        ``smd = (mean_treated - mean_control) / sd``; ``var_ratio = var_treated
        / var_control``.
    """
    if isinstance(X, pd.DataFrame):
        names = list(X.columns) if names is None else list(names)
        X = X.to_numpy(dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    names = [f"x{k}" for k in range(X.shape[1])] if names is None else list(names)
    t = np.asarray(treated).astype(bool)
    if binary is None:
        binary = [bool(np.isin(X[:, k], [0.0, 1.0]).all()) for k in range(X.shape[1])]
    rows = []
    for k, name in enumerate(names):
        x = X[:, k]
        xt, xc = x[t], x[~t]
        vt, vc = (np.var(xt, ddof=1) if len(xt) > 1 else np.nan), (np.var(xc, ddof=1) if len(xc) > 1 else np.nan)
        sd = math.sqrt(vt if estimand == "ATT" else vc) if np.isfinite(vt if estimand == "ATT" else vc) else 0.0
        if not sd > 0:
            pooled = (np.nan_to_num(vt) + np.nan_to_num(vc)) / 2
            sd = math.sqrt(pooled) if pooled > 0 else float("nan")
        row: dict[str, Any] = {
            "covariate": name,
            "mean_treated_before": float(xt.mean()),
            "mean_control_before": float(xc.mean()),
            "smd_before": float((xt.mean() - xc.mean()) / sd),
            "var_ratio_before": float("nan") if binary[k] or not vc > 0 else float(vt / vc),
        }
        if weights is not None:
            w = np.asarray(weights, dtype=float)
            wt, wc = w[t], w[~t]
            mt, mc = t & (w > 0), ~t & (w > 0)
            mean_t, mean_c = _wmean(xt[wt > 0], wt[wt > 0]), _wmean(xc[wc > 0], wc[wc > 0])
            vta, vca = _wvar(x[mt], w[mt]), _wvar(x[mc], w[mc])
            row.update(
                mean_treated_after=mean_t,
                mean_control_after=mean_c,
                smd_after=float((mean_t - mean_c) / sd),
                var_ratio_after=float("nan") if binary[k] or not vca > 0 else float(vta / vca),
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("covariate")


# --------------------------------------------------------------------------- sensitivity


def e_value(rr: float, lower: float | None = None, upper: float | None = None) -> dict[str, float]:
    """E-value for a risk ratio and its confidence interval (VanderWeele and Ding 2017).

    The E-value is the minimum strength of association, on the risk-ratio
    scale, that an unmeasured confounder would need with both the treatment
    and the outcome, above the measured covariates, to fully explain away the
    estimate: ``E = RR + sqrt(RR * (RR - 1))`` for ``RR >= 1`` (use ``1/RR``
    below 1). For the interval, the E-value of the limit nearer 1 (1 if the
    interval includes 1).

    Returns
    -------
    dict
        ``{"e_value": ..., "e_value_ci": ...}``.
    """

    def _e(r: float) -> float:
        if not np.isfinite(r) or r <= 0:
            return float("nan")
        r = 1.0 / r if r < 1 else r
        return float(r + math.sqrt(r * (r - 1.0)))

    out = {"e_value": _e(rr), "e_value_ci": float("nan")}
    if lower is not None and upper is not None and np.isfinite(lower) and np.isfinite(upper):
        if lower <= 1.0 <= upper:
            out["e_value_ci"] = 1.0
        else:
            out["e_value_ci"] = _e(lower if rr >= 1 else upper)
    return out


def rosenbaum_bounds(
    differences: np.ndarray, gammas: Sequence[float] = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0), alpha: float = 0.05
) -> tuple[pd.DataFrame, float]:
    """Rosenbaum bounds for the Wilcoxon signed-rank test on matched-pair differences.

    Parameters
    ----------
    differences
        Treated minus control outcome, one per matched pair, signed so that
        positive values point in the direction of the estimated effect.
    gammas
        Values of Gamma, the factor by which an unobserved confounder could
        multiply the odds of treatment between two units of a matched pair.
    alpha
        Level for the critical Gamma.

    Returns
    -------
    table : pandas.DataFrame
        ``gamma, p_upper``: the largest one-sided p-value (normal
        approximation, average ranks for ties, zero differences dropped) for
        the null of no effect, over all confounders of strength Gamma
        (Rosenbaum 2002, ch. 4).
    critical_gamma : float
        The Gamma at which the upper p-value reaches ``alpha`` (NaN if already
        above ``alpha`` at Gamma = 1).
    """
    d = np.asarray(differences, dtype=float)
    d = d[d != 0]
    if len(d) == 0:
        return pd.DataFrame({"gamma": list(gammas), "p_upper": [1.0] * len(gammas)}), float("nan")
    r = stats.rankdata(np.abs(d))
    T = float(r[d > 0].sum())
    s1, s2 = float(r.sum()), float((r**2).sum())

    def p_upper(g: float) -> float:
        p = g / (1.0 + g)
        mean, var = p * s1, p * (1 - p) * s2
        return float(stats.norm.sf((T - mean) / math.sqrt(var)))

    table = pd.DataFrame({"gamma": [float(g) for g in gammas], "p_upper": [p_upper(g) for g in gammas]})
    if p_upper(1.0) >= alpha:
        return table, float("nan")
    hi = 2.0
    while p_upper(hi) < alpha and hi < 1e6:
        hi *= 2
    crit = float(optimize.brentq(lambda g: p_upper(g) - alpha, 1.0, hi)) if hi < 1e6 else float("inf")
    return table, crit


@dataclass
class SensitivityResult:
    """How strong unmeasured confounding would have to be to explain the effect away."""

    outcome: str
    estimate: float
    scale: str
    rr: float
    rr_ci: tuple[float, float]
    e_value: float
    e_value_ci: float
    rosenbaum: pd.DataFrame | None
    critical_gamma: float | None
    rosenbaum_note: str

    def table(self) -> pd.DataFrame:
        """One row: the risk-ratio equivalent, the E-values and the critical Gamma."""
        return pd.DataFrame(
            [
                {
                    "outcome": self.outcome,
                    "risk_ratio_scale": self.scale,
                    "rr": self.rr,
                    "rr_ci_lower": self.rr_ci[0],
                    "rr_ci_upper": self.rr_ci[1],
                    "e_value": self.e_value,
                    "e_value_ci": self.e_value_ci,
                    "critical_gamma": self.critical_gamma if self.critical_gamma is not None else np.nan,
                }
            ]
        )

    def explain(self) -> str:
        """The sensitivity analysis in plain words."""
        lines = [f"Sensitivity to unmeasured confounding: {self.outcome}"]
        if not np.isfinite(self.e_value):
            lines.append("  The E-value could not be computed (the estimate is not defined on a ratio scale).")
        else:
            lines.append(
                f"  E-value {self.e_value:.2f} (for the confidence limit nearer no effect: "
                f"{self.e_value_ci:.2f})."
            )
            lines.append(
                "  In plain words: to explain away the whole estimated effect, an unmeasured factor "
                f"(say, family circumstances the records do not capture) would have to make a young "
                f"person {self.e_value:.2f} times as likely to receive the service AND "
                f"{self.e_value:.2f} times as likely to have this outcome, over and above everything "
                "matched on. Weaker confounding could not do it."
            )
            if self.e_value_ci <= 1.0:
                lines.append(
                    "  The confidence interval already includes no effect, so no unmeasured "
                    "confounding is needed to make the result compatible with no effect."
                )
            else:
                lines.append(
                    f"  To move the confidence interval to include no effect takes a factor of "
                    f"{self.e_value_ci:.2f} on both."
                )
            lines.append(f"  (Ratio used: {self.scale}; value {self.rr:.3f}.)")
        if self.rosenbaum is not None and self.critical_gamma is not None:
            if np.isfinite(self.critical_gamma):
                lines.append(
                    "  Rosenbaum bound: the signed-rank test on the matched pairs stays significant "
                    "(one-sided 2.5%, as for a two-sided 95% interval) until an "
                    f"unmeasured factor could make one member of a matched pair up to "
                    f"{self.critical_gamma:.2f} times as likely (in odds) to receive the service as "
                    "the other (Gamma). Gamma = 1 is a randomised pair; large Gamma means robust."
                )
            else:
                lines.append(
                    "  Rosenbaum bound: the signed-rank test on the matched pairs is not significant "
                    "(one-sided 2.5%) even with no hidden bias (Gamma = 1), so there is no "
                    "significance to explain away."
                )
        else:
            lines.append(f"  Rosenbaum bounds: {self.rosenbaum_note}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- results


@dataclass
class _Fit:
    """Internal state shared by the estimators."""

    data: pd.DataFrame
    t: np.ndarray  # 0/1 per row
    focal: np.ndarray  # bool: the group matched from (treated for the ATT)
    X: np.ndarray
    names: list[str]
    binary: list[bool]
    Z: np.ndarray  # matching space (rows of all units)
    strata: np.ndarray  # stratum code per row
    focal_rows: np.ndarray  # row positions of matched focal units (length N1)
    match_rows: list[np.ndarray]  # per matched focal unit: row positions of its matches
    sign: float  # +1 ATT, -1 ATC
    m_concat: np.ndarray = field(init=False)  # all matches, concatenated
    m_start: np.ndarray = field(init=False)  # offset of each focal unit's matches in m_concat
    m_len: np.ndarray = field(init=False)  # number of matches per focal unit

    def __post_init__(self) -> None:
        self.m_len = np.array([len(m) for m in self.match_rows], dtype=int)
        self.m_concat = np.concatenate(self.match_rows).astype(int)
        self.m_start = np.concatenate([[0], np.cumsum(self.m_len)[:-1]]).astype(int)

    def cf_mean(self, v: np.ndarray) -> np.ndarray:
        """Mean of ``v`` over each focal unit's matches."""
        return np.add.reduceat(v[self.m_concat], self.m_start) / self.m_len

    def match_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row: total weight ``sum 1/M_i`` and ``sum 1/M_i^2`` over the focal units it serves."""
        inv = np.repeat(1.0 / self.m_len, self.m_len)
        n = len(self.t)
        return (np.bincount(self.m_concat, weights=inv, minlength=n),
                np.bincount(self.m_concat, weights=inv**2, minlength=n))


@dataclass
class MatchResult:
    """Result of :func:`match`.

    Attributes
    ----------
    matched : pandas.DataFrame
        The matched sample: the original rows of every matched unit, plus
        ``weight`` (MatchIt's convention: 1 for treated under the ATT; controls
        get the sum of ``1/M`` over the treated they serve, rescaled to sum to
        the number of matched controls), ``propensity_score``, ``distance``
        (logit of the propensity score; the score itself for
        ``distance="propensity"``) and, without replacement, ``subclass`` (matched set).
    pairs : pandas.DataFrame
        One row per match: ``subclass``, ``focal`` and ``match`` (index labels
        of the data) and ``distance`` between them.
    balance : pandas.DataFrame
        One row per covariate: ``smd_before, smd_after, var_ratio_before,
        var_ratio_after`` and the group means (see :func:`balance_table`).
    att : dict or None
        For the first outcome: ``estimate, se, ci_lower, ci_upper, p_value``
        (matching estimator, Abadie-Imbens SE). ``None`` without an outcome.
        Named ``att`` whatever the estimand; ``estimand`` says which.
    att_dr : dict or None
        The same for the regression-adjusted (bias-corrected) estimator.
    effects : pandas.DataFrame
        Every outcome x estimator (naive difference, matching, regression-adjusted).
    counts : pandas.DataFrame
        Units by group: all, matched, unmatched.
    """

    settings: dict[str, Any]
    matched: pd.DataFrame
    pairs: pd.DataFrame
    balance: pd.DataFrame
    counts: pd.DataFrame
    propensity_model: PropensityModel | None
    caliper_width: float | None
    outcomes: list[str]
    effects: pd.DataFrame
    att: dict[str, float] | None
    att_dr: dict[str, float] | None
    _fit: _Fit = field(repr=False)

    # ---------------------------------------------------------------- estimation

    @property
    def estimand(self) -> str:
        return str(self.settings["estimand"])

    def estimate(self, outcome: str, *, alpha: float = 0.05) -> pd.DataFrame:
        """Effect estimates for one outcome column of the data (no re-matching).

        Returns
        -------
        pandas.DataFrame
            Rows ``naive``, ``matching``, ``regression_adjusted`` with
            ``estimate, se, ci_lower, ci_upper, p_value, n_focal, se_method``.
        """
        f = self._fit
        if outcome not in f.data.columns:
            raise MatchingError(f"outcome: column {outcome!r} not in the data")
        y = _outcome_vector(f.data, outcome)
        return _estimate(f, y, outcome, alpha)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of every effect estimate (``ci_lower, ci_upper``)."""
        if not self.outcomes:
            raise MatchingError("conf_int: match() was called without outcome=, so there is no effect")
        if alpha == 0.05:
            return self.effects[["outcome", "estimator", "ci_lower", "ci_upper"]].copy()
        frames = [self.estimate(o, alpha=alpha) for o in self.outcomes]
        return pd.concat(frames, ignore_index=True)[["outcome", "estimator", "ci_lower", "ci_upper"]]

    # ---------------------------------------------------------------- sensitivity

    def sensitivity(
        self, outcome: str | None = None, gammas: Sequence[float] = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0)
    ) -> SensitivityResult:
        """E-value and (for 1:1 matching without replacement) Rosenbaum bounds.

        The estimate is put on a risk-ratio scale: for a 0/1 outcome the ratio
        of the treated's risk to their matched controls' risk; otherwise the
        standardised difference ``d`` (effect / SD of the outcome among matched
        controls) is converted with ``RR ~ exp(0.91 d)`` (VanderWeele and Ding
        2017). The interval is mapped the same way from the effect's CI.
        """
        f = self._fit
        outcome = outcome or (self.outcomes[0] if self.outcomes else None)
        if outcome is None:
            raise MatchingError("sensitivity: match() was called without outcome=; pass outcome=")
        y = _outcome_vector(f.data, outcome)
        eff = self.estimate(outcome).set_index("estimator").loc["matching"]
        est, lo, hi = float(eff["estimate"]), float(eff["ci_lower"]), float(eff["ci_upper"])
        # treated (focal) mean and counterfactual mean from the matches
        yf = y[f.focal_rows]
        y_cf = f.cf_mean(y)
        treated_mean = float(yf.mean()) if f.sign > 0 else float(y_cf.mean())
        is_binary = bool(np.isin(y, [0.0, 1.0]).all())
        if is_binary:
            scale = "risk ratio (treated risk / matched comparison risk)"

            def to_rr(e: float) -> float:
                base = treated_mean - e
                return treated_mean / base if base > 0 and treated_mean > 0 else float("nan")

        else:
            others = np.unique(f.m_concat) if f.sign > 0 else f.focal_rows
            sd = float(np.std(y[others], ddof=1)) if len(others) > 1 else float("nan")
            scale = "approximate risk ratio exp(0.91 * d), d = effect / SD of outcome among comparison units"

            def to_rr(e: float) -> float:
                return float(math.exp(0.91 * e / sd)) if sd > 0 else float("nan")

        rr = to_rr(est)
        bounds = sorted([to_rr(lo), to_rr(hi)])
        ev = e_value(rr, bounds[0], bounds[1])
        table, crit = None, None
        if self.settings["ratio"] == 1 and not self.settings["replace"]:
            direction = 1.0 if est >= 0 else -1.0
            diffs = direction * f.sign * (yf - y_cf)
            table, crit = rosenbaum_bounds(diffs, gammas, alpha=ROSENBAUM_ALPHA)
            note = ""
        else:
            note = (
                "not computed: they need disjoint matched pairs (1:1 matching without replacement); "
                "the E-value above applies to any design."
            )
        return SensitivityResult(
            outcome=outcome,
            estimate=est,
            scale=scale,
            rr=rr,
            rr_ci=(bounds[0], bounds[1]),
            e_value=ev["e_value"],
            e_value_ci=ev["e_value_ci"],
            rosenbaum=table,
            critical_gamma=crit,
            rosenbaum_note=note,
        )

    # ---------------------------------------------------------------- reporting

    def counts_by_group(self) -> pd.DataFrame:
        """Counts as one row per group (``n_all = n_matched + n_unmatched``), ready for
        :func:`evalkit.outputs.save_table` with ``counts=["n_all", "n_matched", "n_unmatched"]``
        and ``totals=["n_all"]``."""
        c = self.counts.set_index("group")
        return pd.DataFrame(
            {
                "group": ["treated", "control"],
                "n_all": [int(c.loc["all", g]) for g in ("treated", "control")],
                "n_matched": [int(c.loc["matched", g]) for g in ("treated", "control")],
                "n_unmatched": [int(c.loc["unmatched", g]) for g in ("treated", "control")],
            }
        )

    def balance_for_output(self, digits: int = 3) -> pd.DataFrame:
        """SMDs and variance ratios only (no group means, which for 0/1 covariates are counts)."""
        cols = ["smd_before", "smd_after", "var_ratio_before", "var_ratio_after"]
        return self.balance[cols].round(digits).reset_index()

    def max_abs_smd(self) -> float:
        """Largest |SMD| after matching."""
        return float(self.balance["smd_after"].abs().max())

    def summary(self, *, suppress_small: bool = True) -> str:
        """Plain-text summary: design, sample sizes, balance, effects (fixed formatting).

        With ``suppress_small`` (default), sample sizes from 1 to 5 are shown as
        ``c``, with secondary suppression against the totals, as
        :mod:`evalkit.disclosure` does for saved tables.
        """
        from evalkit.disclosure import DEFAULT_THRESHOLD, MARKER

        def n(v: object) -> str:
            return MARKER if suppress_small and isinstance(v, int | np.integer) and 0 < v < DEFAULT_THRESHOLD else str(v)

        s = self.settings
        lines = []
        repl = "with replacement" if s["replace"] else "without replacement"
        lines.append(f"Matched comparison: nearest-neighbour matching, {s['ratio']}:1, {repl}")
        dist = {
            "logit": "logit of the propensity score",
            "propensity": "propensity score",
            "mahalanobis": "Mahalanobis distance on the covariates (pooled within-group covariance)",
        }[s["distance"]]
        lines.append(f"Distance: {dist}")
        if s["caliper"] is not None:
            on = "propensity score" if s["distance"] == "propensity" else "logit of the propensity score"
            lines.append(
                f"Caliper: {s['caliper']:g} pooled SD of the {on} (width {self.caliper_width:.4f})"
            )
        else:
            lines.append("Caliper: none")
        if s["exact"]:
            lines.append(f"Exact matching on: {', '.join(s['exact'])}")
        lines.append(
            f"Estimand: {s['estimand']} "
            f"({'effect on the treated' if s['estimand'] == 'ATT' else 'effect on the controls'}"
            "; with a caliper, on those matched)"
        )
        lines.append("")
        lines.append("Sample sizes")
        c = self.counts.set_index("group")
        if suppress_small:  # secondary suppression too: "all 1000, unmatched 997" would give "matched 3" away
            from evalkit.disclosure import suppress

            safe = suppress(self.counts_by_group(), ["n_all", "n_matched", "n_unmatched"], totals=["n_all"])
            safe = safe.set_index("group")
            c = pd.DataFrame({g: [safe.at[g, f"n_{k}"] for k in ("all", "matched", "unmatched")]
                              for g in ("treated", "control")}, index=["all", "matched", "unmatched"])
        lines.append(f"  {'':<12}{'treated':>9}{'control':>9}")
        for g in ("all", "matched", "unmatched"):
            lines.append(f"  {g:<12}{n(c.loc[g, 'treated']):>9}{n(c.loc[g, 'control']):>9}")
        lines.append("")
        denom = "treated" if s["estimand"] == "ATT" else "control"
        lines.append(
            f"Balance (SMD = difference in means / SD of the {denom} group before matching; "
            "VR = variance ratio, continuous covariates only)"
        )
        lines.append(f"  {'covariate':<26}{'SMD before':>11}{'SMD after':>11}{'VR before':>11}{'VR after':>10}")

        def fmt(v: float, w: int) -> str:
            if not np.isfinite(v):
                return f"{'-':>{w}}"
            return f"{(0.0 if abs(v) < 5e-4 else v):>{w}.3f}"  # no "-0.000"

        for name, r in self.balance.iterrows():
            lines.append(
                f"  {str(name)[:26]:<26}{fmt(r['smd_before'], 11)}{fmt(r['smd_after'], 11)}"
                f"{fmt(r['var_ratio_before'], 11)}{fmt(r['var_ratio_after'], 10)}"
            )
        m = self.max_abs_smd()
        ok = "yes" if m < SMD_THRESHOLD else "NO - revisit the matching before trusting any effect"
        lines.append(f"  max |SMD| after matching: {m:.3f}; all below {SMD_THRESHOLD}: {ok}")
        if len(self.effects):
            lines.append("")
            lines.append(f"Effect estimates ({s['estimand']}; 95% CI; SE: {SE_METHOD})")
            lines.append(f"  {'outcome':<20}{'estimator':<22}{'estimate':>10}{'SE':>9}{'95% CI':>22}")
            for _, r in self.effects.iterrows():
                ci = f"[{r['ci_lower']:.3f}, {r['ci_upper']:.3f}]"
                lines.append(
                    f"  {str(r['outcome'])[:20]:<20}{r['estimator']:<22}{r['estimate']:>10.3f}"
                    f"{r['se']:>9.3f}{ci:>22}"
                )
            lines.append(
                "  naive = unmatched difference in means (Welch SE), shown only to expose the bias "
                "matching removes; regression_adjusted = Abadie-Imbens (2011) bias-corrected."
            )
        else:
            lines.append("")
            lines.append("No outcome given: design and balance only (pass outcome= for effects).")
        return "\n".join(lines)

    def love_plot(self, *, threshold: float = SMD_THRESHOLD, ax: Any = None, absolute: bool = True) -> Any:
        """Dot plot of standardised mean differences before and after matching (cobalt's love plot).

        Covariates carry their human labels (:mod:`evalkit.viz`); the legend sits outside the data.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        from evalkit import viz

        b = self.balance.copy()
        before, after = b["smd_before"], b["smd_after"]
        if absolute:
            before, after = before.abs(), after.abs()
        order = before.sort_values().index
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.5, 0.34 * len(b) + 1.6))
        else:
            fig = ax.figure
        pos = np.arange(len(order))
        for p, name in zip(pos, order, strict=True):
            ax.plot([before.loc[name], after.loc[name]], [p, p], color="0.8", zorder=0, linewidth=1)
        ax.scatter(before.loc[order], pos, marker="o", facecolors="none", edgecolors="tab:red",
                   label="before matching", zorder=3)
        ax.scatter(after.loc[order], pos, marker="o", color="tab:blue", label="after matching", zorder=3)
        ax.axvline(threshold, linestyle="--", color="0.4", linewidth=1, label=f"|SMD| = {threshold:g}")
        if not absolute:
            ax.axvline(-threshold, linestyle="--", color="0.4", linewidth=1)
        ax.axvline(0, color="0.2", linewidth=0.8)
        ax.set_yticks(pos)
        ax.set_yticklabels(viz.labels_of(order))
        ax.set_xlabel(("absolute " if absolute else "") + "standardised mean difference (SMD)")
        if absolute:
            ax.set_xlim(left=0)
        ax.set_title(f"Covariate balance before and after matching ({self.estimand})")
        viz.legend_outside(ax, where="below", ncol=3)
        fig.tight_layout()
        return fig

    def effects_plot(self, truth: Mapping[str, float] | None = None, *, axes: Any = None) -> Any:
        """One panel per outcome: each estimator's effect with its 95% interval, and the truth if known.

        Parameters
        ----------
        truth
            Known true effect per outcome (synthetic data only), drawn as a dashed line.
        axes
            One matplotlib axes per outcome (default: a new row of panels).

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        from evalkit import viz

        if not self.outcomes:
            raise MatchingError("effects_plot: match() was called without outcome=, so there is no effect")
        k = len(self.outcomes)
        if axes is None:
            fig, axes = plt.subplots(1, k, figsize=(3.6 * k + 0.6, 3.0), squeeze=False)
            axes = axes[0]
        fig = axes[0].figure
        names = {"naive": "naive (unmatched)", "matching": "matched",
                 "regression_adjusted": "matched, regression-adjusted"}
        colours = {"naive": "0.55", "matching": "tab:blue", "regression_adjusted": "tab:green"}
        for ax, outcome in zip(axes, self.outcomes, strict=True):
            e = self.effects[self.effects["outcome"] == outcome].set_index("estimator")
            ests = [x for x in names if x in e.index]
            y = np.arange(len(ests))[::-1]
            for yi, est in zip(y, ests, strict=True):
                r = e.loc[est]
                ax.errorbar(r["estimate"], yi, xerr=[[r["estimate"] - r["ci_lower"]], [r["ci_upper"] - r["estimate"]]],
                            fmt="o", color=colours[est], capsize=3, label=names[est])
            ax.axvline(0, color="0.2", linewidth=0.8)
            if truth and outcome in truth:
                ax.axvline(float(truth[outcome]), color="tab:red", linestyle="--", linewidth=1.2,
                           label="true effect (synthetic data)")
            ax.set_yticks(y)
            ax.set_yticklabels([])
            ax.set_ylim(-0.7, len(ests) - 0.3)
            ax.set_title(viz.label(outcome, units=False), fontsize=10.5)
            u = viz.unit(outcome)
            ax.set_xlabel(f"effect ({'share of young people' if u in ('share', '0/1') else u or 'outcome units'})")
        handles, texts = axes[0].get_legend_handles_labels()
        fig.legend(handles, texts, loc="lower center", ncol=min(4, len(handles)), frameon=False,
                   bbox_to_anchor=(0.5, -0.02))
        fig.suptitle(f"Estimated effect of the service ({self.estimand}) with 95% intervals", x=0.01,
                     ha="left", fontsize=12, fontweight="bold")
        fig.tight_layout(rect=(0, 0.12, 1, 0.95))
        return fig

    def findings(self, truth: Mapping[str, float] | None = None) -> Any:
        """The headline in plain language (:class:`evalkit.results.Summary`: Markdown in Jupyter).

        Sample sizes, the balance verdict and, per outcome, the regression-adjusted effect with
        its interval (and the naive comparison); with ``truth`` (synthetic data) whether each
        interval covers the known effect.
        """
        from evalkit import viz
        from evalkit.disclosure import DEFAULT_THRESHOLD
        from evalkit.results import Summary

        c = self.counts.set_index("group")

        def n(v: int) -> str:
            return f"fewer than {DEFAULT_THRESHOLD}" if 0 < v < DEFAULT_THRESHOLD else f"{v:,}"

        nt, nc = int(c.loc["matched", "treated"]), int(c.loc["matched", "control"])
        m = self.max_abs_smd()
        bal = ("every covariate is balanced (largest |SMD| "
               f"{m:.3f}, below {SMD_THRESHOLD:g})" if m < SMD_THRESHOLD else
               f"balance is **not** reached (largest |SMD| {m:.3f}, above {SMD_THRESHOLD:g}): "
               "read the regression-adjusted effects, and with caution")
        text = [f"**{n(nt)} young people who received the service** were matched to {n(nc)} who did not; "
                f"{bal}.", ""]
        e = self.effects.set_index(["outcome", "estimator"])
        rows = []
        for o in self.outcomes:
            r, naive = e.loc[(o, "regression_adjusted")], e.loc[(o, "naive")]
            zero = r["ci_lower"] <= 0 <= r["ci_upper"]
            line = (f"- **{viz.label(o, units=False)}**: {r['estimate']:+.3f} "
                    f"(95% CI {r['ci_lower']:+.3f} to {r['ci_upper']:+.3f}); the naive comparison gives "
                    f"{naive['estimate']:+.3f}. "
                    + ("The interval includes no effect." if zero else "The interval excludes no effect."))
            if truth and o in truth:
                cov = r["ci_lower"] <= truth[o] <= r["ci_upper"]
                line += f" True effect {truth[o]:+.3f}: {'covered' if cov else 'missed'}."
            text.append(line)
            rows.append({"outcome": viz.label(o, units=False), "effect": f"{r['estimate']:+.3f}",
                         "95% CI": f"{r['ci_lower']:+.3f} to {r['ci_upper']:+.3f}"})
        text += ["", "Effects are for the young people who received the service and were matched (ATT), "
                 "in each outcome's units: a share of young people for entering care, months, episodes."]
        return Summary("Findings: matched comparison", "\n".join(text))

    def plot(self, **kw: Any) -> Any:
        """Alias of :meth:`love_plot`."""
        return self.love_plot(**kw)


# --------------------------------------------------------------------------- estimators


def _conditional_variances(f: _Fit, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """sigma^2 of y for the given rows by matching each to its J nearest units of the same group and stratum."""
    from sklearn.neighbors import KDTree

    out = np.zeros(len(rows))
    if len(rows) == 0:
        return out
    J = VARIANCE_NEIGHBOURS
    group = f.t[rows]
    for g in np.unique(group):
        for s in np.unique(f.strata[rows[group == g]]):
            sel = (group == g) & (f.strata[rows] == s)
            pool = np.flatnonzero((f.t == g) & (f.strata == s))
            if len(pool) < 2:  # no neighbour in the stratum: use the whole group
                pool = np.flatnonzero(f.t == g)
            j = min(J, len(pool) - 1)
            if j < 1:
                continue
            tree = KDTree(f.Z[pool])
            _, ind = _ordered_query(tree, f.Z[rows[sel]], j + 1, np.arange(len(pool)))
            nbr = pool[ind]  # (n, j + 1) rows; drop the unit itself (or, failing that, the farthest)
            own = rows[sel]
            is_self = nbr == own[:, None]
            drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), j)
            keep = np.ones_like(nbr, dtype=bool)
            keep[np.arange(len(nbr)), drop] = False
            others = nbr[keep].reshape(len(nbr), j)
            out[sel] = (j / (j + 1)) * (y[own] - y[others].mean(axis=1)) ** 2
    return out


def _ai_variance(f: _Fit, y: np.ndarray, diffs: np.ndarray) -> float:
    """Abadie-Imbens (2006) population variance of the matching estimator (general M_i)."""
    n1 = len(diffs)
    tau = diffs.mean()
    var = float(np.sum((diffs - tau) ** 2))
    w, s = f.match_weights()
    factor = w**2 - s
    reused = np.flatnonzero(factor > 1e-12)
    if len(reused):
        var += float(np.sum(factor[reused] * _conditional_variances(f, y, reused)))
    return var / n1**2


def _effect_row(outcome: str, estimator: str, est: float, se: float, n: int, alpha: float, how: str) -> dict:
    z = stats.norm.ppf(1 - alpha / 2)
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else float("nan")
    return {
        "outcome": outcome,
        "estimator": estimator,
        "estimate": float(est),
        "se": float(se),
        "ci_lower": float(est - z * se),
        "ci_upper": float(est + z * se),
        "p_value": p,
        "n_focal": int(n),
        "se_method": how,
    }


def _estimate(f: _Fit, y: np.ndarray, outcome: str, alpha: float) -> pd.DataFrame:
    rows = []
    t = f.t.astype(bool)
    yt, yc = y[t], y[~t]
    naive = yt.mean() - yc.mean()
    se_naive = math.sqrt(yt.var(ddof=1) / len(yt) + yc.var(ddof=1) / len(yc)) if min(len(yt), len(yc)) > 1 else float("nan")
    rows.append(_effect_row(outcome, "naive", naive, se_naive, int(f.focal.sum()), alpha, "Welch (unmatched)"))

    # matching estimator
    diffs = y[f.focal_rows] - f.cf_mean(y)
    est = f.sign * diffs.mean()
    se = math.sqrt(_ai_variance(f, y, diffs))
    rows.append(_effect_row(outcome, "matching", est, se, len(diffs), alpha, "Abadie-Imbens 2006"))

    # regression-adjusted (bias-corrected) matching estimator
    w_all, _ = f.match_weights()
    uniq = np.flatnonzero(w_all > 0)
    wts = w_all[uniq]
    D = np.column_stack([np.ones(len(uniq)), f.X[uniq]])
    sw = np.sqrt(wts)
    beta, *_ = np.linalg.lstsq(D * sw[:, None], y[uniq] * sw, rcond=None)

    def mu(r: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(len(r)), f.X[r]]) @ beta

    mu_all = np.full(len(y), np.nan)
    mu_all[f.focal_rows] = mu(f.focal_rows)
    mu_all[uniq] = mu(uniq)
    adj = y - np.nan_to_num(mu_all)
    diffs_adj = adj[f.focal_rows] - f.cf_mean(adj)
    est_dr = f.sign * diffs_adj.mean()
    se_dr = math.sqrt(_ai_variance(f, y, diffs_adj))
    rows.append(
        _effect_row(outcome, "regression_adjusted", est_dr, se_dr, len(diffs_adj), alpha,
                    "Abadie-Imbens 2011 bias-corrected")
    )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- entry point


def match(
    data: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    *,
    outcome: str | Sequence[str] | None = None,
    method: str = "nearest",
    distance: str = "logit",
    ratio: int = 1,
    caliper: float | None = 0.2,
    replace: bool = False,
    exact: str | Sequence[str] | None = None,
    estimand: str = "ATT",
    seed: int = 0,
) -> MatchResult:
    """Nearest-neighbour matching on the propensity score or Mahalanobis distance.

    Parameters
    ----------
    data
        One row per unit.
    treatment
        0/1 (or True/False) column: 1 = received the service.
    covariates
        Columns to balance. Numbers are used as they are; text/categorical
        columns become 0/1 indicators (first level dropped).
    outcome
        Outcome column(s). ``None``: design and balance only. With several,
        ``att`` refers to the first and ``effects`` holds all.
    method
        ``"nearest"`` (the only method).
    distance
        ``"logit"`` (logit of the propensity score), ``"propensity"`` (the
        score) or ``"mahalanobis"``.
    ratio
        Matches per focal unit (k:1).
    caliper
        Width in pooled SDs of the logit of the propensity score (of the score
        itself for ``distance="propensity"``); ``None`` for no caliper.
    replace
        Whether a control may be matched to more than one treated unit.
    exact
        Column(s) on which units must match exactly.
    estimand
        ``"ATT"`` (treated matched to controls) or ``"ATC"`` (controls matched
        to treated). Nearest-neighbour matching does not target the ATE.
    seed
        Seeds the one random permutation that breaks ties, reproducibly:
        focal units with equal scores are matched in the permutation's order
        (MatchIt's ``m.order = "largest"`` with random ties), and of several
        equidistant candidates the one earlier in the permutation is taken.
        Scores, coordinates and distances are first rounded to
        :data:`QUANTUM`, so ties are those of the data, not of the CPU.

    Returns
    -------
    MatchResult

    Raises
    ------
    MatchingError
        Bad arguments, missing columns, missing values, a treatment that is not
        0/1, no treated or no control units, or a caliper that leaves nobody
        matched. Each message names the argument, column and rows.
    """
    # ---- arguments
    if not isinstance(data, pd.DataFrame):
        raise MatchingError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise MatchingError("data: the table has no rows")
    if method != "nearest":
        raise MatchingError(f"method: only 'nearest' (nearest-neighbour matching) is available, got {method!r}")
    if distance not in DISTANCES:
        raise MatchingError(f"distance: must be one of {list(DISTANCES)}, got {distance!r}")
    estimand = str(estimand).upper()
    if estimand == "ATE":
        raise MatchingError(
            "estimand: nearest-neighbour matching estimates the ATT (or ATC), not the ATE; "
            "use estimand='ATT' or weighting for the ATE"
        )
    if estimand not in {"ATT", "ATC"}:
        raise MatchingError(f"estimand: must be 'ATT' or 'ATC', got {estimand!r}")
    if isinstance(ratio, bool) or not isinstance(ratio, int | np.integer) or ratio < 1:
        raise MatchingError(f"ratio: must be a whole number of at least 1, got {ratio!r}")
    ratio = int(ratio)
    if caliper is not None:
        if isinstance(caliper, bool) or not isinstance(caliper, int | float) or not np.isfinite(caliper) or caliper <= 0:
            raise MatchingError(f"caliper: must be a positive number of SDs or None, got {caliper!r}")
        caliper = float(caliper)
    if not isinstance(treatment, str):
        raise MatchingError(f"treatment: expected a column name, got {treatment!r}")
    covs = _as_list(covariates, "covariates")
    if not covs:
        raise MatchingError("covariates: give at least one covariate to match on")
    if len(set(covs)) != len(covs):
        raise MatchingError(f"covariates: repeated names in {covs}")
    outs = _as_list(outcome, "outcome")
    ex = _as_list(exact, "exact")
    _check_columns(data, [treatment], "treatment")
    _check_columns(data, covs, "covariates")
    _check_columns(data, outs, "outcome")
    _check_columns(data, ex, "exact")
    if treatment in covs:
        raise MatchingError(f"covariates: the treatment column {treatment!r} cannot also be a covariate")
    clash = [o for o in outs if o in covs or o == treatment]
    if clash:
        raise MatchingError(f"outcome: {clash} is also the treatment or a covariate; outcomes must not be matched on")

    t = _treatment_vector(data, treatment)
    n_t, n_c = int(t.sum()), int(len(t) - t.sum())
    if n_t == 0:
        raise MatchingError(f"treatment: no treated units (no row has {treatment} = 1)")
    if n_c == 0:
        raise MatchingError(f"treatment: no control units (no row has {treatment} = 0)")
    X, names, binary = _design(data, covs)
    ys = {o: _outcome_vector(data, o) for o in outs}
    if ex:
        for c in ex:
            na = data[c].isna().to_numpy()
            if na.any():
                raise MatchingError(f"exact: column {c!r} is missing in {_rows(na, data.index)}")
        strata = data[ex].astype(str).agg("\x1f".join, axis=1).to_numpy()
        strata = pd.factorize(strata, sort=True)[0]
    else:
        strata = np.zeros(len(data), dtype=int)

    # ---- propensity score and matching space
    ps, lp, pm = _propensity(X, t, names)
    score = ps if distance == "propensity" else lp
    if distance == "mahalanobis":
        Z = _whiten(X, t)
    else:
        Z = score[:, None]
    width = None
    if caliper is not None:
        pooled_sd = math.sqrt((np.var(score[t == 1], ddof=1 if n_t > 1 else 0) + np.var(score[t == 0], ddof=1 if n_c > 1 else 0)) / 2)
        width = float(_quantise(caliper * pooled_sd))

    focal = (t == 1) if estimand == "ATT" else (t == 0)
    sign = 1.0 if estimand == "ATT" else -1.0
    n_focal, n_other = int(focal.sum()), int((~focal).sum())
    if not replace and ratio * n_focal > n_other:
        warnings.warn(
            f"ratio: {ratio}:1 matching without replacement needs {ratio * n_focal} comparison units "
            f"but there are {n_other}; some units will get fewer matches",
            stacklevel=2,
        )

    rng = np.random.default_rng(seed)
    tiebreak = rng.permutation(len(data))
    focal_rows_all: list[int] = []
    matches_all: list[list[tuple[int, float]]] = []
    for s in np.unique(strata[focal]):
        f_rows = np.flatnonzero(focal & (strata == s))
        o_rows = np.flatnonzero(~focal & (strata == s))
        if distance == "mahalanobis":
            order = np.arange(len(f_rows))  # data order, as MatchIt does for non-score distances
        else:
            # hardest first: largest score for the ATT, smallest for the ATC; ties at random
            key = -score[f_rows] if estimand == "ATT" else score[f_rows]
            order = np.lexsort((tiebreak[f_rows], key))
        same = width if (width is not None and distance != "mahalanobis") else None
        ps_cal = (score[f_rows], score[o_rows], width) if (width is not None and distance == "mahalanobis") else None
        res = _nn_match(Z[f_rows], Z[o_rows], order, ratio, replace, same, ps_cal, rank=tiebreak[o_rows])
        for i, lst in enumerate(res):
            focal_rows_all.append(int(f_rows[i]))
            matches_all.append([(int(o_rows[j]), d) for j, d in lst])

    has = [k for k, lst in enumerate(matches_all) if lst]
    if not has:
        why = f"within a caliper of {caliper} SD" if caliper is not None else "at all"
        raise NoMatchError(
            f"caliper: no {'treated' if estimand == 'ATT' else 'control'} unit found a match {why}"
            + (f" within exact strata {ex}" if ex else "")
            + "; widen the caliper or check the overlap of the propensity scores"
        )
    focal_rows = np.array([focal_rows_all[k] for k in has], dtype=int)
    match_rows = [np.array([j for j, _ in matches_all[k]], dtype=int) for k in has]

    # ---- weights (MatchIt convention)
    w = np.zeros(len(data))
    w[focal_rows] = 1.0
    w += np.bincount(np.concatenate(match_rows), weights=np.repeat([1.0 / len(m) for m in match_rows],
                     [len(m) for m in match_rows]), minlength=len(data))
    other_matched = np.flatnonzero((~focal) & (w > 0))
    w[other_matched] *= len(other_matched) / w[other_matched].sum()

    # ---- outputs
    idx = data.index
    p_sub, p_focal, p_match, p_dist = [], [], [], []
    for n, k in enumerate(has, start=1):
        for j, d in matches_all[k]:
            p_sub.append(n)
            p_focal.append(focal_rows_all[k])
            p_match.append(j)
            p_dist.append(d)
    pairs = pd.DataFrame(
        {"subclass": p_sub, "focal": idx[p_focal], "match": idx[p_match], "distance": p_dist}
    )
    matched_rows = np.flatnonzero(w > 0)
    matched = data.iloc[matched_rows].copy()
    matched["weight"] = w[matched_rows]
    matched["propensity_score"] = ps[matched_rows]
    matched["distance"] = (lp if distance != "propensity" else ps)[matched_rows]
    if not replace:
        sub = np.zeros(len(data), dtype=int)
        sub[focal_rows] = np.arange(1, len(focal_rows) + 1)
        sub[np.concatenate(match_rows)] = np.repeat(np.arange(1, len(focal_rows) + 1),
                                                    [len(m) for m in match_rows])
        matched["subclass"] = sub[matched_rows]

    bal = balance_table(X, t, w, names=names, estimand=estimand, binary=binary)
    t_b = t.astype(bool)
    counts = pd.DataFrame(
        {
            "group": ["all", "matched", "unmatched"],
            "treated": [n_t, int((t_b & (w > 0)).sum()), int((t_b & (w == 0)).sum())],
            "control": [n_c, int((~t_b & (w > 0)).sum()), int((~t_b & (w == 0)).sum())],
        }
    )
    fit = _Fit(
        data=data, t=t, focal=focal, X=X, names=names, binary=binary, Z=Z, strata=strata,
        focal_rows=focal_rows, match_rows=match_rows, sign=sign,
    )
    effects = (
        pd.concat([_estimate(fit, ys[o], o, 0.05) for o in outs], ignore_index=True)
        if outs
        else pd.DataFrame(columns=["outcome", "estimator", "estimate", "se", "ci_lower", "ci_upper",
                                   "p_value", "n_focal", "se_method"])
    )

    def pick(est: str) -> dict[str, float] | None:
        if not outs:
            return None
        r = effects[(effects["outcome"] == outs[0]) & (effects["estimator"] == est)].iloc[0]
        return {k: float(r[k]) for k in ("estimate", "se", "ci_lower", "ci_upper", "p_value")}

    settings = {
        "treatment": treatment,
        "covariates": covs,
        "method": method,
        "distance": distance,
        "ratio": ratio,
        "caliper": caliper,
        "replace": bool(replace),
        "exact": ex,
        "estimand": estimand,
        "seed": seed,
    }
    return MatchResult(
        settings=settings,
        matched=matched,
        pairs=pairs,
        balance=bal,
        counts=counts,
        propensity_model=pm,
        caliper_width=width,
        outcomes=outs,
        effects=effects,
        att=pick("matching"),
        att_dr=pick("regression_adjusted"),
        _fit=fit,
    )


def sensitivity_table(
    result: MatchResult, outcomes: Sequence[str] | None = None, *, min_events: int | None = None
) -> tuple[pd.DataFrame, str]:
    """E-values and Rosenbaum bounds for several outcomes, safe to save and show.

    For a 0/1 outcome the risk ratio, together with the effect, gives both
    groups' risks and so, with the group sizes, the number of young people with
    the outcome. Where any matched group has between 1 and ``min_events - 1``
    such young people (default: the disclosure threshold, 5), the risk ratio
    and E-values of that outcome are withheld (NaN) and the text says so.

    Returns
    -------
    table : pandas.DataFrame
        One row per outcome (see :meth:`SensitivityResult.table`) plus ``note``.
    text : str
        The plain-words explanations, one block per outcome.
    """
    from evalkit.disclosure import DEFAULT_THRESHOLD

    threshold = DEFAULT_THRESHOLD if min_events is None else int(min_events)
    f = result._fit
    rows, blocks = [], []
    for o in list(outcomes) if outcomes is not None else result.outcomes:
        s = result.sensitivity(o)
        row = s.table().iloc[0].to_dict()
        y = _outcome_vector(f.data, o)
        note = ""
        if np.isin(y, [0.0, 1.0]).all():
            others = np.flatnonzero(f.match_weights()[0] > 0)
            events = [int(y[f.focal_rows].sum()), int(y[others].sum())]
            if any(0 < e < threshold for e in events):
                note = (f"risk ratio and E-values withheld: a matched group has fewer than {threshold} "
                        "young people with this outcome (small-number disclosure rule)")
                for k in ("rr", "rr_ci_lower", "rr_ci_upper", "e_value", "e_value_ci"):
                    row[k] = float("nan")
        row["note"] = note
        rows.append(row)
        blocks.append(f"Sensitivity to unmeasured confounding: {o}\n  {note}" if note else s.explain())
    return pd.DataFrame(rows), "\n\n".join(blocks)


#: Designs compared by :func:`compare_designs` by default (arguments of :func:`match`).
DEFAULT_DESIGNS: dict[str, dict[str, Any]] = {
    "logit 1:1 caliper 0.2": {"distance": "logit", "caliper": 0.2},
    "logit 1:1 caliper 0.2, with replacement": {"distance": "logit", "caliper": 0.2, "replace": True},
    "logit 1:1 caliper 0.1": {"distance": "logit", "caliper": 0.1},
    "mahalanobis 1:1 within 0.2 SD score caliper": {"distance": "mahalanobis", "caliper": 0.2},
    "mahalanobis 1:1 no caliper": {"distance": "mahalanobis", "caliper": None},
    "mahalanobis 1:1 no caliper, with replacement": {
        "distance": "mahalanobis", "caliper": None, "replace": True,
    },
}


@dataclass
class DesignComparison:
    """Balance of several matching designs, run without outcomes (see :func:`compare_designs`)."""

    table: pd.DataFrame
    designs: dict[str, dict[str, Any]]
    best: str

    def best_kwargs(self) -> dict[str, Any]:
        """Arguments of :func:`match` for the chosen design."""
        return dict(self.designs[self.best])

    def to_text(self) -> str:
        t = self.table
        lines = [f"  {'design':<46}{'max|SMD|':>9}{'mean|SMD|':>10}{'treated kept':>13}"]
        for name, r in t.iterrows():
            mark = " <- chosen" if name == self.best else ""
            lines.append(
                f"  {str(name)[:46]:<46}{r['max_abs_smd']:>9.3f}{r['mean_abs_smd']:>10.3f}"
                f"{r['share_focal_matched']:>12.0%}{mark}"
            )
        return "\n".join(lines)


def compare_designs(
    data: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    designs: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    min_retained: float = 0.9,
    **common: Any,
) -> DesignComparison:
    """Run several matching designs **without outcomes** and pick the best balanced.

    Choosing among designs by balance alone, before any outcome is looked at,
    is the standard design stage of a matched comparison (Rubin 2001; Stuart
    2010): it cannot tilt the effect estimate, because the outcome plays no
    part in the choice.

    Parameters
    ----------
    data, treatment, covariates
        As for :func:`match`.
    designs
        Name -> keyword arguments of :func:`match`. Default :data:`DEFAULT_DESIGNS`.
    min_retained
        Designs keeping fewer than this share of the focal group (treated for
        the ATT) are not chosen, since dropping units changes who the effect is for.
    **common
        Arguments passed to every design (e.g. ``exact=``, ``ratio=``, ``seed=``).
        ``outcome`` is refused.

    Returns
    -------
    DesignComparison
        ``table`` (one row per design: ``max_abs_smd, mean_abs_smd,
        n_focal_matched, share_focal_matched``) and ``best``: the smallest
        maximum |SMD| among designs keeping at least ``min_retained``; ties go
        to the earlier design.
    """
    if "outcome" in common:
        raise MatchingError("compare_designs: designs are compared without outcomes; do not pass outcome=")
    designs = dict(DEFAULT_DESIGNS if designs is None else designs)
    if not designs:
        raise MatchingError("designs: give at least one design")
    rows = []
    for name, kw in designs.items():
        args = {**common, **dict(kw)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                r = match(data, treatment, covariates, **args)
            except NoMatchError:
                rows.append({"design": name, "max_abs_smd": np.nan, "mean_abs_smd": np.nan,
                             "n_focal_matched": 0, "share_focal_matched": 0.0})
                continue
        c = r.counts.set_index("group")
        grp = "treated" if r.estimand == "ATT" else "control"
        kept = int(c.loc["matched", grp])
        rows.append(
            {
                "design": name,
                "max_abs_smd": r.max_abs_smd(),
                "mean_abs_smd": float(r.balance["smd_after"].abs().mean()),
                "n_focal_matched": kept,
                "share_focal_matched": kept / int(c.loc["all", grp]),
            }
        )
    table = pd.DataFrame(rows).set_index("design")
    ok = table[table["share_focal_matched"] >= min_retained]
    if ok.empty:
        raise MatchingError(
            f"min_retained: no design keeps {min_retained:.0%} of the focal group; "
            "lower min_retained or revisit the overlap"
        )
    best = str(ok["max_abs_smd"].idxmin())
    return DesignComparison(table=table, designs={k: dict(v) for k, v in designs.items()}, best=best)


def effects_table(result: MatchResult, digits: int = 3) -> pd.DataFrame:
    """Effects rounded for display or saving (no unit-level content)."""
    e = result.effects.copy()
    for c in ("estimate", "se", "ci_lower", "ci_upper"):
        e[c] = e[c].round(digits)
    e["p_value"] = e["p_value"].round(4)
    return e



def recovery_text(result: MatchResult, truth: Mapping[str, float],
                  estimators: Sequence[str] = ("naive", "matching", "regression_adjusted")) -> str:
    """Each estimate beside a known true effect (synthetic data), and whether its interval covers it.

    Only meaningful where the truth is known: a simulated cohort whose effects were set by
    construction. One line per outcome and estimator, then the largest |SMD| after matching.
    """
    eff = result.effects.set_index(["outcome", "estimator"])
    lines = []
    for o in dict.fromkeys(result.effects["outcome"]):  # the outcomes in the order they were estimated
        if o not in truth:
            continue
        for est in estimators:
            r = eff.loc[(o, est)]
            covered = "covers" if r["ci_lower"] <= truth[o] <= r["ci_upper"] else "MISSES"
            lines.append(f"{o:<17} {est:<20} {r['estimate']:>7.3f}  [{r['ci_lower']:>7.3f}, {r['ci_upper']:>7.3f}]"
                         f"  truth {truth[o]:>7.3f}: {covered}")
    lines.append(f"\nmax |SMD| after matching: {result.max_abs_smd():.3f}")
    return "\n".join(lines)
