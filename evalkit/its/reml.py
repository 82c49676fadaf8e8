"""AR(1) error fits: exact-gap Prais-Winsten transform, Prais-Winsten FGLS and REML GLS."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.its._base import ITSError


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
    df_problem: str | None = None

    @property
    def conservative_df(self) -> float:
        """Degrees of freedom used when Satterthwaite's cannot be computed.

        The residual df shrunk by the AR(1) effective-sample-size factor
        ``(1 - |rho|) / (1 + |rho|)`` (at least 1): with ``rho`` at its bound
        this is 1, so the interval is wide rather than falsely narrow. The
        residual df ``n - k`` used before covered only 0.86 in such fits.
        """
        r = min(abs(self.rho), 0.99)
        return float(max(1.0, self.df_resid * (1 - r) / (1 + r)))

    def satterthwaite_df(self, c: np.ndarray) -> float:
        """Satterthwaite degrees of freedom for the contrast ``c @ params``.

        Falls back to :attr:`conservative_df` (and records why in
        :attr:`df_problem`) when ``rho`` is at its bound, the Hessian of the
        REML criterion is not positive definite or the variance of the
        contrast's variance is not positive.
        """
        v = float(c @ self.cov @ c)
        if self.dcov is None or self.theta_cov is None or v <= 0:
            if self.df_problem is None:
                self.df_problem = "the variance of the contrast could not be differentiated"
            return self.conservative_df
        grad = np.array([float(c @ d @ c) for d in self.dcov])
        den = float(grad @ self.theta_cov @ grad)
        if not np.isfinite(den) or den <= 0:
            if self.df_problem is None:
                self.df_problem = "the variance of the estimated variance was not positive"
            return self.conservative_df
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
    df_problem: str | None = None
    m = len(theta)
    h = np.full(m, 1e-4)
    if abs(rho) >= lim - 2e-4:
        df_problem = f"rho is at its bound ({rho:.2f})"
    else:
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
            else:
                df_problem = "the Hessian of the REML criterion is not positive definite"
        except (np.linalg.LinAlgError, ValueError, OverflowError):
            dcov = theta_cov = None
            df_problem = "the Hessian of the REML criterion could not be computed"
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
        df_problem=df_problem,
    )


# --------------------------------------------------------------------------- results
