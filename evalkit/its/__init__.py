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

Layout: :mod:`evalkit.its.model` (the model and its results),
:mod:`evalkit.its.reml` (AR(1) fits), :mod:`evalkit.its.diagnostics` (residual
checks) and :mod:`evalkit.its.la` (the local-authority application layer, which
alone uses :mod:`evalkit.la_panel` and :mod:`evalkit.la_compare`). ``from
evalkit.its import ...`` works as it did when this was one module.
"""

from evalkit.its._base import (
    DEFAULT_ERRORS,
    ERRORS,
    FAMILIES,
    IMPACTS,
    MIN_POINTS_WARN,
    ITSError,
    newey_west_lags,
)
from evalkit.its.diagnostics import ITSDiagnostics
from evalkit.its.la import LAITSResult, fit_la_its
from evalkit.its.model import ITSResults, effects_table, fit_its

__all__ = [
    "DEFAULT_ERRORS",
    "ERRORS",
    "FAMILIES",
    "IMPACTS",
    "MIN_POINTS_WARN",
    "ITSDiagnostics",
    "ITSError",
    "ITSResults",
    "LAITSResult",
    "effects_table",
    "fit_its",
    "fit_la_its",
    "newey_west_lags",
]
