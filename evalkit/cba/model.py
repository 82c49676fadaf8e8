"""Outcome streams, the cost-benefit model and its results.

A :class:`Stream` is one line of a cost-benefit analysis: a quantity times a
unit cost, paid or saved by one payer, in one or more years. Its ``kind``
sets its direction:

``benefit``
    an outcome that saves money (fewer missing episodes); adjusted for
    deadweight, displacement and attribution, then reduced by optimism bias.
``disbenefit``
    an outcome that costs money (more months in care); the same additionality
    adjustments, then *increased* by optimism bias.
``cost``
    the cost of delivering the intervention; no additionality adjustment,
    increased by optimism bias.

:class:`CBAModel` holds the streams and the model-wide settings (payers,
discount rate, horizon, default adjustment rates, optimism-bias grades,
optional uprating). ``model.evaluate(params)`` returns a :class:`CBAResult`.
Quantities, unit costs, rates and the discount rate may each be a number or
the name of a :class:`~evalkit.cba.params.Parameter`, so sensitivity analysis
and Monte Carlo can vary any of them.

The arithmetic is vectorised: :meth:`CBAModel.simulate` evaluates many
parameter draws at once, which is what :func:`evalkit.cba.monte_carlo` uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.cba.adjust import DEFAULT_OB_GRADES, check_grades, check_rate, ob_rate
from evalkit.cba.discount import GREEN_BOOK_RATE, discount_factors, payback_year
from evalkit.cba.errors import (
    CBAError,
    NegativeQuantityError,
    NegativeUnitCostError,
    RateError,
    UnknownParameterError,
    UnknownPayerError,
)
from evalkit.cba.params import Parameters
from evalkit.results import Result, Summary

KINDS = ("benefit", "disbenefit", "cost")
#: Payers known by default. Pass ``payers=`` to :class:`CBAModel` to use others.
DEFAULT_PAYERS: tuple[str, ...] = (
    "local_authority",
    "police",
    "health",
    "education",
    "youth_justice",
    "central_government",
    "dwp",
    "hmrc",
    "housing",
    "individual",
    "society",
    "other",
)
#: Metrics :meth:`CBAModel.metric` can compute (totals or for one payer).
METRICS = ("npv", "bcr", "roi", "pv_benefits", "pv_disbenefits", "pv_costs", "net_outcomes")

Number = float | int
Ref = Number | str
Quantity = Ref | Sequence[Ref]


def _years(years: int | Sequence[int] | Mapping[int, float], stream: str) -> dict[int, float]:
    if isinstance(years, Mapping):
        out = {int(y): float(w) for y, w in years.items()}
    elif isinstance(years, int | np.integer):
        out = {int(years): 1.0}
    else:
        out = {}
        for y in years:
            out[int(y)] = out.get(int(y), 0.0) + 1.0
    if not out:
        raise CBAError(f"stream {stream!r}: years is empty")
    for y, w in out.items():
        if y < 0:
            raise CBAError(f"stream {stream!r}: year {y} is negative (year 0 is the first year)")
        if w < 0:
            raise CBAError(f"stream {stream!r}: weight {w} for year {y} is negative")
    return dict(sorted(out.items()))


def persistence(n_years: int, drop_off: float = 0.0, start: int = 0) -> dict[int, float]:
    """Year weights for an outcome that lasts ``n_years`` and fades by ``drop_off`` a year.

    >>> persistence(3, 0.5)
    {0: 1.0, 1: 0.5, 2: 0.25}
    """
    d = check_rate(drop_off, "drop_off")
    return {start + t: (1 - d) ** t for t in range(int(n_years))}


def persistence_quarters(n_quarters: int, drop_off: float = 0.0) -> dict[int, float]:
    """Year weights for a quarterly change counted for ``n_quarters`` quarters.

    Quarter ``q`` falls in year ``q // 4`` and keeps ``(1 - drop_off) ** (q // 4)``
    of its value, so ``drop_off`` is the share of the effect lost each year.
    One quarter (the default reading of a 3-month before/after window) gives
    ``{0: 1.0}``.

    >>> persistence_quarters(6, 0.5)
    {0: 4.0, 1: 1.0}
    """
    if int(n_quarters) != n_quarters or n_quarters < 1:
        raise CBAError(f"n_quarters must be a whole number >= 1, got {n_quarters!r}")
    d = check_rate(drop_off, "drop_off")
    out: dict[int, float] = {}
    for q in range(int(n_quarters)):
        y = q // 4
        out[y] = out.get(y, 0.0) + (1 - d) ** y
    return out


@dataclass(frozen=True)
class Stream:
    """One line of a cost-benefit analysis: quantity x unit cost, for one payer.

    Parameters
    ----------
    name
        Identifier (unique within a model), e.g. ``"missing_episodes"``.
    quantity
        A number, a parameter name, or a sequence of them multiplied together
        (e.g. ``("n_stepped_down", "months_cin")``). Must be >= 0.
    unit_cost
        A number or a parameter name (GBP per unit). Must be >= 0.
    payer
        Who pays the cost or keeps the saving; one of the model's payers.
    kind
        ``"benefit"``, ``"disbenefit"`` or ``"cost"`` (see the module docstring).
    years
        Year index (0 = first year), a list of years (the full amount recurs in
        each), or ``{year: weight}`` (see :func:`persistence`).
    confidence
        Confidence grade (1 best .. 5 weakest) for optimism bias. ``None``
        takes the unit-cost parameter's grade, else no correction.
    optimism_bias
        An explicit optimism-bias rate (number or parameter name) that
        overrides the grade.
    deadweight, displacement, attribution
        Rates in [0, 1] (numbers or parameter names); ``None`` takes the
        model's default. Ignored for ``kind="cost"``.
    label
        Text for tables and plots (defaults to ``name``).
    """

    name: str
    quantity: Quantity
    unit_cost: Ref
    payer: str
    kind: str = "benefit"
    years: int | Sequence[int] | Mapping[int, float] = 0
    confidence: int | None = None
    optimism_bias: Ref | None = None
    deadweight: Ref | None = None
    displacement: Ref | None = None
    attribution: Ref | None = None
    label: str = ""
    note: str = ""
    weights: dict[int, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise CBAError(f"stream name must be non-empty text, got {self.name!r}")
        if self.kind not in KINDS:
            raise CBAError(f"stream {self.name!r}: kind {self.kind!r} is not one of {KINDS}")
        object.__setattr__(self, "weights", _years(self.years, self.name))
        for f in self.quantity_factors:
            if not isinstance(f, str) and float(f) < 0:
                raise NegativeQuantityError(f"stream {self.name!r}: quantity {f} is negative; quantities must be >= 0")
        if not isinstance(self.unit_cost, str) and float(self.unit_cost) < 0:
            raise NegativeUnitCostError(
                f"stream {self.name!r}: unit_cost {self.unit_cost} is negative; use kind= for direction"
            )
        for attr in ("deadweight", "displacement", "attribution", "optimism_bias"):
            v = getattr(self, attr)
            if v is not None and not isinstance(v, str):
                check_rate(v, f"stream {self.name!r}: {attr}")

    @property
    def quantity_factors(self) -> tuple[Ref, ...]:
        q = self.quantity
        if isinstance(q, str | int | float | np.integer | np.floating):
            return (q,)
        return tuple(q)

    @property
    def sign(self) -> int:
        return 1 if self.kind == "benefit" else -1

    def refs(self) -> list[str]:
        """Parameter names this stream uses."""
        out = [f for f in self.quantity_factors if isinstance(f, str)]
        for v in (self.unit_cost, self.optimism_bias, self.deadweight, self.displacement, self.attribution):
            if isinstance(v, str):
                out.append(v)
        return out


def _lookup(values: Mapping[str, Any], ref: Ref, stream: str, what: str) -> Any:
    if isinstance(ref, str):
        try:
            return values[ref]
        except KeyError:
            raise UnknownParameterError(
                f"stream {stream!r}: {what} refers to parameter {ref!r}, which is not defined"
            ) from None
    return float(ref)


class CBAModel:
    """A cost-benefit model: outcome and cost streams plus appraisal settings.

    Parameters
    ----------
    streams
        The :class:`Stream` objects.
    payers
        Allowed payer names (default :data:`DEFAULT_PAYERS`); a stream naming
        another payer raises :class:`UnknownPayerError`.
    discount_rate
        Annual real discount rate in [0, 1) (default 3.5%, the Green Book
        rate), ``"green_book"`` for the declining long-term schedule, or a
        parameter name.
    horizon
        Appraisal period in years (year 0 .. horizon - 1). Default: up to the
        last year any stream uses. Flows after the horizon are left out (and
        listed in :attr:`CBAResult.truncated`).
    deadweight, displacement, attribution
        Default rates for outcome streams that do not set their own (numbers
        or parameter names).
    ob_grades
        Confidence grade -> optimism-bias rate (default :data:`DEFAULT_OB_GRADES`).
    adjust
        False to switch every adjustment (additionality and optimism bias) off:
        the "as reported" gross reading.
    price_year, index
        When ``price_year`` is set, every unit-cost parameter is uprated to it
        with ``index`` (an :class:`~evalkit.cba.prices.IndexTable`) before
        evaluation; a unit cost without a price year then raises
        :class:`~evalkit.cba.errors.PriceYearError`.
    name
        Shown in summaries.
    """

    def __init__(
        self,
        streams: Iterable[Stream],
        *,
        payers: Sequence[str] = DEFAULT_PAYERS,
        discount_rate: float | str = GREEN_BOOK_RATE,
        horizon: int | None = None,
        deadweight: Ref = 0.0,
        displacement: Ref = 0.0,
        attribution: Ref = 0.0,
        ob_grades: Mapping[int, float] | None = None,
        adjust: bool = True,
        price_year: int | None = None,
        index: Any = None,
        name: str = "",
    ) -> None:
        self.streams: tuple[Stream, ...] = tuple(streams)
        if not self.streams:
            raise CBAError("a CBAModel needs at least one stream")
        self.payers = tuple(payers)
        names = [s.name for s in self.streams]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise CBAError(f"stream names must be unique; repeated: {dup}")
        for s in self.streams:
            if not isinstance(s, Stream):
                raise CBAError(f"streams must be Stream objects, got {type(s).__name__}")
            if s.payer not in self.payers:
                raise UnknownPayerError(
                    f"stream {s.name!r}: payer {s.payer!r} is not one of the model's payers "
                    f"({', '.join(self.payers)}); pass payers=[...] to add it"
                )
        if isinstance(discount_rate, str) and discount_rate != "green_book":
            self.discount_rate: float | str = discount_rate  # parameter name
        elif isinstance(discount_rate, str):
            self.discount_rate = discount_rate
        else:
            self.discount_rate = float(discount_rate)
            if not 0 <= self.discount_rate < 1:
                raise RateError(f"discount_rate {self.discount_rate} must lie in [0, 1) (e.g. 0.035)")
        self.defaults = {"deadweight": deadweight, "displacement": displacement, "attribution": attribution}
        for k, v in self.defaults.items():
            if not isinstance(v, str):
                check_rate(v, k)
        last = max(max(s.weights) for s in self.streams)
        if horizon is not None and (int(horizon) != horizon or horizon < 1):
            raise CBAError(f"horizon must be a whole number of years >= 1, got {horizon!r}")
        self.horizon = int(horizon) if horizon is not None else last + 1
        self.ob_grades = check_grades(DEFAULT_OB_GRADES if ob_grades is None else ob_grades)
        self.adjust = bool(adjust)
        self.price_year = price_year
        self.index = index
        if price_year is not None and index is None:
            raise CBAError("price_year is set but no index table was given to uprate with")
        self.name = name

    # ------------------------------------------------------------------ helpers

    def parameter_names(self) -> list[str]:
        """Every parameter name the model refers to, in first-use order."""
        out: list[str] = []
        refs: list[str] = []
        for s in self.streams:
            refs += s.refs()
        refs += [v for v in self.defaults.values() if isinstance(v, str)]
        if isinstance(self.discount_rate, str) and self.discount_rate != "green_book":
            refs.append(self.discount_rate)
        for r in refs:
            if r not in out:
                out.append(r)
        return out

    def with_settings(self, **changes: Any) -> CBAModel:
        """A copy with some constructor settings changed (e.g. ``adjust=False``)."""
        kw = dict(
            payers=self.payers,
            discount_rate=self.discount_rate,
            horizon=self.horizon,
            ob_grades=self.ob_grades,
            adjust=self.adjust,
            price_year=self.price_year,
            index=self.index,
            name=self.name,
            **self.defaults,
        )
        streams = changes.pop("streams", self.streams)
        kw.update(changes)
        return CBAModel(streams, **kw)

    def with_outcome_years(self, years: int | Sequence[int] | Mapping[int, float]) -> CBAModel:
        """A copy in which every benefit and disbenefit stream has the year weights ``years``.

        Costs keep their own years. Use with :func:`persistence_quarters` to
        count an observed quarterly change for longer than one quarter.
        """
        from dataclasses import replace

        streams = [replace(s, years=years) if s.kind != "cost" else s for s in self.streams]
        cost_years = [max(s.weights) for s in self.streams if s.kind == "cost"]
        last = max([max(_years(years, "years")), *cost_years])
        return self.with_settings(streams=streams, horizon=max(self.horizon, last + 1))

    def _prepare(self, params: Parameters | Mapping[str, float] | None, overrides: Mapping[str, float]):
        """Uprate if asked; return (values, ob_rates, uprating factors).

        Overrides (and Monte Carlo draws) are given in each parameter's own
        price year and are uprated with the same factor as its central value.
        """
        factors: dict[str, float] = {}
        if isinstance(params, Parameters):
            p = params
            if self.price_year is not None:
                p = p.uprate(self.price_year, self.index)
                factors = {
                    n: self.index.factor(params[n].price_year, self.price_year)
                    for n in params
                    if params[n].kind == "unit_cost"
                }
            values: dict[str, Any] = p.values_dict()
        else:
            if self.price_year is not None:
                raise CBAError("uprating needs a Parameters object (with price years), not plain values")
            values = {k: float(v) for k, v in (params or {}).items()}
            p = None
        for k, v in overrides.items():
            if k not in values:
                raise UnknownParameterError(f"override {k!r} is not a defined parameter")
            values[k] = v * factors.get(k, 1.0)
        obs = []
        for s in self.streams:
            if s.optimism_bias is not None:
                obs.append(s.optimism_bias)
                continue
            grade = s.confidence
            if grade is None and p is not None and isinstance(s.unit_cost, str) and s.unit_cost in p:
                grade = p[s.unit_cost].confidence
            obs.append(ob_rate(grade, self.ob_grades))
        return values, obs, factors

    def _arrays(self, values: Mapping[str, Any], obs: Sequence[Ref], n: int) -> dict[str, np.ndarray]:
        """Core arithmetic for ``n`` parameter sets at once (values may be arrays of length n)."""
        S, T = len(self.streams), self.horizon
        gross = np.zeros((n, S))
        factor = np.ones((n, S))
        obr = np.zeros((n, S))
        rate_parts = {k: np.zeros((n, S)) for k in ("deadweight", "displacement", "attribution")}
        weights = np.zeros((S, T))
        truncated = []
        for j, s in enumerate(self.streams):
            q = np.ones(n)
            for f in s.quantity_factors:
                v = np.broadcast_to(np.asarray(_lookup(values, f, s.name, "quantity"), dtype=float), (n,))
                if np.any(v < 0):
                    raise NegativeQuantityError(
                        f"stream {s.name!r}: quantity {f!r} = {float(np.min(v)):g} is negative; quantities must be >= 0"
                    )
                q = q * v
            c = np.broadcast_to(np.asarray(_lookup(values, s.unit_cost, s.name, "unit_cost"), dtype=float), (n,))
            if np.any(c < 0):
                raise NegativeUnitCostError(
                    f"stream {s.name!r}: unit_cost {s.unit_cost!r} = {float(np.min(c)):g} is negative"
                )
            gross[:, j] = q * c
            if self.adjust:
                ob = np.broadcast_to(np.asarray(_lookup(values, obs[j], s.name, "optimism_bias"), dtype=float), (n,))
                self._check_rates(ob, f"stream {s.name!r}: optimism_bias")
                obr[:, j] = ob
                if s.kind == "cost":
                    factor[:, j] = 1 + ob
                else:
                    f_add = np.ones(n)
                    for k in ("deadweight", "displacement", "attribution"):
                        ref = getattr(s, k)
                        ref = self.defaults[k] if ref is None else ref
                        r = np.broadcast_to(np.asarray(_lookup(values, ref, s.name, k), dtype=float), (n,))
                        self._check_rates(r, f"stream {s.name!r}: {k}")
                        rate_parts[k][:, j] = r
                        f_add = f_add * (1 - r)
                    factor[:, j] = f_add * (1 - ob if s.kind == "benefit" else 1 + ob)
            for y, w in s.weights.items():
                if y < T:
                    weights[j, y] = w
                elif s.name not in truncated:
                    truncated.append(s.name)
        signs = np.array([s.sign for s in self.streams], dtype=float)
        net = gross * factor  # (n, S), unsigned, per unit of year weight
        flows = net[:, :, None] * weights[None, :, :] * signs[None, :, None]  # (n, S, T)
        dfs = self._discount(values, n)  # (n, T)
        pv = np.einsum("nst,nt->ns", flows, dfs)
        return {
            "gross": gross,
            "factor": factor,
            "ob": obr,
            **rate_parts,
            "flows": flows,
            "df": dfs,
            "pv": pv,
            "weights": weights,
            "truncated": truncated,  # type: ignore[dict-item]
        }

    @staticmethod
    def _check_rates(r: np.ndarray, what: str) -> None:
        if np.any((r < 0) | (r > 1)):
            bad = float(r[(r < 0) | (r > 1)][0])
            raise RateError(f"{what} = {bad:g} is outside [0, 1]")

    def _discount(self, values: Mapping[str, Any], n: int) -> np.ndarray:
        T = self.horizon
        dr = self.discount_rate
        if isinstance(dr, str) and dr != "green_book":
            r = np.broadcast_to(np.asarray(_lookup(values, dr, "<model>", "discount_rate"), dtype=float), (n,))
            if np.any((r < 0) | (r >= 1)):
                raise RateError(f"discount_rate parameter {dr!r} must lie in [0, 1)")
            return 1.0 / (1.0 + r[:, None]) ** np.arange(T)[None, :]
        return np.broadcast_to(discount_factors(T, dr), (n, T))

    # ------------------------------------------------------------------ public

    def evaluate(self, params: Parameters | Mapping[str, float] | None = None, **overrides: float) -> CBAResult:
        """Evaluate the model at one parameter set.

        Parameters
        ----------
        params
            A :class:`~evalkit.cba.params.Parameters` (needed for uprating and
            for taking confidence grades from unit-cost parameters) or a plain
            ``name -> value`` mapping.
        **overrides
            Values replacing those in ``params`` (e.g. ``unit_lac=5000``).
        """
        values, obs, _ = self._prepare(params, overrides)
        a = self._arrays(values, obs, 1)
        return CBAResult(self, a, values)

    def simulate(
        self,
        draws: Mapping[str, np.ndarray],
        params: Parameters | Mapping[str, float] | None = None,
        payer: str | None = None,
    ) -> dict[str, np.ndarray]:
        """Vectorised evaluation over ``n`` draws; returns metric arrays (used by Monte Carlo).

        ``draws`` maps parameter names to arrays of equal length ``n``; other
        parameters stay at their values in ``params``. Returns
        ``metric name -> array of n values`` for all payers or ``payer``.
        """
        return _metrics(self, self._simulate_arrays(draws, params), payer)

    def _simulate_arrays(
        self, draws: Mapping[str, np.ndarray], params: Parameters | Mapping[str, float] | None
    ) -> dict[str, Any]:
        values, obs, factors = self._prepare(params, {})
        lengths = {len(np.asarray(v)) for v in draws.values()}
        if len(lengths) != 1:
            raise CBAError("every drawn parameter needs the same number of draws")
        n = lengths.pop()
        for k, v in draws.items():
            if k not in values:
                raise UnknownParameterError(f"drawn parameter {k!r} is not defined")
            values[k] = np.asarray(v, dtype=float) * factors.get(k, 1.0)
        return self._arrays(values, obs, n)

    def metric(
        self,
        params: Parameters | Mapping[str, float] | None = None,
        metric: str = "npv",
        payer: str | None = None,
        **overrides: float,
    ) -> float:
        """One headline number (``npv``, ``bcr``, ...) for all payers or one payer."""
        return self.evaluate(params, **overrides).metric(metric, payer)


def _metrics(model: CBAModel, a: Mapping[str, Any], payer: str | None = None) -> dict[str, np.ndarray]:
    """Headline metrics (arrays over draws) for all payers or one payer."""
    kinds = np.array([s.kind for s in model.streams])
    mask = np.ones(len(model.streams), dtype=bool)
    if payer is not None:
        if payer not in model.payers:
            raise UnknownPayerError(f"payer {payer!r} is not one of the model's payers ({', '.join(model.payers)})")
        mask = np.array([s.payer == payer for s in model.streams])
    pv = a["pv"]
    ben = pv[:, mask & (kinds == "benefit")].sum(axis=1) + 0.0
    dis = -pv[:, mask & (kinds == "disbenefit")].sum(axis=1) + 0.0  # + 0.0 turns -0.0 into 0.0
    cost = -pv[:, mask & (kinds == "cost")].sum(axis=1) + 0.0
    net_out = ben - dis
    npv = net_out - cost
    with np.errstate(divide="ignore", invalid="ignore"):
        bcr = np.where(cost > 0, net_out / np.where(cost > 0, cost, 1), np.nan)
        roi = np.where(cost > 0, npv / np.where(cost > 0, cost, 1), np.nan)
    return {
        "pv_benefits": ben,
        "pv_disbenefits": dis,
        "pv_costs": cost,
        "net_outcomes": net_out,
        "npv": npv,
        "bcr": bcr,
        "roi": roi,
    }


def money_label(x: float, scale: float) -> str:
    """``x`` pounds as compact text at ``scale`` (1, 1e3 or 1e6): "£1.5m", "-£250k", "£900".

    Examples
    --------
    >>> money_label(-1_750_000, 1e6), money_label(250_000, 1e3), money_label(900, 1)
    ('-£1.75m', '£250k', '£900')
    """
    sign = "-" if x < 0 else ""
    v = abs(x) / scale
    if scale >= 1e6:
        txt = f"{v:,.2f}".rstrip("0").rstrip(".")
        return f"{sign}£{txt}m"
    if scale >= 1e3:
        return f"{sign}£{v:,.0f}k"
    return f"{sign}£{v:,.0f}"


def money_axis(ax: Any, which: str = "y", nbins: int = 5) -> None:
    """Format an axis in compact pounds (£k or £m), with few enough ticks that the labels never overprint."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis = ax.yaxis if which == "y" else ax.xaxis
    lo, hi = ax.get_ylim() if which == "y" else ax.get_xlim()
    big = max(abs(lo), abs(hi))
    scale = 1e6 if big >= 1e6 else (1e3 if big >= 1e4 else 1.0)
    axis.set_major_locator(MaxNLocator(nbins=nbins))
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: money_label(x, scale)))


#: Human names of the metrics, with units.
METRIC_LABELS = {"npv": "Net present value (£)", "bcr": "Benefit-cost ratio", "roi": "Return on investment"}


def metric_label(metric: str, payer: str | None = None) -> str:
    """The axis label of a metric, for one payer or all."""
    who = f", {payer.replace('_', ' ')}" if payer else ", all payers"
    return METRIC_LABELS.get(metric, metric) + who


class CBAResult(Result):
    """The result of :meth:`CBAModel.evaluate`.

    Attributes
    ----------
    npv, bcr, roi, pv_benefits, pv_disbenefits, pv_costs, net_outcomes : float
        Totals over all payers, in present value. ``net_outcomes`` is benefits
        less disbenefits; ``npv`` is that less costs. ``bcr`` =
        net_outcomes / pv_costs and ``roi`` = npv / pv_costs (NaN when there
        are no costs). The GMCA "financial return on investment" (pounds back
        per pound spent) is :attr:`bcr` for one payer.
    payback_year : int or None
        First year from which the cumulative *discounted* net flow is >= 0 and
        stays so (``payback_year_undiscounted`` for the undiscounted one).
    lines : pandas.DataFrame
        One row per stream: gross value, adjustments, net and present values.
    flows : pandas.DataFrame
        Signed, adjusted, undiscounted flows by year (rows) and stream (columns).
    truncated : list of str
        Streams with flows after the horizon (left out).
    """

    def __init__(self, model: CBAModel, arrays: Mapping[str, Any], values: Mapping[str, Any]):
        self.notes: list[str] = []
        self.model = model
        self._a = arrays
        self.values = {k: float(np.asarray(v).ravel()[0]) for k, v in values.items()}
        m = _metrics(model, arrays)
        for k, v in m.items():
            setattr(self, k, float(v[0]))
        self.npv: float
        self.bcr: float
        self.roi: float
        self.pv_benefits: float
        self.pv_disbenefits: float
        self.pv_costs: float
        self.net_outcomes: float
        self.truncated: list[str] = list(arrays["truncated"])
        T = model.horizon
        self.flows = pd.DataFrame(
            arrays["flows"][0].T, index=pd.RangeIndex(T, name="year"), columns=[s.name for s in model.streams]
        )
        self.discount_factors = pd.Series(arrays["df"][0], index=pd.RangeIndex(T, name="year"), name="discount_factor")
        rows = []
        for j, s in enumerate(model.streams):
            flows = arrays["flows"][0, j]
            rows.append(
                {
                    "stream": s.name,
                    "label": s.label or s.name,
                    "payer": s.payer,
                    "kind": s.kind,
                    "gross": float(arrays["gross"][0, j] * sum(w for y, w in s.weights.items() if y < T)),
                    "deadweight": float(arrays["deadweight"][0, j]),
                    "displacement": float(arrays["displacement"][0, j]),
                    "attribution": float(arrays["attribution"][0, j]),
                    "optimism_bias": float(arrays["ob"][0, j]),
                    "adjustment_factor": float(arrays["factor"][0, j]),
                    "net": float(abs(flows.sum())),
                    "pv": float(arrays["pv"][0, j]),
                }
            )
        self.lines = pd.DataFrame(rows)

    def stream_value(self, stream: str, what: str = "gross") -> float:
        """One number from :attr:`lines` for one stream (``gross``, ``net``, ``pv``, ...)."""
        lines = self.lines.set_index("stream")
        if stream not in lines.index:
            raise CBAError(f"no stream named {stream!r} (streams: {', '.join(lines.index)})")
        if what not in lines.columns:
            raise CBAError(f"{what!r} is not a column of the result lines ({', '.join(lines.columns)})")
        return float(lines.at[stream, what])

    def metric(self, name: str = "npv", payer: str | None = None) -> float:
        """One metric (see :data:`METRICS`), for all payers or one payer."""
        if name not in METRICS:
            raise CBAError(f"metric {name!r} is not one of {METRICS}")
        return float(_metrics(self.model, self._a, payer)[name][0])

    def _net_by_year(self, payer: str | None = None, discounted: bool = True) -> np.ndarray:
        flows = self._a["flows"][0]
        if payer is not None:
            mask = np.array([s.payer == payer for s in self.model.streams])
            flows = flows[mask]
        net = flows.sum(axis=0)
        return net * self._a["df"][0] if discounted else net

    @property
    def payback_year(self) -> int | None:
        return payback_year(self._net_by_year())

    @property
    def payback_year_undiscounted(self) -> int | None:
        return payback_year(self._net_by_year(discounted=False))

    def by_payer(self) -> pd.DataFrame:
        """Present values and ratios for each payer with at least one stream, plus ``total``.

        The payers' ``npv`` (and every PV column) sum to the total.
        """
        rows = []
        used = [p for p in self.model.payers if any(s.payer == p for s in self.model.streams)]
        for p in [*used, None]:
            m = {k: float(v[0]) for k, v in _metrics(self.model, self._a, p).items()}
            rows.append(
                {
                    "payer": p or "total",
                    "pv_benefits": m["pv_benefits"],
                    "pv_disbenefits": m["pv_disbenefits"],
                    "net_outcomes": m["net_outcomes"],
                    "pv_costs": m["pv_costs"],
                    "npv": m["npv"],
                    "bcr": m["bcr"],
                    "roi": m["roi"],
                    "payback_year": payback_year(self._net_by_year(p)),
                }
            )
        out = pd.DataFrame(rows)
        out["payback_year"] = pd.array(out["payback_year"].tolist(), dtype="Int64")
        return out

    def summary(self) -> Summary:
        """Settings, lines and totals by payer; ``str()`` is fixed-width text, stable for nbval."""
        lines = self._text().split("\n")
        return Summary(lines[0], "\n".join(lines[1:]), notes=list(self.notes), preformatted=True)

    def to_frame(self) -> pd.DataFrame:
        """One row per stream (:attr:`lines`)."""
        return self.lines

    def plot(self, ax: Any = None) -> Any:
        """The waterfall of present values (:meth:`waterfall`)."""
        return self.waterfall(ax=ax)

    def _text(self) -> str:
        """Plain fixed-width text: settings, lines, and totals by payer (stable for nbval)."""
        m = self.model
        dr = m.discount_rate
        if dr == "green_book":
            dr_txt = "Green Book schedule (3.5% to year 30)"
        else:
            rate = self.values[dr] if isinstance(dr, str) else dr
            dr_txt = f"{100 * float(rate):.2f}%"
        out = [
            f"Cost-benefit analysis{': ' + m.name if m.name else ''}",
            f"horizon {m.horizon} year(s); discount rate {dr_txt}; adjustments {'on' if m.adjust else 'off'}"
            + (f"; prices uprated to {m.price_year}" if m.price_year is not None else ""),
            "",
        ]
        head = f"{'stream':<26}{'payer':<20}{'kind':<11}{'gross':>12}{'factor':>8}{'PV':>12}"
        out += [head, "-" * len(head)]
        for _, r in self.lines.iterrows():
            out.append(
                f"{str(r['label'])[:25]:<26}{str(r['payer'])[:19]:<20}{r['kind']:<11}{r['gross']:>12,.0f}"
                f"{r['adjustment_factor']:>8.3f}{r['pv']:>12,.0f}"
            )
        out.append("")
        bp = self.by_payer()
        head = f"{'payer':<20}{'benefits':>12}{'disbenefits':>12}{'costs':>12}{'NPV':>12}{'BCR':>7}{'payback':>9}"
        out += [head, "-" * len(head)]
        for _, r in bp.iterrows():
            bcr = "" if pd.isna(r["bcr"]) else f"{r['bcr']:.2f}"
            pb = "none" if pd.isna(r["payback_year"]) else str(int(r["payback_year"]))
            out.append(
                f"{str(r['payer'])[:19]:<20}{r['pv_benefits']:>12,.0f}{r['pv_disbenefits']:>12,.0f}{r['pv_costs']:>12,.0f}"
                f"{r['npv']:>12,.0f}{bcr:>7}{pb:>9}"
            )
        if self.truncated:
            out += ["", f"flows after the horizon left out for: {', '.join(self.truncated)}"]
        return "\n".join(out)

    def __repr__(self) -> str:
        return f"<CBAResult npv={self.npv:,.2f} bcr={self.bcr:.3g} payback={self.payback_year}>"

    def waterfall(self, ax: Any = None, *, title: str | None = None, palette: str = "colorblind") -> Any:
        """Waterfall of present values by stream, coloured by payer, ending in the net total.

        Returns the matplotlib Axes.
        """
        import matplotlib.pyplot as plt
        import seaborn as sns
        from matplotlib.patches import Patch

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        lines = self.lines
        payers = list(dict.fromkeys(lines["payer"]))
        colours = dict(zip(payers, sns.color_palette(palette, len(payers)), strict=True))
        running = 0.0
        labels = []
        for i, r in enumerate(lines.itertuples()):
            ax.bar(i, r.pv, bottom=running, color=colours[r.payer], edgecolor="black", linewidth=0.6)
            ax.text(i, running + r.pv + (0 if r.pv >= 0 else 0), f"{r.pv:,.0f}", ha="center",
                    va="bottom" if r.pv >= 0 else "top", fontsize=8)
            running += r.pv
            labels.append(r.label)
        total = running
        ax.bar(len(lines), total, color="0.35", edgecolor="black", linewidth=0.6)
        ax.text(len(lines), total, f"{total:,.0f}", ha="center", va="bottom" if total >= 0 else "top", fontsize=8)
        labels.append("Net (NPV)")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=25, ha="right")
        ax.set_ylabel("Present value (£)")
        # room above the tallest bar and its label, so nothing is cut off or touches the title
        tops = [0.0, total]
        run = 0.0
        for r in lines.itertuples():
            run += r.pv
            tops.append(run)
            tops.append(run - r.pv)
        lo, hi = min(tops), max(tops)
        span = (hi - lo) or 1.0
        ax.set_ylim(lo - 0.12 * span, hi + 0.18 * span)
        money_axis(ax, "y")
        ax.legend(handles=[Patch(color=colours[p], label=p.replace("_", " ")) for p in payers]
                  + [Patch(color="0.35", label="net")],
                  title="payer", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        ax.set_title(title or "Present value by outcome and payer", pad=12)
        return ax
