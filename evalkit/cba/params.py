"""Named model parameters: unit costs, quantities, rates, each with its source.

A :class:`Parameter` is one number with what a reader needs to trust it: where
it comes from, its price year (for money), whether it was back-solved from a
stated total, a confidence grade, and a range for sensitivity analysis.
:class:`Parameters` is an ordered, immutable collection of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from evalkit.cba.errors import (
    CBAError,
    NegativeQuantityError,
    NegativeUnitCostError,
    PriceYearError,
    RateError,
    UnknownParameterError,
)

#: What a parameter measures. Only ``unit_cost`` parameters are uprated.
KINDS = ("unit_cost", "quantity", "rate", "other")
#: Monte Carlo distributions a parameter may carry (see :func:`evalkit.cba.monte_carlo`).
DISTRIBUTIONS = ("fixed", "uniform", "triangular", "pert")


@dataclass(frozen=True)
class Parameter:
    """One named input of a cost-benefit model.

    Parameters
    ----------
    name
        Identifier used by streams (``Stream(unit_cost="unit_missing")``).
    value
        Central value.
    kind
        ``"unit_cost"`` (money per unit; uprated when asked), ``"quantity"``
        (count of outcomes, months, cases), ``"rate"`` (a share in [0, 1]) or
        ``"other"``.
    unit
        Free text, e.g. ``"GBP per missing episode"``.
    source
        Where the value comes from (document and line, or the assumption).
    back_solved
        True when the value is implied by a stated total and quantity rather
        than stated itself (see :func:`back_solve`).
    price_year
        Price year of a unit cost (calendar or financial year, as the index
        table is keyed). ``None`` when unknown; uprating then raises.
    confidence
        Confidence grade 1 (best) to 5 (worst) for optimism-bias correction.
    low, high
        Range for one-way sensitivity and Monte Carlo draws.
    distribution
        Monte Carlo distribution over ``[low, high]``: ``"triangular"``
        (mode ``value``), ``"pert"`` (beta-PERT, mode ``value``), ``"uniform"``
        or ``"fixed"``. Defaults to triangular when a range is given.
    note
        Anything else a reader should know.
    """

    name: str
    value: float
    kind: str = "other"
    unit: str = ""
    source: str = ""
    back_solved: bool = False
    price_year: int | None = None
    confidence: int | None = None
    low: float | None = None
    high: float | None = None
    distribution: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise CBAError(f"parameter name must be non-empty text, got {self.name!r}")
        if self.kind not in KINDS:
            raise CBAError(f"parameter {self.name!r}: kind {self.kind!r} is not one of {KINDS}")
        try:
            v = float(self.value)
        except (TypeError, ValueError):
            raise CBAError(f"parameter {self.name!r}: value {self.value!r} is not a number") from None
        if math.isnan(v):
            raise CBAError(f"parameter {self.name!r}: value is NaN")
        object.__setattr__(self, "value", v)
        for attr in ("low", "high"):
            x = getattr(self, attr)
            if x is not None:
                object.__setattr__(self, attr, float(x))
        if (self.low is None) != (self.high is None):
            raise CBAError(f"parameter {self.name!r}: give both low and high, or neither")
        if self.low is not None and self.high is not None and not self.low <= self.value <= self.high:
            raise CBAError(
                f"parameter {self.name!r}: range [{self.low}, {self.high}] does not contain "
                f"the value {self.value}"
            )
        dist = self.distribution
        if dist is None:
            dist = "fixed" if self.low is None else "triangular"
            object.__setattr__(self, "distribution", dist)
        if dist not in DISTRIBUTIONS:
            raise CBAError(f"parameter {self.name!r}: distribution {dist!r} is not one of {DISTRIBUTIONS}")
        if dist != "fixed" and self.low is None:
            raise CBAError(f"parameter {self.name!r}: distribution {dist!r} needs low and high")
        if self.confidence is not None and int(self.confidence) != self.confidence:
            raise CBAError(f"parameter {self.name!r}: confidence grade must be a whole number")
        check_value(self.name, self.kind, self.value)
        for x in (self.low, self.high):
            if x is not None:
                check_value(self.name, self.kind, x, what="range bound")

    def with_value(self, value: float) -> Parameter:
        """A copy with another central value (range kept if it still contains it)."""
        low, high = self.low, self.high
        if low is not None and high is not None and not low <= value <= high:
            low, high = min(low, value), max(high, value)
        return replace(self, value=value, low=low, high=high)


def check_value(name: str, kind: str, value: float, *, what: str = "value") -> None:
    """Raise a clear error if ``value`` breaks the rule for a parameter of ``kind``."""
    if kind == "rate" and not 0.0 <= value <= 1.0:
        raise RateError(f"parameter {name!r}: {what} {value} is a rate and must lie in [0, 1]")
    if kind == "quantity" and value < 0:
        raise NegativeQuantityError(f"parameter {name!r}: {what} {value} is a quantity and must be >= 0")
    if kind == "unit_cost" and value < 0:
        raise NegativeUnitCostError(
            f"parameter {name!r}: {what} {value} is a unit cost and must be >= 0 "
            "(a saving or a cost is set by the stream's kind, not by sign)"
        )


def back_solve(
    name: str,
    total: float,
    quantity: float | Iterable[float],
    *,
    source: str,
    unit: str = "",
    price_year: int | None = None,
    confidence: int | None = None,
    low: float | None = None,
    high: float | None = None,
    distribution: str | None = None,
    note: str = "",
    round_to: float | None = None,
) -> Parameter:
    """The unit cost implied by a stated total and its quantity, as a flagged parameter.

    Parameters
    ----------
    name
        Parameter name.
    total
        The stated total (e.g. 22040 for "£22,040").
    quantity
        The stated quantity, or several factors whose product is the quantity
        (e.g. ``(28, 3)`` for 28 cases x 3 months).
    source
        Where the total and quantity are stated.
    round_to
        Round the implied unit cost to this step (``0.01`` for pence, ``1``
        for whole pounds), as a published unit cost would be. Then
        ``quantity x unit cost`` need not give the stated total back exactly,
        which is what makes reproducing the total a real check. ``None``
        keeps the unrounded value (the total is then reproduced by construction).

    Returns
    -------
    Parameter
        ``kind="unit_cost"``, ``back_solved=True``, ``value = total / quantity``
        (rounded if asked); ``note`` records the division and the unrounded value.

    Examples
    --------
    >>> back_solve("unit_cin_month", 9240, (28, 3), source="Table 3").value
    110.0
    """
    factors = [quantity] if isinstance(quantity, int | float) else list(quantity)
    q = 1.0
    for f in factors:
        f = float(f)
        if f < 0:
            raise NegativeQuantityError(f"back_solve({name!r}): quantity factor {f} must be >= 0")
        q *= f
    if q == 0:
        raise CBAError(f"back_solve({name!r}): the quantity is zero, so no unit cost is implied")
    if total < 0:
        raise NegativeUnitCostError(f"back_solve({name!r}): total {total} must be >= 0")
    shown = " x ".join(f"{float(f):g}" for f in factors)
    exact = float(total) / q
    value = exact
    if round_to is not None:
        if round_to <= 0:
            raise CBAError(f"back_solve({name!r}): round_to must be > 0, got {round_to}")
        value = round(round(exact / round_to) * round_to, 10)
    rounding = "" if round_to is None else f" = {exact:.10g}, rounded to {round_to:g}"
    if low is not None and high is not None:
        low, high = min(low, value), max(high, value)
    return Parameter(
        name=name,
        value=value,
        kind="unit_cost",
        unit=unit,
        source=source,
        back_solved=True,
        price_year=price_year,
        confidence=confidence,
        low=low,
        high=high,
        distribution=distribution,
        note=(note + "; " if note else "") + f"back-solved: {float(total):g} / ({shown}){rounding}",
    )


class Parameters(Mapping[str, Parameter]):
    """An ordered, immutable set of :class:`Parameter` objects, keyed by name.

    Behaves as a read-only mapping ``name -> Parameter``. :meth:`values_dict`
    gives ``name -> float``; :meth:`replace` returns a copy with some values
    changed (for scenarios); :meth:`table` gives a DataFrame for display.
    """

    def __init__(self, params: Iterable[Parameter] = ()):
        items = tuple(params)
        seen: set[str] = set()
        for p in items:
            if not isinstance(p, Parameter):
                raise CBAError(f"Parameters holds Parameter objects, got {type(p).__name__}")
            if p.name in seen:
                raise CBAError(f"parameter {p.name!r} is defined twice")
            seen.add(p.name)
        self.items_: tuple[Parameter, ...] = items

    def __getitem__(self, name: str) -> Parameter:
        for p in self.items_:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.items_)
        raise UnknownParameterError(f"no parameter named {name!r} (defined: {known})")

    def __iter__(self) -> Iterator[str]:
        return (p.name for p in self.items_)

    def __len__(self) -> int:
        return len(self.items_)

    def __repr__(self) -> str:
        return "Parameters(" + ", ".join(f"{p.name}={p.value:g}" for p in self.items_) + ")"

    def __add__(self, other: Iterable[Parameter]) -> Parameters:
        more = other.items_ if isinstance(other, Parameters) else tuple(other)
        return Parameters(self.items_ + tuple(more))

    def values_dict(self) -> dict[str, float]:
        """``name -> central value``."""
        return {p.name: p.value for p in self.items_}

    def replace(self, **values: float) -> Parameters:
        """A copy with the named parameters' central values replaced (each checked)."""
        for name in values:
            self[name]  # raises for an unknown name
        return Parameters(p.with_value(float(values[p.name])) if p.name in values else p for p in self.items_)

    def with_ranges(
        self, ranges: Mapping[str, tuple[float, float]], *, distribution: str | None = None
    ) -> Parameters:
        """A copy with ``low``/``high`` (and optionally the distribution) set for the named parameters."""
        for name in ranges:
            self[name]
        out = []
        for p in self.items_:
            if p.name in ranges:
                lo, hi = (float(x) for x in ranges[p.name])
                dist = distribution or (p.distribution if p.distribution != "fixed" else "triangular")
                out.append(replace(p, low=lo, high=hi, distribution=dist))
            else:
                out.append(p)
        return Parameters(out)

    def with_price_year(self, year: int, names: Iterable[str] | None = None) -> Parameters:
        """A copy with ``price_year`` set on the named unit costs (default: those without one)."""
        chosen = set(names) if names is not None else {p.name for p in self.items_ if p.price_year is None}
        return Parameters(
            replace(p, price_year=int(year)) if p.name in chosen and p.kind == "unit_cost" else p for p in self.items_
        )

    def add(self, *params: Parameter) -> Parameters:
        """A copy with more parameters."""
        return Parameters(self.items_ + params)

    def uprate(self, to_year: int, index: Any) -> Parameters:
        """A copy with every ``unit_cost`` parameter (value and range) in ``to_year`` prices.

        Parameters
        ----------
        to_year
            Target price year.
        index
            An :class:`evalkit.cba.prices.IndexTable`.

        Raises
        ------
        PriceYearError
            If a unit cost has no ``price_year``, or the index lacks a year.
        """
        out = []
        for p in self.items_:
            if p.kind != "unit_cost":
                out.append(p)
                continue
            if p.price_year is None:
                raise PriceYearError(
                    f"parameter {p.name!r} is a unit cost with no price_year, so it cannot be "
                    f"uprated to {to_year} prices; set price_year (or state the assumption) first"
                )
            f = index.factor(p.price_year, to_year)
            out.append(
                replace(
                    p,
                    value=p.value * f,
                    low=None if p.low is None else p.low * f,
                    high=None if p.high is None else p.high * f,
                    price_year=to_year,
                    note=(p.note + "; " if p.note else "")
                    + f"uprated {p.price_year}->{to_year} by {index.name} (x{f:.4f})",
                )
            )
        return Parameters(out)

    def table(self) -> pd.DataFrame:
        """One row per parameter, for display and for writing out."""
        rows = [
            {
                "name": p.name,
                "value": p.value,
                "kind": p.kind,
                "unit": p.unit,
                "price_year": p.price_year,
                "back_solved": p.back_solved,
                "confidence": p.confidence,
                "low": p.low,
                "high": p.high,
                "distribution": p.distribution,
                "source": p.source,
                "note": p.note,
            }
            for p in self.items_
        ]
        return pd.DataFrame(rows)
