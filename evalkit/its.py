"""Interrupted time series (ITS): segmented regression, single or controlled.

One entry point, :func:`fit_its`, fits the segmented regression of the
epidemiology tutorials (Lopez Bernal, Cummins and Gasparrini 2017) and of
Stata's ``itsa``::

    g(E[y_t]) = b0 + b1 * t + b2 * post_t + b3 * (t - start) * post_t
                [+ Fourier seasonality] [+ log(offset_t)]

where ``post_t = 1`` when ``t >= start``. ``b2`` is the change in level at
``start`` and ``b3`` the change in slope per time unit after it. ``g`` is the
identity (``family="gaussian"``, OLS) or the log (``"poisson"``,
``"quasipoisson"``), in which case the effects are reported as ratios
(``exp(b)``).

A *controlled* ITS adds a comparison series ``c`` and the
difference-in-differences terms::

    ... + b4 * G + b5 * G * t + b6 * G * post_t + b7 * G * (t - start) * post_t

with ``G = 1`` for the treated series. ``b2`` and ``b3`` then describe changes
that both series share (e.g. a national change), and the intervention effects
are ``b6`` (level) and ``b7`` (slope).

Standard errors (``errors``)
----------------------------
``"newey-west"``
    OLS/GLM point estimates with a heteroskedasticity-and-autocorrelation
    consistent (HAC) covariance, Bartlett kernel (statsmodels
    ``cov_type="HAC"``; ``"hac-panel"`` within series for a controlled ITS).
    ``lags`` defaults to the Newey-West (1994) rule ``floor(4 (n/100)^(2/9))``.
``"ar1"``
    AR(1) errors. Gaussian (``ar1_method="reml"``, the default): generalised
    least squares with the AR(1) coefficient (and, for a controlled ITS, one
    error variance per series) estimated by restricted maximum likelihood, and
    t intervals on Satterthwaite's degrees of freedom (as R's ``nlme::gls``
    with ``corAR1`` and a Satterthwaite correction). ``ar1_method=
    "prais-winsten"``: Prais-Winsten feasible GLS, iterated to convergence,
    keeping the first observation. Gaps in ``time`` are handled exactly (an
    AR(1) over a gap of ``d`` has correlation ``rho^d``). Count families: generalised estimating equations with an AR(1) working
    correlation (statsmodels ``GEE``, ``Autoregressive``), model-based
    covariance, i.e. Zeger's (1988) marginal model for a count series.
``"naive"``
    The model-based covariance that assumes independent errors (quasi-Poisson:
    scaled by the Pearson chi-square dispersion, as R's ``glm``).

The default is :data:`DEFAULT_ERRORS`, chosen on the simulation evidence in
``benchmarks/bench_its_simulation.py`` (see the docstring of
:data:`DEFAULT_ERRORS`).

Intervals are Wald intervals: ``estimate +/- q * se`` on the link scale, then
exponentiated for log links. ``q`` is the t quantile for ``gaussian`` (residual
degrees of freedom, or Satterthwaite's for the REML AR(1) fit) and the normal
quantile for the count families (as R's ``confint.default`` and ``Epi::ci.lin``
used in the tutorial); ``use_t`` overrides this. The count families' ``"ar1"``
option (GEE) is not covered by the simulation study.

Time is centred at ``start`` in the design (``trend = time - start``), so the
intercept is the pre-intervention line at the start; the level and slope
coefficients are those of the usual parameterisation.

:func:`fit_la_its` wraps :func:`fit_its` for one local authority of the DfE
panel against comparison authorities, with placebo and error-model checks.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

FAMILIES = ("gaussian", "poisson", "quasipoisson")
ERRORS = ("newey-west", "ar1", "naive")
IMPACTS = ("level", "slope", "level+slope")

#: Default ``errors``: AR(1) errors fitted by REML, with t intervals on
#: Satterthwaite's degrees of freedom. In the simulation study
#: (``benchmarks/bench_its_simulation.py``: gaussian series, level change 2, slope
#: change 0.1, innovation SD 1, 1000 replicates per cell) its 95% coverage was
#: 0.934-0.967 for n >= 48 and rho <= 0.4 (level and slope), and 0.917-0.967 in
#: every cell down to n = 24, rho = 0.7. Newey-West covered only 0.79-0.93 at
#: n >= 48, rho <= 0.4 (0.54-0.93 overall), Prais-Winsten 0.89-0.95, and naive
#: errors 0.79-0.82 at rho = 0.4 (n >= 48). This agrees with Turner, Forbes, Karahalios,
#: Taljaard and McKenzie (2021), "Evaluation of statistical methods used in the
#: analysis of interrupted time series studies: a simulation study", BMC Med Res
#: Methodol 21:181 (REML least biased for rho; Newey-West poor with high
#: autocorrelation). They preferred plain OLS for series of fewer than 12 points;
#: the price of REML-Satterthwaite here is much wider intervals in short series
#: (see the benchmark's mean widths), so compare errors="naive" there.
DEFAULT_ERRORS = "ar1"

#: Fewer points than this on either side of the start draws a warning.
MIN_POINTS_WARN = 8

_ERROR_LABEL = {
    "newey-west": "Newey-West (HAC, Bartlett kernel, {lags} lags)",
    "ar1": "AR(1) errors ({how}; estimated rho = {rho:.3f})",
    "naive": "model-based, assuming independent errors",
}


class ITSError(ValueError):
    """Bad input to :func:`fit_its` (names the argument, column, row and rule)."""


# --------------------------------------------------------------------------- input


def _check_columns(df: pd.DataFrame, name: str, cols: dict[str, str | None]) -> None:
    for arg, col in cols.items():
        if col is None:
            continue
        if col not in df.columns:
            raise ITSError(
                f"{arg}: column {col!r} is not in {name} (columns: {', '.join(map(str, df.columns))})"
            )


def _numeric(df: pd.DataFrame, col: str, name: str, arg: str, *, allow_missing: bool) -> pd.Series:
    s = df[col]
    if pd.api.types.is_datetime64_any_dtype(s):
        raise ITSError(
            f"{arg}: column {col!r} of {name} holds dates; give a numeric time index "
            "(e.g. year, or months since the start as 1, 2, 3, ...)"
        )
    v = pd.to_numeric(s, errors="coerce")
    bad = v.isna() & s.notna() & (s.astype(str).str.strip() != "")
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise ITSError(
            f"{arg}: column {col!r} of {name}, row {i} (position {i}): {s.iloc[i]!r} is not a number"
        )
    if not allow_missing and v.isna().any():
        i = v.isna().to_numpy().nonzero()[0][0]
        raise ITSError(f"{arg}: column {col!r} of {name}, row {i} (position {i}): value is missing")
    return v.astype(float)


def _series_frame(
    df: pd.DataFrame,
    name: str,
    *,
    outcome: str,
    time: str,
    offset: str | None,
    season: str | None,
    family: str,
    notes: list[str],
) -> pd.DataFrame:
    """Validate one series and return columns ``t, y, off, season`` (sorted by t)."""
    if not isinstance(df, pd.DataFrame):
        raise ITSError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
    _check_columns(df, name, {"outcome": outcome, "time": time, "offset": offset, "season": season})
    df = df.reset_index(drop=True)
    t = _numeric(df, time, name, "time", allow_missing=False)
    y = _numeric(df, outcome, name, "outcome", allow_missing=True)
    out = pd.DataFrame({"t": t, "y": y})
    dup = out["t"].duplicated(keep=False)
    if dup.any():
        times = sorted(out.loc[dup, "t"].unique())[:5]
        rows = dup.to_numpy().nonzero()[0][:6].tolist()
        raise ITSError(
            f"time: column {time!r} of {name} repeats values {times} (rows {rows}); an ITS needs "
            "one row per time point. For several series in long format, pass control= and group="
        )
    if offset is not None:
        off = _numeric(df, offset, name, "offset", allow_missing=True)
        bad = (off <= 0) & off.notna()
        if bad.any():
            i = bad.to_numpy().nonzero()[0][0]
            raise ITSError(
                f"offset: column {offset!r} of {name}, row {i}: {off.iloc[i]!r} is not positive; "
                "the offset is a population (used as log(offset))"
            )
        miss = off.isna() & y.notna()
        if miss.any():
            i = miss.to_numpy().nonzero()[0][0]
            raise ITSError(f"offset: column {offset!r} of {name}, row {i}: population is missing")
        out["off"] = off
    else:
        out["off"] = 1.0
    if season is not None:
        out["season"] = _numeric(df, season, name, "season", allow_missing=False)
    else:
        out["season"] = np.nan
    if family in ("poisson", "quasipoisson"):
        neg = (y < 0) & y.notna()
        if neg.any():
            i = neg.to_numpy().nonzero()[0][0]
            raise ITSError(
                f"outcome: column {outcome!r} of {name}, row {i}: {y.iloc[i]!r} is negative; "
                f"family={family!r} needs counts >= 0"
            )
        if family == "poisson":
            frac = (y != np.round(y)) & y.notna()
            if frac.any():
                i = frac.to_numpy().nonzero()[0][0]
                raise ITSError(
                    f"outcome: column {outcome!r} of {name}, row {i}: {y.iloc[i]!r} is not a whole "
                    "number; family='poisson' needs counts (use 'quasipoisson' or 'gaussian')"
                )
    miss = out["y"].isna()
    if miss.any():
        dropped = ", ".join(f"{v:g}" for v in out.loc[miss, "t"])
        notes.append(f"{name}: outcome missing at time {dropped}; these points are left out")
        out = out.loc[~miss]
    return out.sort_values("t").reset_index(drop=True)


def _pool(
    frame: pd.DataFrame, groups: pd.Series, how: str, name: str, notes: list[str]
) -> pd.DataFrame:
    """Pool several comparison series into one (sum or mean by time point)."""
    frame = frame.assign(_unit=groups.to_numpy())
    units = frame["_unit"].unique()
    if len(units) == 1:
        return frame.drop(columns="_unit")
    counts = frame.groupby("t")["_unit"].nunique()
    incomplete = counts.index[counts < len(units)]
    if len(incomplete):
        notes.append(
            f"{name}: not every comparison series has a value at time "
            f"{', '.join(f'{v:g}' for v in incomplete)}; the pooled comparison leaves those times out"
        )
        frame = frame.loc[~frame["t"].isin(incomplete)]
    agg = {"y": how, "off": "sum" if how == "sum" else "mean", "season": "first"}
    pooled = frame.groupby("t", as_index=False).agg(agg)
    notes.append(f"comparison: {len(units)} series pooled by {how} at each time point")
    return pooled


# --------------------------------------------------------------------------- design


def _design(
    frame: pd.DataFrame, start: float, impact: str, harmonics: int, period: float, controlled: bool
) -> tuple[pd.DataFrame, dict[str, str]]:
    t = frame["t"].to_numpy(float)
    post = (t >= start).astype(float)
    # time is centred at the start: the intercept is the pre-intervention line's value
    # at the start (better conditioned than at time 0; the other coefficients are unchanged)
    tc = t - start
    cols: dict[str, np.ndarray] = {"intercept": np.ones(len(t)), "trend": tc}
    if "level" in impact:
        cols["post"] = post
    if "slope" in impact:
        cols["post_trend"] = (t - start) * post
    if controlled:
        g = frame["g"].to_numpy(float)
        cols["group"] = g
        cols["group_trend"] = g * tc
        if "level" in impact:
            cols["group_post"] = g * post
        if "slope" in impact:
            cols["group_post_trend"] = g * (t - start) * post
    for k in range(1, harmonics + 1):
        x = 2 * np.pi * k * frame["season"].to_numpy(float) / period
        cols[f"sin{k}"] = np.sin(x)
        cols[f"cos{k}"] = np.cos(x)
    X = pd.DataFrame(cols, index=frame.index)
    pre = "group_" if controlled else ""
    terms = {}
    if "level" in impact:
        terms["level"] = f"{pre}post"
    if "slope" in impact:
        terms["slope"] = f"{pre}post_trend"
    return X, terms


def newey_west_lags(n: int) -> int:
    """Newey and West's (1994) automatic lag for the Bartlett kernel: ``floor(4 (n/100)^(2/9))``."""
    return int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


# --------------------------------------------------------------------------- AR(1) fits


def _ar1_transform(
    a: np.ndarray, rho: float, t: np.ndarray, g: np.ndarray
) -> np.ndarray:
    """Prais-Winsten transform of the columns of ``a`` within each series, exact over gaps."""
    out = np.empty_like(a, dtype=float)
    s2 = math.sqrt(1 - rho**2)
    for grp in np.unique(g):
        idx = np.flatnonzero(g == grp)
        idx = idx[np.argsort(t[idx], kind="stable")]
        out[idx[0]] = s2 * a[idx[0]]
        if len(idx) > 1:
            d = np.diff(t[idx])
            rd = rho**d
            fac = np.sqrt((1 - rho**2) / np.maximum(1 - rd**2, 1e-12))
            out[idx[1:]] = (a[idx[1:]] - rd[:, None] * a[idx[:-1]]) * fac[:, None]
    return out


def _rho_hat(r: np.ndarray, t: np.ndarray, g: np.ndarray, step: float) -> float:
    num = den = 0.0
    for grp in np.unique(g):
        idx = np.flatnonzero(g == grp)
        idx = idx[np.argsort(t[idx], kind="stable")]
        ok = np.isclose(np.diff(t[idx]), step)
        a, b = r[idx[1:]][ok], r[idx[:-1]][ok]
        num += float(a @ b)
        den += float(b @ b)
    if den <= 0:
        raise ITSError("errors='ar1': no pair of consecutive time points to estimate rho from")
    return float(np.clip(num / den, -0.99, 0.99))


def _prais_winsten(
    y: np.ndarray, X: np.ndarray, t: np.ndarray, g: np.ndarray, step: float,
    max_iter: int = 100, tol: float = 1e-8,
) -> tuple[Any, float, int]:
    import statsmodels.api as sm

    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    rho = 0.0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        new_rho = _rho_hat(y - X @ beta, t, g, step)
        yx = _ar1_transform(np.column_stack([y, X]), new_rho, t, g)
        beta = np.linalg.lstsq(yx[:, 1:], yx[:, 0], rcond=None)[0]
        done = abs(new_rho - rho) < tol
        rho = new_rho
        if done:
            break
    yx = _ar1_transform(np.column_stack([y, X]), rho, t, g)
    res = sm.OLS(yx[:, 0], yx[:, 1:]).fit()
    return res, rho, it


def _logdet_w(rho: float, t: np.ndarray, g: np.ndarray) -> float:
    """log|det W| of the AR(1) whitening transform :func:`_ar1_transform`."""
    out = 0.0
    for grp in np.unique(g):
        d = np.diff(np.sort(t[g == grp]))
        out += 0.5 * math.log(1 - rho**2)
        out += 0.5 * float(np.sum(np.log((1 - rho**2) / np.maximum(1 - rho ** (2 * d), 1e-300))))
    return out


@dataclass
class _RemlFit:
    """Result of :func:`_reml_ar1`: GLS estimates and what Satterthwaite's df needs."""

    params: np.ndarray
    cov: np.ndarray
    rho: float
    sigmas: dict[Any, float]
    df_resid: float
    whitened_resid: np.ndarray
    whitened: np.ndarray
    dcov: list[np.ndarray] | None
    theta_cov: np.ndarray | None

    def satterthwaite_df(self, c: np.ndarray) -> float:
        """Satterthwaite degrees of freedom for the contrast ``c @ params``."""
        v = float(c @ self.cov @ c)
        if self.dcov is None or self.theta_cov is None or v <= 0:
            return self.df_resid
        grad = np.array([float(c @ d @ c) for d in self.dcov])
        den = float(grad @ self.theta_cov @ grad)
        if not np.isfinite(den) or den <= 0:
            return self.df_resid
        return float(np.clip(2 * v * v / den, 1.0, self.df_resid))


def _reml_ar1(y: np.ndarray, X: np.ndarray, t: np.ndarray, g: np.ndarray, het: bool) -> _RemlFit:
    """GLS with AR(1) errors by restricted maximum likelihood (REML).

    The errors of each series follow a stationary AR(1) with a common ``rho``;
    with ``het`` each series has its own innovation variance. Gaps in ``t`` are
    handled exactly. This is the model of R's ``nlme::gls(correlation =
    corAR1(), method = "REML")`` (``weights = varIdent(~1 | group)`` with
    ``het``). The covariance of the REML estimates of the variance parameters
    (inverse numerical Hessian) and the derivatives of ``cov(params)`` are kept
    for Satterthwaite's degrees of freedom.
    """
    from scipy import optimize

    n, k = X.shape
    groups = list(np.unique(g))
    gi = np.searchsorted(groups, g)
    n_var = len(groups) if het else 1
    yx = np.column_stack([y, X])

    def whiten(rho: float, log_s: np.ndarray) -> tuple[np.ndarray, float]:
        s_obs = np.exp(log_s[gi] if het else np.full(n, log_s[0]))
        w = _ar1_transform(yx, rho, t, g) / s_obs[:, None]
        return w, float(np.log(s_obs).sum())

    def gls(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        xs, ys = w[:, 1:], w[:, 0]
        xtx = xs.T @ xs
        b = np.linalg.solve(xtx, xs.T @ ys)
        return b, xtx, float(((ys - xs @ b) ** 2).sum())

    def profile(z: np.ndarray) -> float:
        # z = (rho, log ratio of each further group's SD to the first's)
        rho = float(z[0])
        log_l = np.concatenate([[0.0], z[1:]]) if het else np.zeros(1)
        w, sum_log = whiten(rho, log_l)
        try:
            _, xtx, rss = gls(w)
        except np.linalg.LinAlgError:
            return 1e300
        if rss <= 0:
            return 1e300
        return 0.5 * ((n - k) * math.log(rss / (n - k)) - 2 * (_logdet_w(rho, t, g) - sum_log)
                      + np.linalg.slogdet(xtx)[1])

    def negll(theta: np.ndarray) -> float:
        rho = float(theta[-1])
        w, sum_log = whiten(rho, theta[:-1])
        _, xtx, rss = gls(w)
        return 0.5 * (rss - 2 * (_logdet_w(rho, t, g) - sum_log) + np.linalg.slogdet(xtx)[1])

    lim = 0.99
    if n_var == 1:
        opt = optimize.minimize_scalar(lambda r: profile(np.array([r])), bounds=(-lim, lim),
                                       method="bounded", options={"xatol": 1e-7})
        z = np.array([opt.x])
    else:
        b0 = np.linalg.lstsq(X, y, rcond=None)[0]
        r0 = y - X @ b0
        sd = np.array([max(np.std(r0[gi == j]), 1e-8) for j in range(len(groups))])
        z0 = np.concatenate([[0.0], np.log(sd[1:] / sd[0])])
        opt = optimize.minimize(profile, z0, method="L-BFGS-B",
                                bounds=[(-lim, lim)] + [(-10, 10)] * (n_var - 1),
                                options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 500})
        z = np.asarray(opt.x, float)
    rho = float(z[0])
    log_l = np.concatenate([[0.0], z[1:]]) if het else np.zeros(1)
    w, _ = whiten(rho, log_l)
    b, xtx, rss = gls(w)
    s2 = rss / (n - k)
    log_s = log_l + 0.5 * math.log(s2)
    theta = np.concatenate([log_s, [rho]])
    cov = np.linalg.inv(xtx) * s2
    resid = (w[:, 0] - w[:, 1:] @ b) * math.sqrt(s2)

    # Satterthwaite ingredients: covariance of theta-hat and d cov(beta) / d theta.
    dcov: list[np.ndarray] | None = None
    theta_cov: np.ndarray | None = None
    m = len(theta)
    h = np.full(m, 1e-4)
    if abs(rho) < lim - 2e-4:
        try:
            hess = np.empty((m, m))
            for i in range(m):
                for j in range(i, m):
                    ei = np.zeros(m)
                    ej = np.zeros(m)
                    ei[i], ej[j] = h[i], h[j]
                    val = (negll(theta + ei + ej) - negll(theta + ei - ej)
                           - negll(theta - ei + ej) + negll(theta - ei - ej)) / (4 * h[i] * h[j])
                    hess[i, j] = hess[j, i] = val
            if np.all(np.linalg.eigvalsh(hess) > 0):
                theta_cov = np.linalg.inv(hess)

                def cov_at(th: np.ndarray) -> np.ndarray:
                    ww, _ = whiten(float(th[-1]), th[:-1])
                    return np.linalg.inv(ww[:, 1:].T @ ww[:, 1:])

                dcov = []
                for i in range(m):
                    e = np.zeros(m)
                    e[i] = 1e-5
                    dcov.append((cov_at(theta + e) - cov_at(theta - e)) / 2e-5)
        except (np.linalg.LinAlgError, ValueError, OverflowError):
            dcov = theta_cov = None
    return _RemlFit(
        params=b,
        cov=cov,
        rho=rho,
        sigmas={groups[j]: float(math.exp(log_s[j if het else 0])) for j in range(len(groups))},
        df_resid=float(n - k),
        whitened_resid=resid,
        whitened=w,
        dcov=dcov,
        theta_cov=theta_cov,
    )


# --------------------------------------------------------------------------- results


def _fmt(x: float, digits: int = 3) -> str:
    if x is None or not np.isfinite(x):
        return "NA"
    return f"{x:,.{digits}f}"


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@dataclass
class ITSDiagnostics:
    """Residual checks for an ITS fit.

    Attributes
    ----------
    acf
        Residual autocorrelation and partial autocorrelation by series and lag.
    ljung_box
        Ljung-Box test of residual autocorrelation by series and lag.
    breusch_godfrey
        Breusch-Godfrey LM test (gaussian single-series fits), else ``None``.
    dispersion
        Pearson chi-square / residual df (count families), else ``None``.
    dispersion_p
        P-value of the Pearson chi-square test of no over-dispersion.
    rho
        Estimated AR(1) coefficient (``errors="ar1"``), else ``None``.
    residual_kind
        Which residuals were examined.
    warnings
        Plain-language warnings (few points, gaps, autocorrelation, ...).
    """

    acf: pd.DataFrame
    ljung_box: pd.DataFrame
    breusch_godfrey: dict[str, float] | None
    dispersion: float | None
    dispersion_p: float | None
    rho: float | None
    residual_kind: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _resid: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def to_text(self) -> str:
        """Plain-text report of the diagnostics."""
        lines = [f"Residuals examined: {self.residual_kind}."]
        for s, sub in self.ljung_box.groupby("series", sort=False):
            last = sub.iloc[-1]
            a1 = self.acf.loc[(self.acf["series"] == s) & (self.acf["lag"] == 1), "acf"]
            a1s = _fmt(float(a1.iloc[0])) if len(a1) else "NA"
            lines.append(
                f"{s}: lag-1 autocorrelation {a1s}; Ljung-Box up to lag {int(last['lag'])}: "
                f"Q = {_fmt(last['statistic'], 2)}, {_fmt_p(last['p_value'])}"
            )
        if self.breusch_godfrey is not None:
            bg = self.breusch_godfrey
            lines.append(
                f"Breusch-Godfrey (lags {int(bg['lags'])}): LM = {_fmt(bg['lm'], 2)}, "
                f"{_fmt_p(bg['p_value'])}"
            )
        if self.rho is not None:
            lines.append(f"Estimated AR(1) coefficient rho = {_fmt(self.rho)}")
        if self.dispersion is not None:
            lines.append(
                f"Over-dispersion: Pearson chi2 / df = {_fmt(self.dispersion)} "
                f"(test of no over-dispersion: {_fmt_p(self.dispersion_p or np.nan)})"
            )
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"- {w}" for w in self.warnings]
        else:
            lines.append("Warnings: none")
        if self.notes:
            lines.append("Notes:")
            lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def plot(self):
        """ACF and PACF bar charts of the residuals, one row per series."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        series = list(dict.fromkeys(self.acf["series"]))
        fig, axes = plt.subplots(len(series), 2, figsize=(9, 2.8 * len(series)), squeeze=False)
        for i, s in enumerate(series):
            sub = self.acf.loc[self.acf["series"] == s]
            n = len(self._resid.get(s, [])) or 1
            band = 1.96 / math.sqrt(n)
            for j, col in enumerate(("acf", "pacf")):
                ax = axes[i, j]
                ax.bar(sub["lag"], sub[col], width=0.3, color="C0")
                ax.axhline(0, color="black", lw=0.8)
                ax.axhspan(-band, band, color="C0", alpha=0.12)
                ax.set_title(f"{s}: residual {col.upper()}")
                ax.set_xlabel("lag")
                ax.set_ylim(-1, 1)
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        return fig


@dataclass
class ITSResults:
    """Results of :func:`fit_its`. Build with :func:`fit_its`, not directly."""

    model: Any
    params: pd.Series
    cov: pd.DataFrame
    df_resid: float
    use_t: bool
    alpha: float
    family: str
    errors: str
    impact: str
    outcome: str
    time: str
    start: float
    terms: dict[str, str]
    design: pd.DataFrame
    frame: pd.DataFrame
    controlled: bool
    offset: str | None
    harmonics: int
    period: float
    lags: int | None
    rho: float | None
    scale: float
    notes: list[str]
    step: float
    labels: dict[str, str]
    log_outcome: bool = False
    ar1_method: str | None = None
    reml: _RemlFit | None = None
    sigmas: dict[str, float] | None = None

    # ---------------------------------------------------------------- basics
    @property
    def log_link(self) -> bool:
        """True when effects are ratios (log link, or a log-transformed outcome)."""
        return self.family != "gaussian" or self.log_outcome

    def df(self, c: np.ndarray | None = None) -> float:
        """Degrees of freedom for the t reference of contrast ``c @ params``.

        Satterthwaite's approximation for the REML AR(1) fit, else the residual df.
        """
        if self.reml is not None and c is not None:
            return self.reml.satterthwaite_df(np.asarray(c, float))
        return self.df_resid

    def _crit(self, alpha: float | None = None, c: np.ndarray | None = None) -> float:
        a = self.alpha if alpha is None else alpha
        if self.use_t:
            return float(stats.t.ppf(1 - a / 2, self.df(c)))
        return float(stats.norm.ppf(1 - a / 2))

    def _pvalue(self, z: float, c: np.ndarray | None = None) -> float:
        if self.use_t:
            return float(2 * stats.t.sf(abs(z), self.df(c)))
        return float(2 * stats.norm.sf(abs(z)))

    def _unit(self, term: str) -> np.ndarray:
        c = np.zeros(len(self.params))
        c[list(self.params.index).index(term)] = 1.0
        return c

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params` (link scale)."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Wald intervals for every coefficient, on the link scale."""
        se = self.bse
        q = np.array([self._crit(alpha, self._unit(term)) for term in self.params.index])
        return pd.DataFrame({"lower": self.params - q * se, "upper": self.params + q * se})

    def coef_table(self) -> pd.DataFrame:
        """All coefficients (link scale) with SE, df, interval and p-value."""
        ci = self.conf_int()
        se = self.bse
        units = [self._unit(term) for term in self.params.index]
        return pd.DataFrame(
            {
                "coef": self.params,
                "se": se,
                "df": [self.df(c) if self.use_t else np.inf for c in units],
                "ci_lower": ci["lower"],
                "ci_upper": ci["upper"],
                "p_value": [self._pvalue(b / v, c) if v > 0 else np.nan
                            for b, v, c in zip(self.params, se, units, strict=True)],
            },
        )

    @property
    def effects(self) -> pd.DataFrame:
        """The intervention effects, indexed by ``level`` and/or ``slope``.

        Columns ``estimate, ci_lower, ci_upper, p_value``; ratios (``exp``) for
        log-link families, differences in the outcome's units for gaussian.
        """
        rows = {}
        for k, term in self.terms.items():
            c = self._unit(term)
            b = float(self.params[term])
            se = float(math.sqrt(self.cov.loc[term, term]))
            q = self._crit(None, c)
            vals = [b, b - q * se, b + q * se]
            if self.log_link:
                vals = [math.exp(v) for v in vals]
            rows[k] = [*vals, self._pvalue(b / se, c) if se > 0 else np.nan]
        out = pd.DataFrame.from_dict(
            rows, orient="index", columns=["estimate", "ci_lower", "ci_upper", "p_value"]
        )
        out.index.name = "effect"
        return out

    def effect_at(self, time: float) -> pd.Series:
        """Combined effect (level + slope x (time - start)) at ``time``, with interval.

        Returns a Series ``estimate, ci_lower, ci_upper, p_value`` (ratio for log links).
        """
        if time < self.start:
            raise ITSError(f"time: {time} is before the start ({self.start:g})")
        w = pd.Series(0.0, index=self.params.index)
        if "level" in self.terms:
            w[self.terms["level"]] = 1.0
        if "slope" in self.terms:
            w[self.terms["slope"]] = time - self.start
        est = float(w @ self.params)
        c = w.to_numpy()
        se = float(np.sqrt(c @ self.cov.to_numpy() @ c))
        q = self._crit(None, c)
        vals = [est, est - q * se, est + q * se]
        if self.log_link:
            vals = [math.exp(v) for v in vals]
        p = self._pvalue(est / se, c) if se > 0 else np.nan
        return pd.Series(vals + [p], index=["estimate", "ci_lower", "ci_upper", "p_value"])

    # ---------------------------------------------------------------- counterfactual
    def _link_pred(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        Xa = X[self.params.index].to_numpy(float)
        eta = Xa @ self.params.to_numpy()
        var = np.einsum("ij,jk,ik->i", Xa, self.cov.to_numpy(), Xa)
        q = np.array([self._crit(None, row) for row in Xa])
        return eta, np.sqrt(np.maximum(var, 0)), q

    def _log_off(self) -> np.ndarray:
        f = self.frame
        return np.log(f["off"].to_numpy(float)) if self.log_link else np.zeros(len(f))

    def counterfactual(self, rate_per: float | None = None) -> pd.DataFrame:
        """Observed, fitted and counterfactual values at every time point.

        The counterfactual sets the intervention terms (level and slope changes
        of the treated series) to zero: the pre-intervention trend continued.

        Parameters
        ----------
        rate_per
            With an ``offset``: report rates per this many (e.g. 100000)
            instead of counts.

        Returns
        -------
        pandas.DataFrame
            ``series, time, post, observed, fitted, counterfactual, cf_lower,
            cf_upper`` (and ``offset``). The interval is for the counterfactual
            mean, from parameter uncertainty only.
        """
        X = self.design
        Xcf = X.copy()
        for term in self.terms.values():
            Xcf[term] = 0.0
        eta, _, _ = self._link_pred(X)
        eta_cf, se_cf, q = self._link_pred(Xcf)
        f = self.frame
        off = self._log_off()
        if self.log_link:
            fitted = np.exp(eta + off)
            cf, lo, hi = (np.exp(v + off) for v in (eta_cf, eta_cf - q * se_cf, eta_cf + q * se_cf))
        else:
            fitted, cf, lo, hi = eta, eta_cf, eta_cf - q * se_cf, eta_cf + q * se_cf
        out = pd.DataFrame(
            {
                "series": np.where(f["g"].to_numpy() == 1, self.labels["treated"],
                                   self.labels["control"]),
                "time": f["t"].to_numpy(),
                "post": f["t"].to_numpy() >= self.start,
                "observed": f["y"].to_numpy(float),
                "fitted": fitted,
                "counterfactual": cf,
                "cf_lower": lo,
                "cf_upper": hi,
            }
        )
        if self.offset is not None:
            out["offset"] = f["off"].to_numpy(float)
            if rate_per is not None:
                for c in ("observed", "fitted", "counterfactual", "cf_lower", "cf_upper"):
                    out[c] = out[c] / out["offset"] * rate_per
        elif rate_per is not None:
            raise ITSError("rate_per: needs a model fitted with offset=")
        return out

    def post_period_totals(self) -> dict[str, float]:
        """Observed and counterfactual totals over the treated series' post period.

        The interval for the counterfactual total is a delta-method interval
        (on the log scale for log links) from parameter uncertainty only.
        """
        X = self.design
        Xcf = X.copy()
        for term in self.terms.values():
            Xcf[term] = 0.0
        f = self.frame
        m = ((f["g"] == 1) & (f["t"] >= self.start)).to_numpy()
        Xa = Xcf.loc[m, self.params.index].to_numpy(float)
        eta = Xa @ self.params.to_numpy()
        if self.log_link:
            mu = np.exp(eta + np.log(f.loc[m, "off"].to_numpy(float)))
            total = float(mu.sum())
            grad = mu @ Xa
        else:
            total = float(eta.sum())
            grad = Xa.sum(axis=0)
        se = float(np.sqrt(grad @ self.cov.to_numpy() @ grad))
        q = self._crit(None, grad)
        if self.log_link:
            lo, hi = total * math.exp(-q * se / total), total * math.exp(q * se / total)
        else:
            lo, hi = total - q * se, total + q * se
        return {
            "observed": float(f.loc[m, "y"].sum()),
            "counterfactual": total,
            "cf_lower": lo,
            "cf_upper": hi,
            "n_post": int(m.sum()),
        }

    # ---------------------------------------------------------------- text
    def _model_text(self) -> str:
        fam = {
            "gaussian": ("linear regression of log(" + self.outcome + ")" if self.log_outcome
                         else "linear regression"),
            "poisson": "Poisson regression (log link)",
            "quasipoisson": f"quasi-Poisson regression (log link; dispersion {self.scale:.3f})",
        }[self.family]
        parts = [fam]
        if self.offset:
            parts.append(f"offset log({self.offset})")
        parts.append({"level": "level change only", "slope": "slope change only",
                      "level+slope": "level and slope changes"}[self.impact])
        if self.harmonics:
            parts.append(f"{self.harmonics} sine/cosine pair(s) over a period of {self.period:g}")
        if self.controlled:
            parts.append(f"controlled by '{self.labels['control']}' (difference-in-differences terms)")
        if self.errors == "ar1":
            how = {
                "reml": "GLS, REML" + (", a variance per series" if self.controlled else ""),
                "prais-winsten": "Prais-Winsten GLS",
                "gee": "GEE, AR(1) working correlation",
            }[self.ar1_method or "gee"]
            err = _ERROR_LABEL["ar1"].format(how=how, rho=self.rho if self.rho is not None else np.nan)
        else:
            err = _ERROR_LABEL[self.errors].format(lags=self.lags)
        if not self.use_t:
            dist = "normal"
        elif self.reml is not None:
            dist = "t with Satterthwaite df"
        else:
            dist = f"t on {self.df_resid:g} df"
        level = int(round(100 * (1 - self.alpha)))
        return "; ".join(parts) + f". Standard errors: {err}; {level}% Wald intervals ({dist})."

    def _points(self) -> list[tuple[str, int, int]]:
        f = self.frame
        out = []
        for gval, lab in ((1, self.labels["treated"]), (0, self.labels["control"])):
            sub = f.loc[f["g"] == gval]
            if len(sub):
                out.append((lab, int((sub["t"] < self.start).sum()), int((sub["t"] >= self.start).sum())))
        return out

    def summary(self, digits: int = 3) -> str:
        """A plain-language report of the effect, its interval and the model."""
        lvl = int(round(100 * (1 - self.alpha)))
        pts = self._points()
        tname = self.labels["treated"]
        f = self.frame
        tr = f.loc[f["g"] == 1, "t"]
        lines = [
            f"Interrupted time series of '{self.outcome}' for {tname}: {pts[0][1]} time points "
            f"before {self.time} = {self.start:g} and {pts[0][2]} from it "
            f"({self.time} {tr.min():g} to {tr.max():g}).",
        ]
        if self.controlled:
            lines.append(
                f"Comparison series '{pts[1][0]}': {pts[1][1]} points before and {pts[1][2]} "
                "from the start. The effects below are the treated series' changes over and "
                "above the changes the comparison series shows at the same time."
            )
        lines.append(f"Model: {self._model_text()}")
        eff = self.effects
        if "level" in eff.index:
            r = eff.loc["level"]
            lines.append(
                f"Level change at {self.time} = {self.start:g}: "
                + self._effect_words(r, digits, "immediately")
                + f" ({lvl}% CI {_fmt(r['ci_lower'], digits)} to {_fmt(r['ci_upper'], digits)}; "
                f"{_fmt_p(r['p_value'])})."
            )
        if "slope" in eff.index:
            r = eff.loc["slope"]
            lines.append(
                f"Slope change {self._per()} after the start: "
                + self._effect_words(r, digits, self._per())
                + f" ({lvl}% CI {_fmt(r['ci_lower'], digits)} to {_fmt(r['ci_upper'], digits)}; "
                f"{_fmt_p(r['p_value'])})."
            )
        end = float(tr.max())
        if "slope" in eff.index and end > self.start:
            c = self.effect_at(end)
            lines.append(
                f"Combined effect at {self.time} = {end:g}: "
                + self._effect_words(c, digits, "")
                + f" ({lvl}% CI {_fmt(c['ci_lower'], digits)} to {_fmt(c['ci_upper'], digits)})."
            )
        tot = self.post_period_totals()
        diff = tot["observed"] - tot["counterfactual"]
        rel = diff / tot["counterfactual"] if tot["counterfactual"] else np.nan
        lines.append(
            f"Post period ({tot['n_post']} points): observed total {_fmt(tot['observed'], 1)}, "
            f"against {_fmt(tot['counterfactual'], 1)} expected had the pre-intervention pattern "
            f"continued ({lvl}% CI {_fmt(tot['cf_lower'], 1)} to {_fmt(tot['cf_upper'], 1)}; "
            f"parameter uncertainty only): a difference of {_fmt(diff, 1)} ({rel:+.1%})."
        )
        any_sig = bool((eff["p_value"] < self.alpha).any())
        lines.append(
            "Reading: "
            + (
                f"at least one interval excludes no change, so the data are hard to reconcile "
                f"with no change at {self.start:g}"
                if any_sig
                else "every interval includes no change, so the data are compatible with no "
                "change at the start"
            )
            + ". An ITS attributes to the intervention any change that coincides with it; "
            "other changes at the same time (policy, data recording, local events) are not "
            "separated out" + (" unless the comparison series shares them." if self.controlled else ".")
        )
        diag_warn = self._basic_warnings()
        if diag_warn:
            lines.append("Cautions: " + " ".join(diag_warn))
        if self.notes:
            lines.append("Notes: " + "; ".join(self.notes) + ".")
        return "\n".join(lines)

    def _effect_words(self, r: pd.Series, digits: int, when: str) -> str:
        est = r["estimate"]
        if self.log_link:
            pct = (est - 1) * 100
            word = "higher" if pct >= 0 else "lower"
            return f"ratio {_fmt(est, digits)}, i.e. {abs(pct):.1f}% {word}" + (
                f" {when}" if when else ""
            ) + " than the counterfactual"
        word = "up" if est >= 0 else "down"
        return f"{word} {_fmt(abs(est), digits)}" + (f" {when}" if when else "") + (
            " against the counterfactual"
        )

    def _per(self) -> str:
        return f"per {self.time}" if self.time in ("year", "month", "week", "day", "quarter") \
            else f"per unit of {self.time}"

    def _basic_warnings(self) -> list[str]:
        w = []
        if self.rho is not None and abs(self.rho) >= 0.98:
            w.append(
                f"the AR(1) coefficient is estimated at {self.rho:.2f}, at the edge of its range: "
                "the data cannot separate the trend from autocorrelation, and the intervals of "
                "this fit are not reliable; compare errors='naive' and 'newey-west'."
            )
        for lab, npre, npost in self._points():
            if npre < MIN_POINTS_WARN or npost < MIN_POINTS_WARN:
                w.append(
                    f"{lab} has {npre} points before and {npost} after the start; with fewer than "
                    f"{MIN_POINTS_WARN} on either side the trends and the autocorrelation are poorly "
                    "estimated and the intervals may be too narrow."
                )
        return w

    def __repr__(self) -> str:
        return f"<ITSResults {self.family}, errors={self.errors!r}>\n{self.effects.to_string()}"

    # ---------------------------------------------------------------- diagnostics
    def _residuals(self) -> tuple[np.ndarray, str]:
        m = self.model
        if self.family == "gaussian":
            if self.errors == "ar1":
                return np.asarray(m.resid), "residuals whitened with the estimated AR(1)"
            return np.asarray(m.resid), "OLS residuals"
        if self.errors == "ar1":
            mu = np.asarray(m.fittedvalues)
            f = self.frame
            r = (f["y"].to_numpy(float) - mu) / np.sqrt(mu)
            w = _ar1_transform(r[:, None], float(self.rho or 0.0), f["t"].to_numpy(float),
                               f["g"].to_numpy())[:, 0]
            return w, "Pearson residuals of the GEE fit, whitened with the estimated AR(1)"
        return np.asarray(m.resid_pearson), "Pearson residuals"

    def diagnostics(self, lags: int | None = None) -> ITSDiagnostics:
        """Residual autocorrelation, over-dispersion and warnings.

        Parameters
        ----------
        lags
            Largest lag for the ACF/PACF and the tests (default ``min(12, n/2 - 1)``
            for the shortest series, at least 1).
        """
        from statsmodels.stats.diagnostic import acorr_breusch_godfrey, acorr_ljungbox
        from statsmodels.tsa.stattools import acf, pacf

        resid, kind = self._residuals()
        f = self.frame
        acf_rows, lb_rows = [], []
        res_by: dict[str, np.ndarray] = {}
        warns = list(self._basic_warnings())
        for gval, lab in ((1, self.labels["treated"]), (0, self.labels["control"])):
            m = (f["g"] == gval).to_numpy()
            if not m.any():
                continue
            r = resid[m]
            res_by[lab] = r
            n = len(r)
            L = lags if lags is not None else min(12, n // 2 - 1)
            L = max(1, min(L, n // 2 - 1)) if n >= 4 else 0
            if L < 1:
                warns.append(f"{lab}: too few points ({n}) for residual autocorrelation checks")
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = acf(r, nlags=L, fft=False)
                try:
                    p = pacf(r, nlags=L, method="ywm")
                except (ValueError, np.linalg.LinAlgError):
                    p = np.full(L + 1, np.nan)
                lb = acorr_ljungbox(r, lags=list(range(1, L + 1)))
            for k in range(1, L + 1):
                acf_rows.append({"series": lab, "lag": k, "acf": a[k], "pacf": p[k]})
            for k in range(1, L + 1):
                lb_rows.append({"series": lab, "lag": k, "statistic": float(lb["lb_stat"].iloc[k - 1]),
                                "p_value": float(lb["lb_pvalue"].iloc[k - 1])})
            last_p = float(lb["lb_pvalue"].iloc[-1])
            first_p = float(lb["lb_pvalue"].iloc[0])
            if min(first_p, last_p) < 0.05:
                what = (
                    "remaining after the AR(1) correction"
                    if self.errors == "ar1"
                    else "in the residuals"
                )
                warns.append(
                    f"{lab}: autocorrelation {what} (Ljung-Box p = {min(first_p, last_p):.3f}); "
                    + ("errors='naive' intervals will be too narrow; use 'ar1' or 'newey-west'."
                       if self.errors == "naive" else "the intervals may be too narrow.")
                )
        t_tr = f.loc[f["g"] == 1, "t"].to_numpy()
        gaps = np.diff(np.sort(t_tr))
        if len(gaps) and not np.allclose(gaps, self.step):
            warns.append(
                "the time index has gaps (missing or left-out points); the ACF and Newey-West "
                "lags count positions, not time (the AR(1) fit handles gaps exactly)"
            )
        bg = None
        if self.family == "gaussian" and not self.controlled:
            n = len(resid)
            L = lags if lags is not None else min(12, n // 2 - 1)
            L = max(1, min(L, n // 2 - 1))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    lm, lmp, _, _ = acorr_breusch_godfrey(self.model, nlags=L)
                bg = {"lm": float(lm), "p_value": float(lmp), "lags": L}
            except (ValueError, np.linalg.LinAlgError):
                bg = None
        disp = disp_p = None
        if self.family != "gaussian":
            mu = self.counterfactual()["fitted"].to_numpy()
            y = f["y"].to_numpy(float)
            chi2 = float((((y - mu) ** 2) / mu).sum())
            dfr = len(y) - len(self.params)
            disp = chi2 / dfr
            disp_p = float(stats.chi2.sf(chi2, dfr))
            if self.family == "poisson" and disp_p < 0.05:
                warns.append(
                    f"over-dispersion (Pearson chi2/df = {disp:.2f}); family='poisson' intervals "
                    "are too narrow: use 'quasipoisson'"
                )
        return ITSDiagnostics(
            acf=pd.DataFrame(acf_rows, columns=["series", "lag", "acf", "pacf"]),
            ljung_box=pd.DataFrame(lb_rows, columns=["series", "lag", "statistic", "p_value"]),
            breusch_godfrey=bg,
            dispersion=disp,
            dispersion_p=disp_p,
            rho=self.rho,
            residual_kind=kind,
            warnings=warns,
            notes=list(self.notes),
            _resid=res_by,
        )

    # ---------------------------------------------------------------- plot
    def plot(self, ax=None, rate_per: float | None = None, title: str | None = None,
             ylabel: str | None = None):
        """Observed points, fitted segments, dashed counterfactual, shaded post period.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        cf = self.counterfactual(rate_per=rate_per)
        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4.2))
        else:
            fig = ax.figure
        half = self.step / 2
        ax.axvspan(self.start - half, cf["time"].max() + half, color="0.85", alpha=0.5, lw=0,
                   label="post period")
        styles = {self.labels["treated"]: ("C0", "o"), self.labels["control"]: ("0.45", "s")}
        for lab, sub in cf.groupby("series", sort=False):
            col, mk = styles.get(lab, ("C1", "^"))
            ax.plot(sub["time"], sub["observed"], mk, color=col, ms=4.5, label=f"{lab}: observed")
            for seg in (sub.loc[~sub["post"]], sub.loc[sub["post"]]):
                if len(seg):
                    ax.plot(seg["time"], seg["fitted"], "-", color=col, lw=1.8)
            if lab == self.labels["treated"]:
                post = sub.loc[sub["post"]]
                pre = sub.loc[~sub["post"]]
                line = pd.concat([pre.tail(1), post]) if len(pre) else post
                ax.plot(line["time"], line["counterfactual"], "--", color=col, lw=1.5,
                        label=f"{lab}: counterfactual")
                level = int(round(100 * (1 - self.alpha)))
                ax.fill_between(post["time"], post["cf_lower"], post["cf_upper"], color=col,
                                alpha=0.12, lw=0, label=f"counterfactual {level}% CI")
        # keep the axis on the data: a very wide interval is cut off, not allowed to flatten the plot
        core = pd.concat([cf["observed"], cf["fitted"], cf["counterfactual"]]).to_numpy(float)
        core = core[np.isfinite(core)]
        if len(core):
            lo, hi = float(core.min()), float(core.max())
            pad = 0.25 * (hi - lo if hi > lo else abs(hi) or 1.0)
            band_lo, band_hi = float(cf["cf_lower"].min()), float(cf["cf_upper"].max())
            ax.set_ylim(max(band_lo, lo - pad), min(band_hi, hi + pad) if band_hi > hi else hi + pad)
            if self.log_link or (cf["observed"] >= 0).all():
                ax.set_ylim(bottom=max(0.0, ax.get_ylim()[0]))
        ax.set_xlabel(self.time)
        ax.set_ylabel(ylabel or (self.outcome if rate_per is None else f"{self.outcome} per {rate_per:g}"))
        if title:
            ax.set_title(title)
        ax.legend(fontsize="small", loc="best")
        return fig


# --------------------------------------------------------------------------- entry point


def fit_its(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    start: float,
    *,
    family: str = "gaussian",
    offset: str | None = None,
    season: str | None = None,
    harmonics: int = 0,
    period: float = 12,
    impact: str = "level+slope",
    control: pd.DataFrame | Any | None = None,
    group: str | None = None,
    errors: str = DEFAULT_ERRORS,
    lags: int | None = None,
    alpha: float = 0.05,
    use_t: bool | None = None,
    control_pool: str | None = None,
    labels: tuple[str, str] = ("treated", "comparison"),
    log_outcome: bool = False,
    ar1_method: str = "reml",
    group_variances: bool = True,
) -> ITSResults:
    """Fit an interrupted time series (segmented regression), single or controlled.

    Parameters
    ----------
    data
        The series in long format: one row per time point (or, with ``group``
        and a non-DataFrame ``control``, the treated and comparison series stacked).
    outcome, time
        Column names of the outcome and the numeric time index.
    start
        Value of ``time`` at which the intervention begins; ``time >= start``
        is the post period.
    family
        ``"gaussian"`` (OLS), ``"poisson"`` or ``"quasipoisson"`` (log link;
        Pearson chi-square dispersion).
    offset
        Column of a population, entered as ``log(offset)`` (log-link families only).
    season, harmonics, period
        ``harmonics`` sine/cosine pairs of column ``season`` over ``period``
        (as R's ``tsModel::harmonic(season, harmonics, period)``).
    impact
        ``"level"``, ``"slope"`` or ``"level+slope"``.
    control
        Comparison series for a controlled ITS: a DataFrame with the same
        columns, or a value (or list of values) of the ``group`` column of
        ``data`` marking the comparison rows.
    group
        Column identifying series. With a DataFrame ``control`` holding several
        series they are pooled (``control_pool``); with a value ``control`` the
        rows of ``data`` not in ``control`` are the treated series.
    errors
        ``"newey-west"``, ``"ar1"`` or ``"naive"`` (see the module docstring).
        Default :data:`DEFAULT_ERRORS`.
    lags
        Newey-West lags (default :func:`newey_west_lags` of the series length).
    alpha
        1 - confidence level of the intervals.
    use_t
        t (residual df) rather than normal intervals and p-values. Default:
        True for gaussian, False for the count families.
    control_pool
        How several comparison series are combined at each time point: ``"sum"``
        (default for counts: pooled counts and populations) or ``"mean"``
        (default for gaussian).
    labels
        Names of the treated and comparison series in text and plots.
    log_outcome
        With ``family="gaussian"``: model ``log(outcome)`` (``log(outcome /
        offset)`` with an offset), so that effects are ratios, as for the count
        families; fitted and counterfactual values are back-transformed
        (geometric means). Needs positive outcomes.
    ar1_method
        Gaussian ``errors="ar1"``: ``"reml"`` (default; GLS with the AR(1)
        parameter and variances by REML, t intervals with Satterthwaite's df)
        or ``"prais-winsten"`` (iterated Prais-Winsten FGLS, t on the residual df).
    group_variances
        Controlled gaussian ``"ar1"`` REML fit: a separate error variance for
        the treated and the comparison series (default True).

    Returns
    -------
    ITSResults

    Raises
    ------
    ITSError
        For a bad argument (unknown column or option, start outside the series,
        too few points, non-positive offset, negative or fractional counts, ...).
    """
    import statsmodels.api as sm

    if family not in FAMILIES:
        raise ITSError(f"family: {family!r} is not one of {', '.join(FAMILIES)}")
    if errors not in ERRORS:
        raise ITSError(f"errors: {errors!r} is not one of {', '.join(ERRORS)}")
    if impact not in IMPACTS:
        raise ITSError(f"impact: {impact!r} is not one of {', '.join(IMPACTS)}")
    if not isinstance(harmonics, int | np.integer) or harmonics < 0:
        raise ITSError(f"harmonics: {harmonics!r} must be a whole number >= 0")
    if harmonics and season is None:
        raise ITSError("harmonics: Fourier terms need season= (the column holding e.g. the month)")
    if not (isinstance(period, int | float | np.number) and period > 0):
        raise ITSError(f"period: {period!r} must be a positive number")
    if offset is not None and family == "gaussian" and not log_outcome:
        raise ITSError(
            "offset: an offset is a log population for the log-link families (or gaussian with "
            "log_outcome=True); with family='gaussian' model a rate column as the outcome instead"
        )
    if log_outcome and family != "gaussian":
        raise ITSError("log_outcome: only for family='gaussian' (the count families use a log link)")
    if ar1_method not in ("reml", "prais-winsten"):
        raise ITSError(f"ar1_method: {ar1_method!r} must be 'reml' or 'prais-winsten'")
    if lags is not None and (not isinstance(lags, int | np.integer) or lags < 0):
        raise ITSError(f"lags: {lags!r} must be a whole number >= 0")
    if not 0 < alpha < 1:
        raise ITSError(f"alpha: {alpha!r} must be between 0 and 1")
    if control_pool not in (None, "sum", "mean"):
        raise ITSError(f"control_pool: {control_pool!r} must be 'sum' or 'mean'")
    try:
        start = float(start)
    except (TypeError, ValueError):
        raise ITSError(f"start: {start!r} is not a value of the numeric time column") from None
    if not isinstance(data, pd.DataFrame):
        raise ITSError(f"data: expected a pandas DataFrame, got {type(data).__name__}")

    notes: list[str] = []
    kw = {"outcome": outcome, "time": time, "offset": offset, "season": season, "family": family}
    controlled = control is not None
    pool = control_pool or ("mean" if family == "gaussian" else "sum")
    if not controlled:
        if group is not None:
            raise ITSError(
                "group: given without control=; pass control= (the comparison series, or the "
                "group value(s) that mark them) for a controlled ITS"
            )
        treated = _series_frame(data, "data", notes=notes, **kw)
        frame = treated.assign(g=1)
    else:
        if isinstance(control, pd.DataFrame):
            treated = _series_frame(data, "data", notes=notes, **kw)
            if group is not None:
                _check_columns(control, "control", {"group": group})
                parts = []
                for gv, sub in control.groupby(group, sort=True):
                    s = _series_frame(sub, f"control ({group}={gv})", notes=notes, **kw)
                    parts.append(s.assign(_gv=gv))
                if not parts:
                    raise ITSError("control: the comparison DataFrame has no rows")
                cat = pd.concat(parts, ignore_index=True)
                comp = _pool(cat.drop(columns="_gv"), cat["_gv"], pool, "control", notes)
            else:
                comp = _series_frame(control, "control", notes=notes, **kw)
        else:
            if group is None:
                raise ITSError(
                    "control: a non-DataFrame control names comparison rows of data and needs "
                    "group= (the column identifying the series)"
                )
            _check_columns(data, "data", {"group": group})
            values = list(control) if isinstance(control, list | tuple | set | np.ndarray) else [control]
            is_c = data[group].isin(values)
            if not is_c.any():
                raise ITSError(
                    f"control: no rows of data have {group} in {values}; "
                    f"values present: {sorted(map(str, data[group].unique()))[:10]}"
                )
            tr_rows = data.loc[~is_c]
            if tr_rows[group].nunique() != 1:
                raise ITSError(
                    f"group: rows not in control= must be one treated series; found "
                    f"{tr_rows[group].nunique()} ({sorted(map(str, tr_rows[group].unique()))[:10]})"
                )
            treated = _series_frame(tr_rows, "data (treated rows)", notes=notes, **kw)
            parts = []
            for gv, sub in data.loc[is_c].groupby(group, sort=True):
                parts.append(_series_frame(sub, f"data ({group}={gv})", notes=notes, **kw).assign(_gv=gv))
            cat = pd.concat(parts, ignore_index=True)
            comp = _pool(cat.drop(columns="_gv"), cat["_gv"], pool, "control", notes)
        frame = pd.concat([treated.assign(g=1), comp.assign(g=0)], ignore_index=True)
        frame = frame.sort_values(["g", "t"], ascending=[False, True]).reset_index(drop=True)

    # points either side
    for gval, lab in ((1, "data" if not controlled else "treated series"), (0, "control")):
        sub = frame.loc[frame["g"] == gval, "t"]
        if gval == 0 and not controlled:
            continue
        if len(sub) == 0:
            raise ITSError(f"{lab}: no usable time points")
        npre, npost = int((sub < start).sum()), int((sub >= start).sum())
        if npre == 0 or npost == 0:
            raise ITSError(
                f"start: {start:g} is outside the {lab}'s time range {sub.min():g}-{sub.max():g}; "
                "there must be points both before and from the start"
            )
        if npre < 2:
            raise ITSError(f"start: the {lab} has {npre} point before {start:g}; at least 2 are needed")
        if "slope" in impact and npost < 2:
            raise ITSError(
                f"start: the {lab} has {npost} point from {start:g}; a slope change needs at least 2"
            )
    t_all = np.sort(frame.loc[frame["g"] == 1, "t"].unique())
    step = float(np.min(np.diff(t_all))) if len(t_all) > 1 else 1.0

    X, terms = _design(frame, start, impact, harmonics, period, controlled)
    n, k = X.shape
    if n - k < 1:
        raise ITSError(f"data: {n} points are too few for the {k} coefficients of this model")
    rank = np.linalg.matrix_rank(X.to_numpy())
    if rank < k:
        raise ITSError(
            f"data: the model's terms {list(X.columns)} are collinear (rank {rank} < {k}); "
            "check season (constant?), harmonics (too many for the period?) and the time points"
        )
    y = frame["y"].to_numpy(float)
    if log_outcome:
        if (y <= 0).any():
            i = int(np.flatnonzero(y <= 0)[0])
            raise ITSError(
                f"outcome: log_outcome=True needs positive values; {outcome!r} is {y[i]:g} at "
                f"{time} = {frame['t'].iloc[i]:g}"
            )
        y = np.log(y) - np.log(frame["off"].to_numpy(float))
    g = frame["g"].to_numpy()
    t = frame["t"].to_numpy(float)
    if lags is None:
        lags = newey_west_lags(int((g == 1).sum()))
    rho = None
    scale = 1.0
    reml_fit: _RemlFit | None = None
    sigmas: dict[str, float] | None = None
    used_ar1 = None
    use_t = (family == "gaussian") if use_t is None else bool(use_t)
    df_resid = float(n - k)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "gaussian":
            if errors == "ar1" and ar1_method == "reml":
                used_ar1 = "reml"
                reml_fit = _reml_ar1(y, X.to_numpy(float), t, g, het=controlled and group_variances)
                w = reml_fit.whitened
                model = sm.OLS(w[:, 0], w[:, 1:]).fit()
                params, cov, rho = reml_fit.params, reml_fit.cov, reml_fit.rho
                lab = {1: labels[0], 0: labels[1]}
                sigmas = {lab[int(k)]: v for k, v in reml_fit.sigmas.items()}
            elif errors == "ar1":
                used_ar1 = "prais-winsten"
                model, rho, _ = _prais_winsten(y, X.to_numpy(), t, g, step)
                cov = model.cov_params()
                params = model.params
                df_resid = float(model.df_resid)
            else:
                ols = sm.OLS(y, X)
                if errors == "naive":
                    model = ols.fit()
                elif controlled:
                    model = ols.fit(cov_type="hac-panel",
                                    cov_kwds={"groups": g, "maxlags": lags})
                else:
                    model = ols.fit(cov_type="HAC", cov_kwds={"maxlags": lags})
                params, cov = model.params.to_numpy(), model.cov_params().to_numpy()
            scale = float(model.scale)
        else:
            log_off = np.log(frame["off"].to_numpy(float))
            fam = sm.families.Poisson()
            if errors == "ar1":
                used_ar1 = "gee"
                gee = sm.GEE(y, X, groups=g, time=t, family=fam, offset=log_off,
                             cov_struct=sm.cov_struct.Autoregressive(grid=True))
                # scale=None fixes the Poisson scale at 1; any other text estimates it
                # from the Pearson residuals (sum r^2 / (n - k)).
                model = gee.fit(cov_type="naive",
                                scale=1.0 if family == "poisson" else "X2")
                rho = float(model.cov_struct.dep_params)
                scale = float(model.scale)
            else:
                glm = sm.GLM(y, X, family=fam, offset=log_off)
                if errors == "naive":
                    model = glm.fit(scale=1.0 if family == "poisson" else "X2")
                else:
                    ck = {"groups": g, "maxlags": lags} if controlled else {"maxlags": lags}
                    model = glm.fit(cov_type="hac-panel" if controlled else "HAC", cov_kwds=ck)
                    if family == "quasipoisson":
                        scale = float(model.pearson_chi2 / model.df_resid)
                if errors == "naive" and family == "quasipoisson":
                    scale = float(model.scale)
            params = np.asarray(model.params)
            cov = np.asarray(model.cov_params())
            if not np.all(np.isfinite(params)):
                raise ITSError("data: the count model did not converge (check the outcome values)")
    names = list(X.columns)
    params_s = pd.Series(np.asarray(params, float), index=names)
    cov_df = pd.DataFrame(np.asarray(cov, float), index=names, columns=names)
    if errors != "newey-west":
        lags = None
    treated_label, control_label = labels
    return ITSResults(
        model=model,
        params=params_s,
        cov=cov_df,
        df_resid=df_resid,
        use_t=use_t,
        alpha=alpha,
        family=family,
        errors=errors,
        impact=impact,
        outcome=outcome,
        time=time,
        start=start,
        terms=terms,
        design=X,
        frame=frame,
        controlled=controlled,
        offset=offset,
        harmonics=int(harmonics),
        period=float(period),
        lags=lags,
        rho=rho,
        scale=scale,
        notes=notes,
        step=step,
        labels={"treated": treated_label, "control": control_label},
        log_outcome=bool(log_outcome),
        ar1_method=used_ar1,
        reml=reml_fit,
        sigmas=sigmas,
    )


def effects_table(results: Sequence[ITSResults], names: Sequence[str]) -> pd.DataFrame:
    """Stack the ``effects`` of several fits, one block per name (for comparisons)."""
    if len(results) != len(names):
        raise ValueError("results and names must have the same length")
    frames = []
    for r, nm in zip(results, names, strict=True):
        e = r.effects.reset_index()
        e.insert(0, "model", nm)
        frames.append(e)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- local-authority panels


@dataclass
class LAITSResult:
    """A controlled ITS of one local authority against comparators (see :func:`fit_la_its`).

    Attributes
    ----------
    controlled
        The controlled ITS (the authority against the mean of its comparators).
    single
        The same model for the authority alone (no comparison series).
    comparators
        The comparators: ``la_old_code, la_name, region, pre_level, pre_trend,
        distance`` (distance only when chosen automatically).
    series
        Every value used: ``la_old_code, la_name, role, year, value``.
    placebo
        In-space placebo fits: each comparator in turn treated as if it had
        the intervention, against the other comparators (level and slope
        estimates on the ratio scale), or ``None``.
    notes
        Plain-language notes on the data (missing years, partial first year, ...).
    """

    la_old_code: str
    la_name: str
    measure: str
    start_year: int
    how: str
    controlled: ITSResults
    single: ITSResults
    comparators: pd.DataFrame
    series: pd.DataFrame
    placebo: pd.DataFrame | None
    notes: list[str]
    inputs: dict[str, Any] = field(default_factory=dict, repr=False)

    def placebo_p(self) -> dict[str, float]:
        """Rank p-value of each effect among the placebos: (1 + #|placebo| >= |effect|) / (1 + #placebos).

        Effects are compared on the log scale (distance of the ratio from 1).
        """
        return _placebo_p(self.controlled, self.placebo)

    def sensitivity(self) -> pd.DataFrame:
        """The controlled effects under every ``errors`` option (same data and comparators).

        Columns ``errors, effect, estimate, ci_lower, ci_upper, p_value,
        placebo_p, rho``. The point estimates differ between ``"ar1"`` (GLS)
        and the other two (OLS); the intervals differ between all three.
        """
        rows = []
        for e in ERRORS:
            if e == self.inputs.get("errors"):
                res, pl = self.controlled, self.placebo
            else:
                res, pl = _fit_la_set(self.inputs["treated"], self.inputs["comparators"],
                                      self.inputs["outcome"], self.start_year, errors=e, impact=self.inputs["impact"],
                                      labels=(self.la_name, self.controlled.labels["control"]),
                                      placebo=self.placebo is not None)
            pp = _placebo_p(res, pl)
            for k, r in res.effects.iterrows():
                rows.append({"errors": e, "effect": k, "estimate": r["estimate"],
                             "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                             "p_value": r["p_value"], "placebo_p": pp.get(k, np.nan),
                             "rho": res.rho if res.rho is not None else np.nan})
        return pd.DataFrame(rows)

    def sensitivity_text(self, digits: int = 2) -> str:
        """:meth:`sensitivity` as fixed-format text."""
        t = self.sensitivity()
        lines = [f"{'errors':<12}{'effect':<8}{'ratio':>7}  {'95% CI':<15}{'p':>7}{'placebo p':>11}{'rho':>7}"]
        for r in t.itertuples():
            ci = f"{r.ci_lower:.{digits}f} to {r.ci_upper:.{digits}f}"
            pp = "" if not np.isfinite(r.placebo_p) else f"{r.placebo_p:.2f}"
            rho = "" if not np.isfinite(r.rho) else f"{r.rho:.2f}"
            lines.append(f"{r.errors:<12}{r.effect:<8}{r.estimate:>7.{digits}f}  {ci:<15}"
                         f"{r.p_value:>7.3f}{pp:>11}{rho:>7}")
        return "\n".join(lines)

    def plain_language(self) -> str:
        """The result in plain words, with the data-specific caveats."""
        c = self.controlled
        eff = c.effects
        s = self.series
        tr = s.loc[(s["role"] == "treated") & s["value"].notna()]
        first, last = int(tr["year"].min()), int(tr["year"].max())
        n_pre = int((tr["year"] < self.start_year).sum())
        n_post = int((tr["year"] >= self.start_year).sum())
        k = len(self.comparators)
        pp = self.placebo_p()
        from evalkit.la_panel import measure_label

        what = measure_label(self.measure)
        out = [
            f"{self.la_name}, {what}, years ending 31 March {first}-{last}: {n_pre} years "
            f"before {self.start_year} and {n_post} from it. Comparison: the mean of {k} other "
            f"authorities ({'chosen for a similar pre-' + str(self.start_year) + ' level and trend' if self.how != 'given' else 'as given'})."
        ]
        if "level" in eff.index:
            r = eff.loc["level"]
            pct = (r["estimate"] - 1) * 100
            inside = r["ci_lower"] <= 1 <= r["ci_upper"]
            out.append(
                f"In {self.start_year} the figure for {self.la_name} was {abs(pct):.0f}% "
                f"{'lower' if pct < 0 else 'higher'} than its pre-{self.start_year} course, relative "
                f"to the comparators, would predict (ratio {r['estimate']:.2f}, 95% CI "
                f"{r['ci_lower']:.2f} to {r['ci_upper']:.2f}): "
                + ("the interval includes no change." if inside else "the interval excludes no change.")
            )
        if "slope" in eff.index:
            r = eff.loc["slope"]
            inside = r["ci_lower"] <= 1 <= r["ci_upper"]
            out.append(
                f"The yearly trend after {self.start_year} changed by a factor of {r['estimate']:.2f} "
                f"per year (95% CI {r['ci_lower']:.2f} to {r['ci_upper']:.2f}); "
                + ("no clear change in trend." if inside else "the interval excludes no change in trend.")
            )
        if pp:
            n_pl = 0 if self.placebo is None else len(self.placebo)
            bits = [f"{e} {v:.2f}" for e, v in pp.items()]
            out.append(
                f"Placebo check: each of the {n_pl} comparators was given a pretend start in "
                f"{self.start_year} and fitted against the others. Placebo p-value, (1 + number "
                f"with an effect at least as large) / (1 + {n_pl}): {', '.join(bits)} "
                f"(the smallest possible is {1 / (n_pl + 1):.2f})."
            )
        pre = tr.loc[tr["year"] < self.start_year].sort_values("year")
        if len(pre) >= 3 and (pre["value"] > 0).all():
            # the last pre-year against the log-linear line through the earlier pre-years
            earlier, last = pre.iloc[:-1], pre.iloc[-1]
            coef = np.polyfit(earlier["year"].to_numpy(float), np.log(earlier["value"].to_numpy(float)), 1)
            dev = float(last["value"] / math.exp(np.polyval(coef, float(last["year"]))) - 1)
            if abs(dev) >= 0.2:
                out.append(
                    f"The last year before the start ({int(last['year'])}: {last['value']:.0f}) was "
                    f"{abs(dev):.0%} {'above' if dev > 0 else 'below'} the line through the earlier "
                    "pre-period years: "
                    + ("a fall after a peak can be regression to the mean rather than an effect."
                       if dev > 0 else "a rise after a trough can be regression to the mean "
                       "rather than an effect.")
                )
        if "level" in eff.index:
            sens = self.sensitivity()
            lv = sens.loc[sens["effect"] == "level"].set_index("errors")["estimate"]
            if len(lv) > 1:
                short = n_pre + n_post < 12
                out.append(
                    "Depending on how autocorrelation is handled the level ratio is "
                    + ", ".join(f"{v:.2f} ({e})" for e, v in lv.items())
                    + ("; for series of fewer than 12 points a published simulation study "
                       "(Turner et al. 2021) preferred plain OLS ('naive')." if short else ".")
                )
        if c.rho is not None:
            out.append(f"Estimated year-to-year autocorrelation of the errors: {c.rho:.2f} "
                       f"(from {len(c.frame)} points, so itself very uncertain).")
        out += self.notes
        return "\n".join(out)

    def effects_table(self) -> pd.DataFrame:
        """Effects of both fits (ratios), with the placebo p-value for the controlled one."""
        pp = self.placebo_p()
        rows = []
        for model, res in (("controlled", self.controlled), ("authority alone", self.single)):
            for k, r in res.effects.iterrows():
                rows.append(
                    {
                        "la_name": self.la_name,
                        "measure": self.measure,
                        "start_year": self.start_year,
                        "model": model,
                        "effect": k,
                        "estimate": r["estimate"],
                        "ci_lower": r["ci_lower"],
                        "ci_upper": r["ci_upper"],
                        "p_value": r["p_value"],
                        "placebo_p": pp.get(k, np.nan) if model == "controlled" else np.nan,
                        "n_comparators": len(self.comparators) if model == "controlled" else 0,
                    }
                )
        return pd.DataFrame(rows)

    def effects_text(self, digits: int = 2) -> str:
        """The effects as fixed-format text (for output-checked notebook cells)."""
        t = self.effects_table()
        lines = [f"{'model':<17}{'effect':<8}{'ratio':>7}  {'95% CI':<15}{'p':>7}{'placebo p':>11}"]
        for r in t.itertuples():
            ci = f"{r.ci_lower:.{digits}f} to {r.ci_upper:.{digits}f}"
            pp = "" if not np.isfinite(r.placebo_p) else f"{r.placebo_p:.2f}"
            lines.append(
                f"{r.model:<17}{r.effect:<8}{r.estimate:>7.{digits}f}  {ci:<15}{r.p_value:>7.3f}{pp:>11}"
            )
        return "\n".join(lines)

    def comparators_text(self) -> str:
        """The comparators as fixed-format text."""
        c = self.comparators
        head = f"{len(c)} comparators ({self.how}):"
        lines = [head]
        for r in c.itertuples():
            d = "" if not np.isfinite(getattr(r, "distance", np.nan)) else f"  distance {r.distance:.2f}"
            lines.append(
                f"  {r.la_old_code:>4} {r.la_name:<32} pre-period mean {r.pre_level:7.1f}, "
                f"trend {r.pre_trend:+6.1f}/year{d}"
            )
        return "\n".join(lines)

    def plot(self, title: str | None = None):
        """Two panels: the controlled fit, and every comparator's series beside the authority's."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [3, 2]})
        self.controlled.plot(ax=axes[0], ylabel=self.measure,
                             title=title or f"{self.la_name}: controlled ITS of {self.measure}")
        s = self.series
        for _code, sub in s.loc[s["role"] == "comparator"].groupby("la_old_code"):
            axes[1].plot(sub["year"], sub["value"], color="0.7", lw=0.9)
        tr = s.loc[s["role"] == "treated"]
        axes[1].plot(tr["year"], tr["value"], "o-", color="C0", lw=2, label=self.la_name)
        axes[1].plot([], [], color="0.7", label="comparators")
        axes[1].axvline(self.start_year - 0.5, color="0.3", ls="--", lw=1)
        axes[1].set_xlabel("year ending 31 March")
        axes[1].set_ylabel(self.measure)
        axes[1].set_title("the authority and each comparator")
        axes[1].legend(fontsize="small")
        fig.tight_layout()
        return fig


def fit_la_its(
    series: pd.DataFrame,
    la: str,
    start_year: int,
    *,
    comparators: str | Sequence[str] = "auto",
    n_comparators: int = 10,
    same_region: bool = False,
    placebo: bool = True,
    errors: str = DEFAULT_ERRORS,
    impact: str = "level+slope",
    measure: str | None = None,
) -> LAITSResult:
    """Controlled ITS of one authority's yearly measure against comparison authorities.

    The outcome is modelled on the log scale (``fit_its(..., log_outcome=True)``),
    so the effects are ratios; the comparison series is the mean of the
    comparators' values each year; errors are AR(1) by REML with a separate
    variance for each series (the default ``errors``).

    Parameters
    ----------
    series
        One measure for every authority and year
        (:func:`evalkit.la_panel.measure_series`, or
        :func:`evalkit.la_panel.series_from_table` stacked with it).
    la
        The authority: name or code (:func:`evalkit.la_panel.find_la`).
    start_year
        First year (ending 31 March) of the intervention.
    comparators
        ``"auto"``: the ``n_comparators`` authorities nearest in pre-period level
        and trend (:func:`evalkit.la_compare.choose_comparators`) among those
        with a value in every year the authority has. Or a list of names/codes.
    n_comparators
        Number of comparators for ``"auto"``.
    same_region
        ``"auto"`` only: choose within the authority's region.
    placebo
        Also fit each comparator as if treated (in-space placebo).
    errors, impact
        As :func:`fit_its`.
    measure
        Name of the measure for labels (default ``series.attrs["measure"]``).

    Returns
    -------
    LAITSResult
    """
    from evalkit import la_panel

    need = ["la_old_code", "la_name", "year", "value"]
    if not isinstance(series, pd.DataFrame) or any(c not in series.columns for c in need):
        raise ITSError(f"series: expected la_panel.measure_series() output with columns {need}")
    s = series.copy()
    s["la_old_code"] = s["la_old_code"].astype(str)
    if "region" not in s.columns:
        s["region"] = ""
    code = la_panel.find_la(s, la)
    name = str(s.loc[s["la_old_code"] == code, "la_name"].iloc[-1])
    measure = measure or str(series.attrs.get("measure", "value"))
    notes: list[str] = []
    tr = s.loc[s["la_old_code"] == code].sort_values("year")
    have = tr.loc[tr["value"].notna(), "year"].astype(int)
    if have.empty:
        raise ITSError(f"la: {name} has no values of this measure")
    years = list(range(int(tr["year"].min()), int(tr["year"].max()) + 1))
    missing = sorted(set(years) - set(have))
    if missing:
        sup: list[int] = []
        if "suppressed" in tr.columns:
            sup = tr.loc[tr["year"].isin(missing) & tr["suppressed"].astype(bool), "year"].tolist()
        notes.append(
            f"{name} has no usable value for {', '.join(map(str, missing))}"
            + (f" (suppressed by DfE: {', '.join(map(str, sup))}; 1 to 5 children in an age band)"
               if sup else "")
            + "; left out of the fit"
        )
    if not (min(have) < start_year <= max(have)):
        raise ITSError(
            f"start_year: {start_year} must be after {min(have)} and no later than {max(have)} "
            f"(the years {name} has values for)"
        )
    wide = s.pivot_table(index="la_old_code", columns="year", values="value", aggfunc="first")
    wide = wide.reindex(columns=years)
    complete = wide.index[wide.notna().all(axis=1) & (wide > 0).all(axis=1)]
    if isinstance(comparators, str):
        if comparators != "auto":
            raise ITSError(f"comparators: {comparators!r} must be 'auto' or a list of authorities")
        from evalkit import la_compare

        eligible = [c for c in complete if c != code]
        if len(eligible) < n_comparators:
            raise ITSError(
                f"n_comparators: only {len(eligible)} authorities have a value in every year "
                f"{years[0]}-{years[-1]}; ask for fewer"
            )
        pool = s.loc[s["la_old_code"].isin([*eligible, code])]
        cs = la_compare.choose_comparators(pool, code, start_year, n=n_comparators,
                                           same_region=same_region)
        chosen = list(cs.selected)
        feats = cs.features.loc[chosen, ["la_name", "pre_level", "pre_trend"]].copy()
        feats["distance"] = cs.distance.loc[chosen]
        how = "chosen automatically: nearest in pre-period level and trend, among authorities " \
              f"with a value in every year {years[0]}-{years[-1]}"
    else:
        from evalkit import la_compare

        chosen = [la_panel.find_la(s, c) for c in comparators]
        if code in chosen:
            raise ITSError(f"comparators: {name} is the treated authority; it cannot be its own comparator")
        if len(set(chosen)) != len(chosen):
            raise ITSError("comparators: an authority is listed twice")
        bad = [c for c in chosen if c not in complete]
        if bad:
            lab = s.drop_duplicates("la_old_code", keep="last").set_index("la_old_code")["la_name"]
            gaps = {c: [y for y in years if not (wide.loc[c, y] > 0)] if c in wide.index else years
                    for c in bad}
            desc = "; ".join(f"{lab.get(c, c)} ({', '.join(map(str, g))})" for c, g in gaps.items())
            chosen = [c for c in chosen if c not in bad]
            if not chosen:
                raise ITSError(
                    f"comparators: none of the given authorities has a positive value in every year "
                    f"{years[0]}-{years[-1]} (missing or suppressed: {desc}); choose others or use 'auto'"
                )
            notes.append(
                f"comparators left out because a year is missing or suppressed: {desc} "
                "(a mean over a changing set of authorities would not be comparable from year to year)"
            )
        feats = la_compare.pre_period_features(s.loc[s["la_old_code"].isin([*chosen, code])],
                                               start_year).loc[chosen, ["la_name", "pre_level", "pre_trend"]]
        feats["distance"] = np.nan
        how = "given"
    regions = s.drop_duplicates("la_old_code", keep="last").set_index("la_old_code")["region"]
    comp_table = feats.reset_index().rename(columns={"index": "la_old_code"})
    comp_table.insert(2, "region", regions.reindex(comp_table["la_old_code"]).to_numpy())

    used = s.loc[s["la_old_code"].isin([code, *chosen]) & s["year"].isin(years)].copy()
    used["role"] = np.where(used["la_old_code"] == code, "treated", "comparator")
    used = used[["la_old_code", "la_name", "region", "role", "year", "value"]].sort_values(
        ["role", "la_old_code", "year"], ascending=[False, True, True]).reset_index(drop=True)
    # the outcome column carries the measure's name (it appears in the text and plots)
    ycol = measure if measure not in used.columns else "value"
    fit_data = used.rename(columns={"value": ycol})
    treated_df = fit_data.loc[fit_data["role"] == "treated"]
    comp_df = fit_data.loc[fit_data["role"] == "comparator"]
    labels = (name, f"mean of {len(chosen)} comparators")
    controlled, placebo_tab = _fit_la_set(treated_df, comp_df, ycol, start_year, errors=errors,
                                          impact=impact, labels=labels,
                                          placebo=placebo and len(chosen) >= 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = fit_its(treated_df, ycol, "year", start_year, labels=(name, "comparison"),
                         log_outcome=True, errors=errors, impact=impact)
    return LAITSResult(
        la_old_code=code,
        la_name=name,
        measure=measure,
        start_year=int(start_year),
        how=how,
        controlled=controlled,
        single=single,
        comparators=comp_table,
        series=used,
        placebo=placebo_tab,
        notes=notes,
        inputs={"treated": treated_df, "comparators": comp_df, "errors": errors, "impact": impact,
                "outcome": ycol},
    )


def _fit_la_set(
    treated: pd.DataFrame, comps: pd.DataFrame, outcome: str, start_year: int, *, errors: str,
    impact: str,
    labels: tuple[str, str], placebo: bool,
) -> tuple[ITSResults, pd.DataFrame | None]:
    """The controlled fit of one authority against the mean of its comparators, and placebos."""
    kw = dict(log_outcome=True, errors=errors, impact=impact, control_pool="mean")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        controlled = fit_its(treated, outcome, "year", start_year, control=comps,
                             group="la_old_code", labels=labels, **kw)
    if not placebo:
        return controlled, None
    rows = []
    for c in comps["la_old_code"].unique():
        others = comps.loc[comps["la_old_code"] != c]
        me = comps.loc[comps["la_old_code"] == c]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = fit_its(me, outcome, "year", start_year, control=others, group="la_old_code",
                            **kw)
        except (ITSError, np.linalg.LinAlgError):
            continue
        row = {"la_old_code": c, "la_name": str(me["la_name"].iloc[0])}
        row.update({k: float(v) for k, v in r.effects["estimate"].items()})
        rows.append(row)
    return controlled, pd.DataFrame(rows)


def _placebo_p(res: ITSResults, placebo: pd.DataFrame | None) -> dict[str, float]:
    if placebo is None or placebo.empty:
        return {}
    out = {}
    for k in res.effects.index:
        stat = abs(math.log(res.effects.loc[k, "estimate"]))
        pl = np.abs(np.log(placebo[k].to_numpy(float)))
        pl = pl[np.isfinite(pl)]
        out[k] = float((1 + np.sum(pl >= stat - 1e-12)) / (1 + len(pl)))
    return out
