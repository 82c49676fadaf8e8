"""``scan``: the single-series ITS level change of every authority, and its funnel plot."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.counterfactual._panel import check_series, resolve
from evalkit.errors import InputDataError
from evalkit.results import Result, Summary
from evalkit.viz import legend_outside, log_count_axis, ratio_axis
from evalkit.viz.labels import label

#: Normal quantile of the funnel's outer limits (99.8%) and inner limits (95%).
FUNNEL_Z = (1.96, 3.09)


def _its_level(x: np.ndarray, y: np.ndarray, start: int, alpha: float) -> tuple[float, float, float, float]:
    """OLS of ``y ~ 1 + (x - start) + post``: level change, its interval and p-value (t, n - 3 df)."""
    X = np.column_stack([np.ones_like(x), x - start, (x >= start).astype(float)])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    df = len(y) - 3
    resid = y - X @ beta
    s2 = float(resid @ resid) / df
    cov = s2 * np.linalg.inv(X.T @ X)
    se = math.sqrt(cov[2, 2])
    q = float(stats.t.ppf(1 - alpha / 2, df))
    p = float(2 * stats.t.sf(abs(beta[2]) / se, df)) if se > 0 else float("nan")
    return float(beta[2]), float(beta[2] - q * se), float(beta[2] + q * se), p


@dataclass
class ScanResult(Result):
    """Every authority's single-series ITS level change (ratios), with a funnel plot.

    ``table`` columns: ``la_old_code, la_name, n_points, size, estimate,
    ci_lower, ci_upper, p_value`` (``size``: mean yearly value before the start).
    ``spread`` is the robust scale ``c`` of ``log(estimate) * sqrt(size)`` that
    sets the funnel limits ``median ratio * exp(+/- z * c / sqrt(size))``.
    """

    start_year: int
    measure: str
    table: pd.DataFrame
    centre: float
    spread: float
    highlight: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def limits(self, size: np.ndarray | float, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
        """Funnel limits (ratios) at ``size``."""
        h = z * self.spread / np.sqrt(np.asarray(size, float))
        return self.centre * np.exp(-h), self.centre * np.exp(h)

    def position(self, la: str) -> dict[str, Any]:
        """Where one authority stands: its row, whether it lies outside the 95%/99.8% limits, its rank."""
        t = self.table
        hit = t[(t["la_old_code"] == la) | (t["la_name"].str.casefold() == str(la).casefold())]
        if hit.empty:
            raise InputDataError(f"la: {la!r} is not in the scan (missing years or too few points)")
        r = hit.iloc[0]
        out = {}
        for z, lab in zip(FUNNEL_Z, ("outside_95", "outside_998"), strict=True):
            lo, hi = self.limits(float(r["size"]), z)
            out[lab] = bool(r["estimate"] < lo or r["estimate"] > hi)
        out["share_lower"] = float((t["estimate"] < r["estimate"]).mean())
        return {"la_name": r["la_name"], "estimate": float(r["estimate"]), **out}

    def summary(self) -> Summary:
        t = self.table
        lo, hi = self.limits(t["size"].to_numpy(float))
        out95 = int(((t["estimate"] < lo) | (t["estimate"] > hi)).sum())
        text = (f"{len(t)} authorities, single-series ITS level change from {self.start_year} (OLS on the log "
                f"of the yearly {label(self.measure, units=False)}). Median ratio {self.centre:.2f}: the change that authorities "
                f"share (national changes are not removed by a single-series design). {out95} of {len(t)} lie "
                "outside the 95% funnel limits (about 5% would by chance if the funnel's spread is right).")
        if self.highlight is not None:
            pos = self.position(self.highlight)
            text += (f"\n\n{pos['la_name']}: ratio {pos['estimate']:.2f}, "
                     f"{'outside' if pos['outside_95'] else 'inside'} the 95% limits; "
                     f"{pos['share_lower']:.0%} of authorities have a lower ratio.")
        tab = t.sort_values("estimate").head(5).assign(
            **{c: lambda d, c=c: d[c].map(lambda v: f"{v:.2f}") for c in ("estimate", "ci_lower", "ci_upper")})
        return Summary(f"Scan of {label(self.measure, units=False)}, start {self.start_year}", text,
                       {"lowest five ratios": tab[["la_name", "n_points", "estimate", "ci_lower", "ci_upper"]]},
                       self.notes)

    def plot(self, ax: Any = None, highlight: str | None = None) -> Any:
        """Funnel plot: each authority's ratio against its pre-period size, with 95% and 99.8% limits."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4.6))
        else:
            fig = ax.figure
        t = self.table
        ax.scatter(t["size"], t["estimate"], s=14, color="0.45", label="authorities")
        xs = np.geomspace(t["size"].min(), t["size"].max(), 200)
        for z, ls in zip(FUNNEL_Z, ("--", ":"), strict=True):
            lo, hi = self.limits(xs, z)
            ax.plot(xs, lo, ls, color="C0", lw=1)
            ax.plot(xs, hi, ls, color="C0", lw=1, label=f"{'95' if z < 2 else '99.8'}% limits")
        ax.axhline(self.centre, color="C0", lw=0.8)
        ax.axhline(1, color="0.2", lw=0.6)
        hl = highlight or self.highlight
        if hl is not None:
            r = t[(t["la_old_code"] == hl) | (t["la_name"].str.casefold() == str(hl).casefold())]
            if len(r):
                ax.scatter(r["size"], r["estimate"], s=60, color="C3", zorder=3, label=str(r["la_name"].iloc[0]))
        log_count_axis(ax, axis="x")
        ratio_axis(ax, axis="y")
        ax.set_xlabel(f"{label(self.measure, units=False)}: yearly mean before {self.start_year} (log scale)")
        ax.set_ylabel("level change ratio (log scale)")
        ax.set_title(f"Every authority's level change from {self.start_year}", fontsize="medium")
        legend_outside(ax, where="right", fontsize="small")
        fig.tight_layout()
        return fig


def scan(series: pd.DataFrame, start_year: int, *, alpha: float = 0.05, highlight: str | None = None,
         min_pre: int = 3, measure: str | None = None) -> ScanResult:
    """Single-series ITS level change from ``start_year`` for every authority.

    For each authority with at least ``min_pre`` positive values before
    ``start_year`` and one from it: OLS of the log yearly value on a trend and a
    post-period step (the ``its`` design of :func:`assess` with its short-series
    default, OLS errors; the scan always uses OLS, since the DfE series have
    at most 15 points), level change as a ratio with a t interval. Missing
    years are skipped for that authority only.

    Parameters
    ----------
    series
        Long frame of :func:`evalkit.la_panel.measure_series`.
    start_year
        First year (ending 31 March) of the post period.
    alpha
        1 - confidence level.
    highlight
        An authority (name or code) to mark on the plot and in the summary.
    min_pre
        Fewest pre-period points an authority needs.
    measure
        Label (default ``series.attrs["measure"]``).

    Returns
    -------
    ScanResult
    """
    s = check_series(series)
    measure = measure or str(series.attrs.get("measure", "value"))
    s = s[s["value"].notna() & (s["value"] > 0)]
    if highlight is not None:
        highlight = resolve(s, highlight)
    names = s.drop_duplicates("la_old_code", keep="last").set_index("la_old_code")["la_name"].astype(str)
    rows = []
    skipped = 0
    codes = s["la_old_code"].to_numpy()
    order = np.argsort(codes, kind="stable")
    codes, years, vals = codes[order], s["year"].to_numpy()[order], s["value"].to_numpy(float)[order]
    bounds = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        x, v = years[a:b].astype(float), vals[a:b]
        pre = x < start_year
        if pre.sum() < min_pre or (~pre).sum() < 1 or len(x) < 4:
            skipped += 1
            continue
        est, lo, hi, p = _its_level(x, np.log(v), start_year, alpha)
        rows.append((codes[a], names.get(codes[a], codes[a]), len(x), float(v[pre].mean()),
                     math.exp(est), math.exp(lo), math.exp(hi), p))
    if not rows:
        raise InputDataError(f"start_year: no authority has {min_pre} values before {start_year} and one from it")
    t = pd.DataFrame(rows, columns=["la_old_code", "la_name", "n_points", "size", "estimate", "ci_lower",
                                    "ci_upper", "p_value"])
    le = np.log(t["estimate"].to_numpy(float))
    centre = float(np.median(le))
    spread = float(1.4826 * np.median(np.abs(le - centre) * np.sqrt(t["size"].to_numpy(float))))
    notes = [f"{skipped} authorities left out (fewer than {min_pre} pre-period or no post-period values)"] \
        if skipped else []
    return ScanResult(int(start_year), measure, t, math.exp(centre), spread, highlight, notes)
