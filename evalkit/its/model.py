"""The ITS model: :func:`fit_its` and its results, :class:`ITSResults`."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.its._base import (
    _ERROR_LABEL,
    DEFAULT_ERRORS,
    ERRORS,
    FAMILIES,
    IMPACTS,
    MIN_POINTS_WARN,
    ITSError,
    _check_columns,
    _design,
    _pool,
    _series_frame,
    newey_west_lags,
)
from evalkit.its.diagnostics import ITSDiagnostics, _fmt, _fmt_p
from evalkit.its.reml import _ar1_transform, _prais_winsten, _reml_ar1, _RemlFit


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
                if reml_fit.df_problem is not None:
                    notes.append(
                        f"Satterthwaite's degrees of freedom could not be computed "
                        f"({reml_fit.df_problem}); intervals and p-values use the conservative "
                        f"{reml_fit.conservative_df:.1f} df (residual df times (1 - |rho|) / "
                        "(1 + |rho|)) instead of the residual df"
                    )
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
                # grid=False: the working correlation is rho ** |t_i - t_j| in units of the
                # time step, so a missing year is a gap of 2, not a lag of 1.
                gee = sm.GEE(y, X, groups=g, time=(t - t.min()) / step, family=fam, offset=log_off,
                             cov_struct=sm.cov_struct.Autoregressive(grid=False))
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


