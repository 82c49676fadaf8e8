"""Seeded interrupted time series with known level and slope effects.

:func:`make_its_series` makes one series; :func:`make_controlled_series` a
treated and a comparison series sharing common shocks. The errors follow a
stationary AR(1) process. For ``family="gaussian"`` the effects are additive;
for ``family="poisson"`` they act on the log scale (so ``exp(level)`` is the
rate ratio) and the AR(1) process is a latent log-scale error.

The model the data come from is the segmented regression that
:func:`evalkit.its.fit_its` fits::

    y_t = intercept + trend * t + level * post_t + slope * (t - start) * post_t
          + seasonal_t + u_t,          u_t = rho * u_{t-1} + e_t,  e_t ~ N(0, sigma^2)

with ``post_t = 1`` for ``t >= start`` and ``u_1`` drawn from the stationary
distribution ``N(0, sigma^2 / (1 - rho^2))``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd


def ar1_errors(n: int, rho: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) series of length ``n`` with innovation SD ``sigma``."""
    if not -1 < rho < 1:
        raise ValueError(f"rho: {rho} must be strictly between -1 and 1 (stationary AR(1))")
    if sigma < 0:
        raise ValueError(f"sigma: {sigma} must be non-negative")
    e = rng.normal(0.0, sigma, n)
    u = np.empty(n)
    u[0] = e[0] / np.sqrt(1 - rho**2)
    for t in range(1, n):
        u[t] = rho * u[t - 1] + e[t]
    return u


def make_its_series(
    n: int = 48,
    *,
    start: int | None = None,
    level: float = 2.0,
    slope: float = 0.1,
    intercept: float = 10.0,
    trend: float = 0.05,
    rho: float = 0.0,
    sigma: float = 1.0,
    family: Literal["gaussian", "poisson"] = "gaussian",
    season_amplitude: float = 0.0,
    period: int = 12,
    population: float | None = None,
    seed: int | None = 0,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Make one interrupted time series with known effects.

    Parameters
    ----------
    n
        Number of time points (``time`` = 1..n).
    start
        First post-intervention time (default ``n // 2 + 1``).
    level, slope
        Change in level at ``start`` and in slope per time unit after it
        (log scale for ``poisson``).
    intercept, trend
        Pre-intervention line (log scale for ``poisson``; with ``population``
        the intercept is a log rate per person).
    rho, sigma
        AR(1) coefficient and innovation SD of the errors.
    family
        ``"gaussian"`` or ``"poisson"`` (counts drawn from a Poisson
        distribution with the latent log mean).
    season_amplitude, period
        Amplitude of a cosine seasonal term over ``period`` points (0 = none).
        The ``season`` column is ``1..period``.
    population
        For ``poisson``: a population column (constant, growing 0.2% per point)
        used as an offset.
    seed, rng
        Seed, or a generator to draw from (``rng`` wins).

    Returns
    -------
    pandas.DataFrame
        Columns ``time, season, post, y`` (and ``population``); the truth is in
        ``attrs["truth"]``.
    """
    if n < 4:
        raise ValueError(f"n: {n} is too short for an interrupted time series")
    start = n // 2 + 1 if start is None else int(start)
    if not 1 < start <= n:
        raise ValueError(f"start: {start} must be within 2..{n}")
    if family not in ("gaussian", "poisson"):
        raise ValueError(f"family: {family!r} must be 'gaussian' or 'poisson'")
    rng = rng if rng is not None else np.random.default_rng(seed)
    t = np.arange(1, n + 1, dtype=float)
    post = (t >= start).astype(float)
    season = (np.arange(n) % period) + 1
    seasonal = season_amplitude * np.cos(2 * np.pi * season / period)
    u = ar1_errors(n, rho, sigma, rng)
    eta = intercept + trend * t + level * post + slope * (t - start) * post + seasonal + u
    out = pd.DataFrame({"time": t.astype(int), "season": season.astype(int), "post": post.astype(int)})
    if family == "gaussian":
        out["y"] = eta
    else:
        if population is not None:
            pop = population * 1.002 ** (t - 1)
            out["population"] = pop
            eta = eta + np.log(pop)
        out["y"] = rng.poisson(np.exp(eta)).astype(float)
    out.attrs["truth"] = {
        "level": level,
        "slope": slope,
        "start": start,
        "rho": rho,
        "sigma": sigma,
        "family": family,
    }
    return out


def make_controlled_series(
    n: int = 24,
    *,
    start: int | None = None,
    level: float = -0.2,
    slope: float = 0.0,
    rho: float = 0.0,
    sigma: float = 0.05,
    shock_sd: float = 0.05,
    family: Literal["gaussian", "poisson"] = "poisson",
    treated_intercept: float = 4.0,
    control_intercept: float = 5.0,
    trend: float = 0.02,
    seed: int | None = 0,
) -> pd.DataFrame:
    """A treated and a comparison series in long format, sharing period shocks.

    The treated series has the effect; both share the same trend and a common
    shock each period (which a controlled ITS removes and a single-series ITS
    does not).

    Returns
    -------
    pandas.DataFrame
        Columns ``unit`` (``"treated"``/``"control"``), ``time``, ``y``; the truth
        is in ``attrs["truth"]``.
    """
    rng = np.random.default_rng(seed)
    start = n // 2 + 1 if start is None else int(start)
    shocks = rng.normal(0.0, shock_sd, n)
    frames = []
    for unit, icpt, eff in (("treated", treated_intercept, 1.0), ("control", control_intercept, 0.0)):
        s = make_its_series(
            n, start=start, level=level * eff, slope=slope * eff, intercept=icpt, trend=trend,
            rho=rho, sigma=sigma, family="gaussian", rng=rng,
        )
        eta = s["y"].to_numpy() + shocks
        s["y"] = eta if family == "gaussian" else rng.poisson(np.exp(eta)).astype(float)
        s.insert(0, "unit", unit)
        frames.append(s.drop(columns=["season"]))
    out = pd.concat(frames, ignore_index=True)
    out.attrs["truth"] = {"level": level, "slope": slope, "start": start, "family": family}
    return out


def coverage_study(
    ns: tuple[int, ...] = (24, 48, 72, 120),
    rhos: tuple[float, ...] = (0.0, 0.4, 0.7),
    errors: tuple[str, ...] = ("naive", "newey-west", "ar1"),
    reps: int = 200,
    methods: dict[str, dict] | None = None,
    *,
    level: float = 2.0,
    slope: float = 0.1,
    sigma: float = 1.0,
    alpha: float = 0.05,
    seed: int = 20240601,
    fit_kwargs: dict | None = None,
) -> pd.DataFrame:
    """Bias and confidence-interval coverage of :func:`evalkit.its.fit_its`.

    For each length ``n`` and AR(1) coefficient ``rho``, ``reps`` gaussian
    series are drawn (intervention at ``n // 2 + 1``), and each is fitted with
    every option in ``errors`` (the same series for every option).
    ``methods`` (label -> keyword arguments of ``fit_its``) replaces ``errors``
    to compare variants, e.g. ``{"ar1 (Prais-Winsten)": {"errors": "ar1",
    "ar1_method": "prais-winsten"}}``.

    Returns
    -------
    pandas.DataFrame
        One row per ``n, rho, errors, effect`` with ``true``, ``bias``,
        ``rmse``, ``coverage`` (share of intervals containing the truth),
        ``mc_se`` (its Monte Carlo standard error), ``mean_width``, ``reps``
        and ``failed`` (fits that raised).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # tiny matrices: BLAS threads only add contention
        return _coverage_study(ns, rhos, errors, reps, methods, level, slope, sigma, alpha, seed,
                               fit_kwargs)


def _coverage_study(ns, rhos, errors, reps, methods, level, slope, sigma, alpha, seed,
                    fit_kwargs) -> pd.DataFrame:
    from evalkit.its import fit_its

    fit_kwargs = dict(fit_kwargs or {})
    if methods is None:
        methods = {e: {"errors": e} for e in errors}
    labels = list(methods)
    ss = np.random.SeedSequence(seed)
    rows = []
    cells = [(n, r) for n in ns for r in rhos]
    for (n, rho), child in zip(cells, ss.spawn(len(cells)), strict=True):
        rng = np.random.default_rng(child)
        truth = {"level": level, "slope": slope}
        est: dict[tuple[str, str], list[tuple[float, float, float]]] = {
            (e, k): [] for e in labels for k in truth
        }
        failed = dict.fromkeys(labels, 0)
        for _ in range(reps):
            df = make_its_series(n, level=level, slope=slope, rho=rho, sigma=sigma, rng=rng)
            start = df.attrs["truth"]["start"]
            df.attrs = {}  # pandas deep-copies attrs on every operation; not needed here
            for e in labels:
                try:
                    kw = {**fit_kwargs, **methods[e]}
                    res = fit_its(df, "y", "time", start, alpha=alpha, **kw)
                except (ValueError, np.linalg.LinAlgError):
                    failed[e] += 1
                    continue
                for k in truth:
                    r = res.effects.loc[k]
                    est[(e, k)].append((r["estimate"], r["ci_lower"], r["ci_upper"]))
        for (e, k), vals in est.items():
            a = np.asarray(vals, dtype=float).reshape(-1, 3)
            cover = (a[:, 1] <= truth[k]) & (truth[k] <= a[:, 2])
            m = len(a)
            p = cover.mean() if m else np.nan
            rows.append(
                {
                    "n": n,
                    "rho": rho,
                    "errors": e,
                    "effect": k,
                    "true": truth[k],
                    "bias": a[:, 0].mean() - truth[k] if m else np.nan,
                    "rmse": float(np.sqrt(((a[:, 0] - truth[k]) ** 2).mean())) if m else np.nan,
                    "coverage": p,
                    "mc_se": float(np.sqrt(p * (1 - p) / m)) if m else np.nan,
                    "mean_width": (a[:, 2] - a[:, 1]).mean() if m else np.nan,
                    "reps": m,
                    "failed": failed[e],
                }
            )
    return pd.DataFrame(rows)
