"""Sensitivity analysis: one-way (tornado), break-even values, seeded Monte Carlo.

All three work on any :class:`~evalkit.cba.model.CBAModel` and any metric
(``npv``, ``bcr``, ``roi``, ``pv_benefits``, ...), for all payers or one payer.
Ranges and distributions come from the parameters' ``low``/``high``/
``distribution`` unless given explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from evalkit.cba.errors import CBAError, UnknownParameterError
from evalkit.cba.model import METRICS, CBAModel, _metrics, metric_label, money_axis
from evalkit.cba.params import Parameters
from evalkit.results import Result, Summary


def _fmt(x: float) -> str:
    """Thousands with commas, small numbers to 4 significant figures."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise CBAError(f"metric {metric!r} is not one of {METRICS}")


# --------------------------------------------------------------------------- one-way


@dataclass
class SensitivityResult(Result):
    """Result of :func:`one_way_sensitivity`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per parameter (largest swing first): ``parameter``, ``base``,
        ``low``, ``high``, ``metric_low``, ``metric_high``, ``swing``,
        ``crosses_zero`` (the metric changes sign within the range).
    base_metric : float
        The metric at the central values.
    """

    table: pd.DataFrame
    base_metric: float
    metric: str
    payer: str | None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> Summary:
        """The table as fixed-width text (``str()`` equals :meth:`to_text`)."""
        lines = self.to_text().split("\n")
        return Summary(lines[0], "\n".join(lines[1:]), notes=list(self.notes), preformatted=True)

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter."""
        return self.table

    def plot(self, ax: Any = None) -> Any:
        """The tornado (:meth:`tornado`)."""
        return self.tornado(ax=ax)

    def to_text(self) -> str:
        """Fixed-width text of the table (stable for nbval)."""
        t = self.table
        head = f"{'parameter':<24}{'low':>12}{'high':>12}{'at low':>13}{'at high':>13}{'swing':>12}"
        out = [
            f"One-way sensitivity of {self.metric}"
            + (f" for {self.payer}" if self.payer else " (all payers)")
            + f"; base {self.base_metric:,.0f}",
            head,
            "-" * len(head),
        ]
        for r in t.itertuples():
            out.append(
                f"{r.parameter[:23]:<24}{_fmt(r.low):>12}{_fmt(r.high):>12}{r.metric_low:>13,.0f}"
                f"{r.metric_high:>13,.0f}{r.swing:>12,.0f}"
            )
        return "\n".join(out)

    def tornado(self, ax: Any = None, *, title: str | None = None, top: int | None = None,
                labels: Mapping[str, str] | None = None) -> Any:
        """Tornado plot: for each parameter, the metric at its low and high value around the base.

        ``labels`` maps parameter names to human labels with units (default: the name in words).
        """
        import matplotlib.pyplot as plt
        import seaborn as sns

        t = self.table if top is None else self.table.head(top)
        t = t.iloc[::-1]
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 0.5 * len(t) + 1.5))
        c_low, c_high = sns.color_palette("colorblind", 2)
        base = self.base_metric
        for i, r in enumerate(t.itertuples()):
            ax.barh(i, r.metric_low - base, left=base, color=c_low, edgecolor="black", linewidth=0.5)
            ax.barh(i, r.metric_high - base, left=base, color=c_high, edgecolor="black", linewidth=0.5)
        ax.set_yticks(range(len(t)))
        names = dict(labels or {})
        ax.set_yticklabels([f"{names.get(r.parameter, r.parameter.replace('_', ' '))} "
                            f"[{_fmt(r.low)} to {_fmt(r.high)}]" for r in t.itertuples()])
        ax.axvline(base, color="black", linewidth=1)
        ax.axvline(0, color="0.5", linewidth=0.8, linestyle="--")
        ax.set_xlabel(metric_label(self.metric, self.payer))
        if self.metric not in ("bcr", "roi"):
            money_axis(ax, "x", nbins=4)
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=c_low, label="parameter at low"), Patch(color=c_high, label="parameter at high")],
                  fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        ax.set_title(title or "One-way sensitivity (tornado)")
        return ax


def one_way_sensitivity(
    model: CBAModel,
    params: Parameters,
    names: Sequence[str] | None = None,
    *,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    metric: str = "npv",
    payer: str | None = None,
) -> SensitivityResult:
    """Vary each parameter alone over its range and record the metric.

    Parameters
    ----------
    model, params
        The model and its central parameter values.
    names
        Parameters to vary; default every parameter with a range (``low``,
        ``high``) or listed in ``ranges``.
    ranges
        ``name -> (low, high)``, overriding the parameters' own ranges.
    metric, payer
        What to record (see :data:`evalkit.cba.model.METRICS`), for all payers
        or one payer.
    """
    _check_metric(metric)
    ranges = dict(ranges or {})
    for k in ranges:
        params[k]  # raises UnknownParameterError
    if names is None:
        names = [n for n in params if params[n].low is not None or n in ranges]
    if not names:
        raise CBAError("no parameter has a range to vary; give ranges= or set low/high on the parameters")
    base = model.metric(params, metric, payer)
    rows = []
    for n in names:
        p = params[n]
        lo, hi = ranges.get(n, (p.low, p.high))
        if lo is None or hi is None:
            raise CBAError(f"parameter {n!r} has no range; give ranges={{{n!r}: (low, high)}}")
        m_lo = model.metric(params, metric, payer, **{n: float(lo)})
        m_hi = model.metric(params, metric, payer, **{n: float(hi)})
        rows.append(
            {
                "parameter": n,
                "base": p.value,
                "low": float(lo),
                "high": float(hi),
                "metric_low": m_lo,
                "metric_high": m_hi,
                "swing": abs(m_hi - m_lo),
                "crosses_zero": bool(min(m_lo, m_hi) < 0 < max(m_lo, m_hi)),
            }
        )
    table = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    return SensitivityResult(table=table, base_metric=base, metric=metric, payer=payer)


# --------------------------------------------------------------------------- break-even


@dataclass
class BreakEvenResult(Result):
    """Result of :func:`break_even`: the value of one parameter at which the metric hits the target."""

    parameter: str
    value: float | None
    base_value: float
    metric: str
    target: float
    payer: str | None
    linear: bool
    feasible: bool
    note: str = ""
    notes: list[str] = field(default_factory=list)

    def summary(self) -> Summary:
        """One line: where the metric reaches its target (``str()`` of the result)."""
        return Summary(f"Break-even of {self.parameter}", self._line(), notes=list(self.notes))

    def to_frame(self) -> pd.DataFrame:
        """One row: parameter, break-even value, central value, feasibility."""
        return pd.DataFrame([{"parameter": self.parameter, "break_even": self.value, "central": self.base_value,
                              "metric": self.metric, "target": self.target, "payer": self.payer,
                              "feasible": self.feasible}])

    def plot(self, ax: Any = None) -> Any:
        """The central value and the break-even value on one axis."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 1.6))
        ax.axvline(self.base_value, color="black", label="central value")
        if self.value is not None:
            ax.axvline(self.value, color="red", linestyle="--", label="break-even")
        ax.set_yticks([])
        ax.set_xlabel(self.parameter.replace("_", " "))
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return ax

    @property
    def ratio(self) -> float | None:
        """Break-even value / central value."""
        if self.value is None or self.base_value == 0:
            return None
        return self.value / self.base_value

    def __str__(self) -> str:
        return self._line()

    def _line(self) -> str:
        who = f" for {self.payer}" if self.payer else ""
        if self.value is None:
            return f"{self.parameter}: no break-even ({self.metric}{who} = {self.target:g}); {self.note}"
        extra = "" if self.feasible else " (outside the parameter's valid range)"
        return (
            f"{self.parameter}: {self.metric}{who} reaches {self.target:g} at {self.value:,.4f} "
            f"(central {self.base_value:,.4f}){extra}" + (f"; {self.note}" if self.note else "")
        )


def break_even(
    model: CBAModel,
    params: Parameters,
    name: str,
    *,
    metric: str = "npv",
    target: float = 0.0,
    payer: str | None = None,
    bracket: tuple[float, float] | None = None,
) -> BreakEvenResult:
    """The value of parameter ``name`` at which ``metric`` equals ``target`` (others held).

    The metric is linear in most parameters (quantities, unit costs, and each
    additionality rate separately), so the break-even is solved exactly from
    two evaluations when a third confirms linearity. Otherwise (e.g. the
    discount rate) it is found with Brent's method within ``bracket``
    (default the parameter's ``low``/``high``).

    Returns
    -------
    BreakEvenResult
        ``value`` is ``None`` when the metric does not depend on the parameter
        or no root lies in the bracket. ``feasible`` is False when the value
        breaks the parameter's rule (a negative quantity, a rate outside [0, 1]).
    """
    _check_metric(metric)
    p = params[name]
    if name not in model.parameter_names():
        raise UnknownParameterError(f"parameter {name!r} is defined but the model does not use it")

    def f(x: float) -> float:
        return model.metric(params, metric, payer, **{name: float(x)}) - target

    x0 = p.value
    h = (0.1 if x0 <= 0.5 else -0.1) if p.kind == "rate" else max(abs(x0) * 0.1, 1.0)
    f0, f1, f2 = f(x0), f(x0 + h), f(x0 + 2 * h)
    scale = max(1.0, abs(f0), abs(f1), abs(f2))
    linear = abs((f2 - f1) - (f1 - f0)) <= 1e-9 * scale
    note = ""
    value: float | None
    if linear:
        slope = (f1 - f0) / h
        if abs(slope) <= 1e-12 * scale:
            return BreakEvenResult(name, None, x0, metric, target, payer, True, False,
                                   note="the metric does not depend on this parameter")
        value = x0 - f0 / slope
    else:
        lo, hi = bracket or (p.low, p.high)
        if lo is None or hi is None:
            raise CBAError(f"break_even({name!r}): the metric is not linear in it; give bracket=(low, high)")
        flo, fhi = f(lo), f(hi)
        if flo * fhi > 0:
            return BreakEvenResult(name, None, x0, metric, target, payer, False, False,
                                   note=f"no root between {lo:g} and {hi:g}")
        value = float(optimize.brentq(f, lo, hi, xtol=1e-10))
    feasible = True
    if p.kind in ("quantity", "unit_cost") and value < 0:
        feasible, note = False, "negative value"
    if p.kind == "rate" and not 0 <= value <= 1:
        feasible, note = False, "a rate outside [0, 1]"
    return BreakEvenResult(name, value, x0, metric, target, payer, linear, feasible, note)


def break_even_table(
    model: CBAModel,
    params: Parameters,
    names: Sequence[str],
    *,
    metric: str = "npv",
    target: float = 0.0,
    payers: Sequence[str | None] = (None,),
) -> pd.DataFrame:
    """:func:`break_even` for several parameters and payers, as a table.

    Columns: ``parameter``, ``payer`` (``total`` for all payers), ``central``,
    ``break_even``, ``change`` (break-even minus central), ``feasible``, ``note``.
    """
    rows = []
    for payer in payers:
        for n in names:
            b = break_even(model, params, n, metric=metric, target=target, payer=payer)
            rows.append(
                {
                    "parameter": n,
                    "payer": payer or "total",
                    "central": b.base_value,
                    "break_even": b.value,
                    "change": None if b.value is None else b.value - b.base_value,
                    "feasible": b.feasible,
                    "note": b.note,
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- Monte Carlo


def _draw(rng: np.random.Generator, dist: str, low: float, mode: float, high: float, n: int) -> np.ndarray:
    if dist == "fixed" or high == low:
        return np.full(n, mode)
    if dist == "uniform":
        return rng.uniform(low, high, n)
    if dist == "triangular":
        return rng.triangular(low, mode, high, n)
    if dist == "pert":
        a = 1 + 4 * (mode - low) / (high - low)
        b = 1 + 4 * (high - mode) / (high - low)
        return low + (high - low) * rng.beta(a, b, n)
    raise CBAError(f"unknown distribution {dist!r}")


@dataclass
class MonteCarloResult(Result):
    """Result of :func:`monte_carlo`.

    Attributes
    ----------
    draws : pandas.DataFrame
        The parameter draws (one column per varied parameter).
    values : numpy.ndarray
        The metric for each draw.
    by_payer : pandas.DataFrame
        NPV draws for each payer with a stream, plus ``total``.
    """

    draws: pd.DataFrame
    values: np.ndarray
    by_payer: pd.DataFrame
    metric: str
    payer: str | None
    seed: int
    base_metric: float
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def median(self) -> float:
        return float(np.median(self.values))

    @property
    def prob_positive(self) -> float:
        """Share of draws with the metric above zero."""
        return float(np.mean(self.values > 0))

    def interval(self, level: float = 0.9) -> tuple[float, float]:
        """Central percentile interval of the metric (e.g. 5th-95th for ``level=0.9``)."""
        if not 0 < level < 1:
            raise CBAError(f"level {level} must lie in (0, 1)")
        a = (1 - level) / 2
        lo, hi = np.quantile(self.values, [a, 1 - a])
        return float(lo), float(hi)

    def to_frame(self) -> pd.DataFrame:
        """The draws of the metric by payer (``total`` included)."""
        return self.by_payer

    def summary(self, level: float = 0.9) -> Summary:
        """Seed, draws, mean, median, interval, P(metric > 0); ``str()`` is stable plain text."""
        lo, hi = self.interval(level)
        who = f" for {self.payer}" if self.payer else " (all payers)"
        return Summary(
            f"Monte Carlo of {self.metric}{who}: {self.n} draws, seed {self.seed}",
            "\n".join([
                f"varied: {', '.join(self.draws.columns)}",
                f"central value {self.base_metric:,.0f}; mean {self.mean:,.0f}; median {self.median:,.0f}",
                f"{int(round(level * 100))}% interval {lo:,.0f} to {hi:,.0f}",
                f"P({self.metric} > 0) = {self.prob_positive:.3f}",
            ]),
            notes=list(self.notes),
            preformatted=True,
        )

    def plot(self, ax: Any = None, *, level: float = 0.9, title: str | None = None, by_payer: bool = False) -> Any:
        """Histogram of the metric with the central value and the interval marked."""
        import matplotlib.pyplot as plt
        import seaborn as sns

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4))
        if by_payer:
            long = self.by_payer.melt(var_name="payer", value_name="npv")
            sns.histplot(long, x="npv", hue="payer", bins=60, element="step", stat="probability", ax=ax)
            ax.set_xlabel("Net present value (£), by payer")
            leg = ax.get_legend()
            if leg is not None:
                leg.set_bbox_to_anchor((1.01, 1.0))
                leg.set_loc("upper left")
                leg.set_frame_on(False)
        else:
            sns.histplot(self.values, bins=60, stat="probability", ax=ax, color=sns.color_palette("colorblind")[0])
            lo, hi = self.interval(level)
            for x in (lo, hi):
                ax.axvline(x, color="black", linestyle="--", linewidth=1)
            ax.axvline(self.base_metric, color="red", linewidth=1.2, label="central")
            ax.axvspan(lo, hi, color="0.85", zorder=0, label=f"{int(round(level * 100))}% interval")
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
            ax.set_xlabel(metric_label(self.metric, self.payer))
        ax.axvline(0, color="0.4", linewidth=0.8)
        if self.metric not in ("bcr", "roi") or by_payer:
            money_axis(ax, "x", nbins=5)
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
        ax.set_ylabel("Share of draws")
        ax.set_title(title or f"Monte Carlo distribution ({self.n} draws, seed {self.seed})")
        return ax


def monte_carlo(
    model: CBAModel,
    params: Parameters,
    *,
    n: int = 10_000,
    seed: int = 12345,
    names: Sequence[str] | None = None,
    metric: str = "npv",
    payer: str | None = None,
) -> MonteCarloResult:
    """Draw every ranged parameter from its distribution and evaluate the model.

    Parameters are drawn independently, in the order they are defined in
    ``params``, from one ``numpy.random.default_rng(seed)`` stream, so the
    same seed gives identical draws and results on every rerun.

    Parameters
    ----------
    model, params
        The model and its parameters (each drawn one needs ``low``/``high``
        and a non-fixed ``distribution``).
    n
        Number of draws.
    seed
        Random seed.
    names
        Parameters to vary (default: all with a non-fixed distribution).
    metric, payer
        The metric recorded in :attr:`MonteCarloResult.values`.
    """
    _check_metric(metric)
    if int(n) != n or n < 2:
        raise CBAError(f"n must be a whole number >= 2, got {n!r}")
    if names is None:
        names = [k for k in params if params[k].distribution != "fixed"]
    if not names:
        raise CBAError("no parameter has a distribution to draw from; set low/high on some parameters")
    rng = np.random.default_rng(seed)
    draws: dict[str, np.ndarray] = {}
    for k in params:  # definition order -> reproducible
        if k not in names:
            continue
        p = params[k]
        if p.low is None or p.high is None:
            raise CBAError(f"parameter {k!r} has no range to draw from")
        draws[k] = _draw(rng, p.distribution or "triangular", p.low, p.value, p.high, int(n))
    arrays = model._simulate_arrays(draws, params)
    values = _metrics(model, arrays, payer)[metric]
    used = [pp for pp in model.payers if any(s.payer == pp for s in model.streams)]
    bp = pd.DataFrame({pp: _metrics(model, arrays, pp)["npv"] for pp in used})
    bp["total"] = _metrics(model, arrays)["npv"]
    base = model.metric(params, metric, payer)
    return MonteCarloResult(pd.DataFrame(draws), values, bp, metric, payer, int(seed), base)
