"""Discounting to present value, HM Treasury Green Book style.

Year 0 is the first year and is not discounted; a flow in year ``t`` is
multiplied by ``1 / (1 + r)^t``. The Green Book's standard rate (the social
time preference rate) is 3.5% a year for the first 30 years, falling for
longer horizons (3.0% for years 31-75, 2.5% for 76-125, 2.0% for 126-200,
1.5% for 201-300, 1.0% after); pass ``rate="green_book"`` for that schedule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalkit.cba.errors import RateError

#: The Green Book's standard discount rate (real, per year) for years 0-30.
GREEN_BOOK_RATE = 0.035
#: Green Book long-term schedule: (first year the rate applies, rate).
GREEN_BOOK_SCHEDULE: tuple[tuple[int, float], ...] = (
    (0, 0.035),
    (31, 0.030),
    (76, 0.025),
    (126, 0.020),
    (201, 0.015),
    (301, 0.010),
)


def _check_rate(rate: float, what: str = "discount_rate") -> float:
    r = float(rate)
    if not 0.0 <= r < 1.0:
        raise RateError(f"{what} {r} must lie in [0, 1) (e.g. 0.035 for 3.5%)")
    return r


def discount_factors(n_years: int, rate: float | str = GREEN_BOOK_RATE) -> np.ndarray:
    """Discount factors for years ``0 .. n_years - 1``.

    Parameters
    ----------
    n_years
        Horizon in years (year 0 included).
    rate
        Annual rate in [0, 1), or ``"green_book"`` for the declining schedule.

    Examples
    --------
    >>> discount_factors(3, 0.035).round(6).tolist()
    [1.0, 0.966184, 0.933511]
    """
    if int(n_years) != n_years or n_years < 1:
        raise ValueError(f"n_years must be a whole number >= 1, got {n_years!r}")
    n = int(n_years)
    if isinstance(rate, str):
        if rate != "green_book":
            raise RateError(f"discount rate {rate!r}: give a number or 'green_book'")
        rates = np.empty(n)
        for start, r in GREEN_BOOK_SCHEDULE:
            rates[start:] = r
        # Year t is discounted over the t years before it: rates of years 0..t-1.
        growth = np.concatenate([[1.0], np.cumprod(1.0 + rates[: n - 1])])
        return 1.0 / growth
    r = _check_rate(rate)
    return 1.0 / (1.0 + r) ** np.arange(n)


def present_value(flows: Sequence[float] | np.ndarray, rate: float | str = GREEN_BOOK_RATE) -> float:
    """Present value of a yearly series of flows starting in year 0.

    >>> round(present_value([100, 100], 0.035), 4)
    196.6184
    """
    f = np.asarray(flows, dtype=float)
    return float(f @ discount_factors(len(f), rate))


def npv(
    benefits: Sequence[float], costs: Sequence[float], rate: float | str = GREEN_BOOK_RATE
) -> float:
    """Net present value of yearly benefits less yearly costs (same length, from year 0)."""
    b = np.asarray(benefits, dtype=float)
    c = np.asarray(costs, dtype=float)
    if b.shape != c.shape:
        raise ValueError(f"benefits ({b.shape[0]} years) and costs ({c.shape[0]} years) differ in length")
    return present_value(b - c, rate)


def payback_year(net_flows: Sequence[float] | np.ndarray) -> int | None:
    """First year (0-based) from which the cumulative net flow is >= 0 and stays so.

    Returns ``None`` when the cumulative balance is still negative at the end
    of the series (no payback within the horizon). Pass discounted flows for a
    discounted payback. A series that starts at zero or above and never dips
    below pays back in year 0. Requiring the balance to *stay* non-negative
    means a later net outflow (e.g. a re-procurement year) that pushes the
    balance back below zero moves the payback year later.

    >>> payback_year([-100, 30, 40, 50])
    3
    """
    cum = np.cumsum(np.asarray(net_flows, dtype=float))
    hits = np.nonzero(cum >= -1e-9)[0]
    # Payback is the first year after which the cumulative balance stays non-negative.
    for t in hits:
        if np.all(cum[t:] >= -1e-9):
            return int(t)
    return None
