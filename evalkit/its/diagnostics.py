"""Residual diagnostics of an ITS fit (autocorrelation, Ljung-Box, Breusch-Godfrey, dispersion)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


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


