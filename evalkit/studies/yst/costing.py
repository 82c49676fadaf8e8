"""Bottom-up case costing: staff time, unit costs, and savings per case.

The functions are small and explicit so that each step of a costed case
review can be checked by hand:

- staff-time cost = hours x hourly rate, and the rate a stated cost implies;
- a monthly unit cost over a period, and the monthly figure a stated
  12-month cost implies;
- the saving credited to each case from its outcome and the unit costs;
- savings against costs per case, with the months of avoided support needed
  to break even.

Money is in the document's cash prices; nothing here discounts or uprates
(see :mod:`evalkit.cba` for that).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evalkit.errors import InputDataError

MONTHS_PER_YEAR = 12


class CostingError(InputDataError):
    """An input to a costing is impossible (negative hours, zero hours with a cost, ...)."""


def _non_negative(name: str, value: float | np.ndarray | pd.Series) -> None:
    arr = np.asarray(value, dtype=float)
    if np.isnan(arr).any():
        raise CostingError(f"{name} has a missing value")
    if (arr < 0).any():
        raise CostingError(f"{name} must not be negative (got {arr[arr < 0][0]:g})")


def staff_cost(hours: float | pd.Series, rate: float | pd.Series) -> float | pd.Series:
    """Cost of staff time: ``hours x rate``.

    Parameters
    ----------
    hours
        Staff hours (>= 0).
    rate
        Cost per hour (>= 0), in GBP.
    """
    _non_negative("hours", hours)
    _non_negative("rate", rate)
    return hours * rate


def implied_rate(cost: float | pd.Series, hours: float | pd.Series) -> float | pd.Series:
    """Hourly rate implied by a stated cost and its hours: ``cost / hours``."""
    _non_negative("cost", cost)
    _non_negative("hours", hours)
    if np.any(np.asarray(hours, dtype=float) == 0):
        raise CostingError("hours must be positive to imply a rate")
    return cost / hours


def hours_at_rate(cost: float | pd.Series, rate: float) -> float | pd.Series:
    """Hours that a stated cost would buy at ``rate``."""
    _non_negative("cost", cost)
    if rate <= 0:
        raise CostingError("rate must be positive")
    return cost / rate


def over_months(monthly: float, months: float = MONTHS_PER_YEAR, setup: float = 0.0) -> float:
    """Cost of support over ``months``: ``setup + monthly x months``.

    ``over_months(393)`` is the 12-month cost of a £393-a-month plan.
    """
    for name, v in (("monthly", monthly), ("months", months), ("setup", setup)):
        _non_negative(name, v)
    return setup + monthly * months


def implied_monthly(total: float, months: float = MONTHS_PER_YEAR, setup: float = 0.0) -> float:
    """Monthly cost implied by a total over ``months`` (after any one-off ``setup``)."""
    _non_negative("total", total)
    if months <= 0:
        raise CostingError("months must be positive")
    if setup > total:
        raise CostingError("setup exceeds the total")
    return (total - setup) / months


def break_even_months(cost: float, monthly: float, setup: float = 0.0) -> float:
    """Months of avoided support at ``monthly`` (after a one-off ``setup``) that repay ``cost``.

    Zero when the set-up alone covers the cost; infinite when nothing is saved.
    """
    _non_negative("cost", cost)
    _non_negative("monthly", monthly)
    _non_negative("setup", setup)
    remaining = max(cost - setup, 0.0)
    if remaining == 0:
        return 0.0
    if monthly == 0:
        return float("inf")
    return remaining / monthly


# ----------------------------------------------------------------------------- tables


def unit_cost_lookup(unit_costs: pd.DataFrame) -> dict[str, float]:
    """``{cost_item: value_gbp}`` from a ``unit_costs`` table."""
    return dict(zip(unit_costs["cost_item"], unit_costs["value_gbp"].astype(float), strict=True))


def case_rates(cases: pd.DataFrame, *, reference: str = "median") -> pd.DataFrame:
    """Implied hourly rate of each case and its gap from a reference rate.

    Parameters
    ----------
    cases
        A ``yst_case_costs`` table (``case_id``, ``yst_hours``, ``yst_cost_gbp``).
    reference
        ``"median"`` of the case rates (default; robust to one odd case) or
        ``"pooled"`` (total cost / total hours).

    Returns
    -------
    pandas.DataFrame
        One row per case: hours, cost, implied rate, the reference rate, the
        gap in GBP per hour and per cent, the cost at the reference rate, and
        the hours the stated cost buys at the reference rate.
    """
    out = cases[["case_id", "yst_hours", "yst_cost_gbp"]].copy()
    out["implied_rate"] = implied_rate(out["yst_cost_gbp"], out["yst_hours"])
    ref = reference_rate(cases, method=reference)
    out["reference_rate"] = ref
    out["rate_gap"] = out["implied_rate"] - ref
    out["rate_gap_pct"] = 100 * out["rate_gap"] / ref
    out["cost_at_reference"] = staff_cost(out["yst_hours"], ref)
    out["hours_at_reference"] = hours_at_rate(out["yst_cost_gbp"], ref)
    return out


def reference_rate(cases: pd.DataFrame, *, method: str = "median") -> float:
    """One hourly rate for all cases: the median implied rate, or total cost / total hours."""
    if method == "median":
        return float(implied_rate(cases["yst_cost_gbp"], cases["yst_hours"]).median())
    if method == "pooled":
        return float(implied_rate(cases["yst_cost_gbp"].sum(), cases["yst_hours"].sum()))
    raise ValueError(f"method must be 'median' or 'pooled', not {method!r}")


def rate_spread(cases: pd.DataFrame) -> dict[str, float]:
    """Summary of how far the cases' implied rates disagree."""
    r = implied_rate(cases["yst_cost_gbp"], cases["yst_hours"])
    return {
        "min": float(r.min()),
        "max": float(r.max()),
        "median": float(r.median()),
        "pooled": reference_rate(cases, method="pooled"),
        "range_pct_of_median": float(100 * (r.max() - r.min()) / r.median()),
    }


def case_savings(
    cases: pd.DataFrame,
    unit_costs: pd.DataFrame | Mapping[str, float],
    *,
    months: float = MONTHS_PER_YEAR,
    include_setup: bool = True,
) -> pd.DataFrame:
    """Saving credited to each case, valued at the unit costs over ``months``.

    ``saving_basis`` says what each case is credited with: ``cin_plan`` (CIN
    support no longer needed), ``cp_plan`` (a CP plan avoided: set-up plus
    monthly support) or ``none``.

    Returns
    -------
    pandas.DataFrame
        ``case_id, saving_basis, monthly_saving, setup_saving, saving, cost,
        net, ratio, break_even_months`` (``ratio`` = saving / cost).
    """
    uc = unit_cost_lookup(unit_costs) if isinstance(unit_costs, pd.DataFrame) else dict(unit_costs)
    needed = {"cin_plan": ["cin_plan_support"], "cp_plan": ["cp_plan_setup", "cp_plan_support"], "none": []}
    rows = []
    for _, c in cases.iterrows():
        basis = c["saving_basis"]
        if basis not in needed:
            raise CostingError(f"case {c['case_id']}: unknown saving_basis {basis!r}")
        missing = [k for k in needed[basis] if k not in uc]
        if missing:
            raise CostingError(f"case {c['case_id']}: unit cost(s) {missing} are needed but not given")
        monthly = {"cin_plan": uc.get("cin_plan_support", 0.0), "cp_plan": uc.get("cp_plan_support", 0.0)}.get(
            basis, 0.0
        )
        setup = uc.get("cp_plan_setup", 0.0) if basis == "cp_plan" and include_setup else 0.0
        saving = over_months(monthly, months, setup) if basis != "none" else 0.0
        cost = float(c["yst_cost_gbp"])
        rows.append(
            {
                "case_id": c["case_id"],
                "saving_basis": basis,
                "monthly_saving": monthly,
                "setup_saving": setup,
                "saving": saving,
                "cost": cost,
                "net": saving - cost,
                "ratio": saving / cost if cost else float("nan"),
                "break_even_months": break_even_months(cost, monthly, setup) if basis != "none" else float("inf"),
            }
        )
    return pd.DataFrame(rows)


def portfolio(savings: pd.DataFrame) -> dict[str, float]:
    """Totals across cases of a :func:`case_savings` table, and the portfolio break-even.

    The break-even is the number of months for which every credited case's
    avoided support must last for total savings to repay total cost.
    """
    cost = float(savings["cost"].sum())
    saving = float(savings["saving"].sum())
    monthly = float(savings["monthly_saving"].where(savings["saving_basis"] != "none", 0).sum())
    setup = float(savings["setup_saving"].sum())
    return {
        "cost": cost,
        "saving": saving,
        "net": saving - cost,
        "ratio": saving / cost if cost else float("nan"),
        "monthly_saving": monthly,
        "setup_saving": setup,
        "break_even_months": break_even_months(cost, monthly, setup),
    }


def break_even_grid(
    cases: pd.DataFrame,
    unit_costs: pd.DataFrame | Mapping[str, float],
    months: np.ndarray | list[float],
    *,
    include_setup: bool = True,
) -> pd.DataFrame:
    """Portfolio net saving for each assumed duration of avoided support."""
    rows = []
    for m in months:
        p = portfolio(case_savings(cases, unit_costs, months=float(m), include_setup=include_setup))
        rows.append({"months": float(m), "saving": p["saving"], "cost": p["cost"], "net": p["net"]})
    return pd.DataFrame(rows)
