"""Costing arithmetic against hand-worked values (seed 000 figures)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evalkit.studies.yst import costing
from evalkit.studies.yst.costing import CostingError


def _cases():
    return pd.DataFrame(
        {
            "case_id": [1, 2, 3, 4, 5],
            "yst_hours": [75.0, 45.0, 105.0, 80.0, 70.0],
            "yst_cost_gbp": [1730.0, 1050.0, 2680.0, 1800.0, 1615.0],
            "saving_basis": ["cin_plan", "cin_plan", "cp_plan", "none", "cin_plan"],
        }
    )


UNIT = {"cin_plan_support": 393.0, "cp_plan_setup": 2200.0, "cp_plan_support": 1147.0}


def test_staff_cost_and_implied_rate():
    assert costing.staff_cost(75, 23.0) == 1725
    assert costing.implied_rate(1730, 75) == pytest.approx(23.066667, abs=1e-6)
    assert costing.hours_at_rate(2680, 1615 / 70) == pytest.approx(116.16, abs=0.01)


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (costing.staff_cost, (-1, 20)),
        (costing.staff_cost, (10, -20)),
        (costing.implied_rate, (100, 0)),
        (costing.implied_rate, (float("nan"), 3)),
        (costing.hours_at_rate, (100, 0)),
        (costing.over_months, (-393, 12)),
        (costing.implied_monthly, (100, 0)),
        (costing.implied_monthly, (100, 12, 200)),
    ],
)
def test_bad_inputs_raise(fn, args):
    with pytest.raises(CostingError):
        fn(*args)


def test_monthly_and_annual():
    assert costing.over_months(393) == 4716  # the document prints 4714
    assert costing.over_months(1147) == 13764  # the document prints 13769
    assert costing.over_months(1147, 12, setup=2200) == 15964
    assert costing.implied_monthly(4714) == pytest.approx(392.8333, abs=1e-4)
    assert costing.implied_monthly(15969, 12, setup=2200) == pytest.approx(1147.4167, abs=1e-4)


def test_break_even_months():
    assert costing.break_even_months(1730, 393) == pytest.approx(4.402, abs=1e-3)
    assert costing.break_even_months(2680, 1147, setup=2200) == pytest.approx(0.4185, abs=1e-4)
    assert costing.break_even_months(2000, 1147, setup=2200) == 0
    assert math.isinf(costing.break_even_months(100, 0))


def test_case_rates_median_and_pooled():
    r = costing.case_rates(_cases())
    assert costing.reference_rate(_cases()) == pytest.approx(1615 / 70)
    assert costing.reference_rate(_cases(), method="pooled") == pytest.approx(8875 / 375)
    case3 = r.set_index("case_id").loc[3]
    assert case3["rate_gap_pct"] == pytest.approx(100 * (2680 / 105 - 1615 / 70) / (1615 / 70))
    assert case3["hours_at_reference"] == pytest.approx(2680 / (1615 / 70))
    with pytest.raises(ValueError, match="method must be 'median' or 'pooled', not 'mean'"):
        costing.reference_rate(_cases(), method="mean")


def test_case_savings_and_portfolio():
    s = costing.case_savings(_cases(), UNIT, months=12).set_index("case_id")
    assert s.loc[1, "saving"] == 393 * 12
    assert s.loc[3, "saving"] == 2200 + 1147 * 12
    assert s.loc[4, "saving"] == 0 and s.loc[4, "net"] == -1800
    p = costing.portfolio(s.reset_index())
    assert p["cost"] == 8875
    assert p["saving"] == 3 * 4716 + 15964
    assert p["monthly_saving"] == 3 * 393 + 1147
    assert p["break_even_months"] == pytest.approx((8875 - 2200) / 2326)
    no_setup = costing.portfolio(costing.case_savings(_cases(), UNIT, include_setup=False))
    assert no_setup["break_even_months"] == pytest.approx(8875 / 2326)


def test_case_savings_errors():
    bad = _cases().assign(saving_basis=["cin_plan", "x", "none", "none", "none"])
    with pytest.raises(CostingError, match="unknown saving_basis"):
        costing.case_savings(bad, UNIT)
    with pytest.raises(CostingError, match="needed but not given"):
        costing.case_savings(_cases(), {"cin_plan_support": 393.0})


def test_break_even_grid_crosses_zero_where_expected():
    g = costing.break_even_grid(_cases(), UNIT, months=[0, 2, 3, 12])
    net = dict(zip(g["months"], g["net"], strict=True))
    assert net[2] < 0 < net[3]  # portfolio break-even at 2.87 months
    assert net[0] == pytest.approx(2200 - 8875)
