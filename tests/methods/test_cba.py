"""evalkit.cba: the engine's arithmetic against hand-worked cases, and its errors on bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evalkit import cba

# --------------------------------------------------------------------------- discounting


def test_discount_factors_hand_worked():
    # 1/1.035 = 0.966183575..., 1/1.035^2 = 0.933510701...
    df = cba.discount_factors(3, 0.035)
    assert df[0] == 1.0
    assert df[1] == pytest.approx(0.9661835749, abs=1e-10)
    assert df[2] == pytest.approx(0.9335107004, abs=1e-10)


def test_green_book_schedule_switches_after_year_30():
    gb = cba.discount_factors(33, "green_book")
    flat = cba.discount_factors(33, 0.035)
    assert np.allclose(gb[:31], flat[:31])  # years 0..30 at 3.5%
    # year 31 is discounted over 31 years: 31 at 3.5%, none yet at 3.0%; year 32 has one at 3.0%
    assert gb[31] == pytest.approx(1 / 1.035**31)
    assert gb[32] == pytest.approx(1 / (1.035**31 * 1.03))


def test_present_value_and_npv_hand_worked():
    # 100 now + 100 next year at 3.5%: 100 + 96.6184 = 196.6184
    assert cba.present_value([100, 100], 0.035) == pytest.approx(196.61835749, abs=1e-6)
    # benefits 0, 60, 60 against a cost of 100 now: -100 + 57.9710 + 56.0106 = 13.9816
    assert cba.npv([0, 60, 60], [100, 0, 0], 0.035) == pytest.approx(
        -100 + 60 / 1.035 + 60 / 1.035**2, abs=1e-9
    )


def test_payback_year_hand_worked():
    assert cba.payback_year([-100, 30, 40, 50]) == 3  # cumulative -100, -70, -30, 20
    assert cba.payback_year([-100, 30, 40]) is None
    assert cba.payback_year([10, -5]) == 0
    # dips back below zero: payback is when it stays non-negative
    assert cba.payback_year([-10, 20, -30, 40]) == 3


# --------------------------------------------------------------------------- a hand-worked model


def _model(**kw):
    params = cba.Parameters(
        [
            cba.Parameter("unit_saving", 1000.0, kind="unit_cost", confidence=2),
            cba.Parameter("n_outcomes", 10.0, kind="quantity", low=5, high=15),
            cba.Parameter("dw", 0.2, kind="rate", low=0.0, high=0.4),
            cba.Parameter("prog", 12000.0, kind="unit_cost", low=10000, high=14000),
        ]
    )
    streams = [
        # 10 x 1000 = 10,000 a year to the LA in years 0-2
        cba.Stream("saving_la", "n_outcomes", "unit_saving", "local_authority", years=[0, 1, 2]),
        # 2 x 1000 = 2,000 a year to the police in years 1-2
        cba.Stream("saving_police", 2, "unit_saving", "police", years=[1, 2]),
        # 1 x 3,000 disbenefit to the LA in year 0
        cba.Stream("harm", 1, 3000, "local_authority", kind="disbenefit", years=0),
        # programme cost 12,000 in year 0, paid by the LA
        cba.Stream("programme", 1, "prog", "local_authority", kind="cost", years=0),
    ]
    return cba.CBAModel(streams, **kw), params


def test_gross_reading_npv_bcr_roi_payback_hand_worked():
    model, params = _model(adjust=False)
    r = model.evaluate(params)
    d1, d2 = 1 / 1.035, 1 / 1.035**2
    pv_b = 10000 * (1 + d1 + d2) + 2000 * (d1 + d2)
    assert r.pv_benefits == pytest.approx(pv_b)
    assert r.pv_disbenefits == pytest.approx(3000)
    assert r.pv_costs == pytest.approx(12000)
    assert r.npv == pytest.approx(pv_b - 3000 - 12000)
    assert r.bcr == pytest.approx((pv_b - 3000) / 12000)
    assert r.roi == pytest.approx((pv_b - 3000 - 12000) / 12000)
    # year 0 net: 10000 - 3000 - 12000 = -5000; year 1: +12000 discounted -> positive
    assert r.payback_year == 1
    assert r.payback_year_undiscounted == 1


def test_payer_split_sums_to_total():
    model, params = _model()
    bp = model.evaluate(params).by_payer().set_index("payer")
    assert set(bp.index) == {"local_authority", "police", "total"}
    for col in ["pv_benefits", "pv_disbenefits", "pv_costs", "npv"]:
        assert bp.loc[["local_authority", "police"], col].sum() == pytest.approx(bp.at["total", col])
    assert math.isnan(bp.at["police", "bcr"])  # no costs fall on the police


def test_adjustments_and_optimism_bias_grading_hand_worked():
    model, params = _model(deadweight="dw", attribution=0.1, displacement=0.05, horizon=1)
    r = model.evaluate(params)
    lines = r.lines.set_index("stream")
    # grade 2 -> 10% optimism bias by default
    assert cba.DEFAULT_OB_GRADES[2] == pytest.approx(0.10)
    add = (1 - 0.2) * (1 - 0.05) * (1 - 0.1)
    assert lines.at["saving_la", "adjustment_factor"] == pytest.approx(add * (1 - 0.10))
    # the stream with a literal unit cost and no grade gets no optimism bias
    assert lines.at["harm", "optimism_bias"] == 0
    assert lines.at["harm", "adjustment_factor"] == pytest.approx(add)
    # costs: no additionality adjustment; optimism bias only (none here: ungraded)
    assert lines.at["programme", "adjustment_factor"] == pytest.approx(1.0)
    assert r.npv == pytest.approx(10000 * add * 0.9 - 3000 * add - 12000)


@pytest.mark.parametrize("grade, rate", [(1, 0.0), (2, 0.1), (3, 0.2), (4, 0.3), (5, 0.4)])
def test_ob_grades_raise_costs_and_cut_benefits(grade, rate):
    s = [
        cba.Stream("b", 1, 100, "police", confidence=grade),
        cba.Stream("d", 1, 100, "police", kind="disbenefit", confidence=grade),
        cba.Stream("c", 1, 100, "police", kind="cost", confidence=grade),
    ]
    r = cba.CBAModel(s).evaluate()
    assert r.pv_benefits == pytest.approx(100 * (1 - rate))
    assert r.pv_disbenefits == pytest.approx(100 * (1 + rate))
    assert r.pv_costs == pytest.approx(100 * (1 + rate))


def test_custom_ob_grades_and_explicit_rate_override():
    s = [cba.Stream("b", 1, 100, "police", confidence=1), cba.Stream("x", 1, 100, "police", optimism_bias=0.5)]
    r = cba.CBAModel(s, ob_grades={1: 0.25}).evaluate()
    assert r.stream_value("b", "pv") == pytest.approx(75)
    assert r.stream_value("x", "pv") == pytest.approx(50)


def test_grade_taken_from_unit_cost_parameter():
    p = cba.Parameters([cba.Parameter("u", 100, kind="unit_cost", confidence=4)])
    r = cba.CBAModel([cba.Stream("b", 1, "u", "police")]).evaluate(p)
    assert r.stream_value("b", "optimism_bias") == pytest.approx(0.3)


def test_horizon_truncates_and_reports():
    s = [cba.Stream("b", 1, 100, "police", years=[0, 1, 2])]
    r = cba.CBAModel(s, horizon=2, discount_rate=0).evaluate()
    assert r.npv == pytest.approx(200)
    assert r.truncated == ["b"]
    assert "left out" in str(r.summary())


def test_persistence_weights():
    assert cba.persistence(3, 0.5) == {0: 1.0, 1: 0.5, 2: 0.25}
    assert cba.persistence_quarters(1) == {0: 1.0}
    assert cba.persistence_quarters(12, 0.5) == {0: 4.0, 1: 2.0, 2: 1.0}


def test_discount_rate_as_parameter():
    p = cba.Parameters([cba.Parameter("r", 0.10, kind="rate")])
    m = cba.CBAModel([cba.Stream("b", 1, 110, "police", years=1)], discount_rate="r")
    assert m.evaluate(p).npv == pytest.approx(100)


# --------------------------------------------------------------------------- back-solving and uprating


def test_back_solve_flags_and_rounds():
    p = cba.back_solve("u", 22040, 9, source="Table 3", round_to=0.01)
    assert p.back_solved and p.kind == "unit_cost"
    assert p.value == pytest.approx(2448.89)
    assert "22040 / (9)" in p.note
    assert cba.back_solve("u", 9240, (28, 3), source="x").value == 110.0
    with pytest.raises(cba.CBAError, match="quantity is zero"):
        cba.back_solve("u", 10, 0, source="x")


def test_uprating_with_an_index_table():
    idx = cba.IndexTable({2015: 100.0, 2016: 102.0, 2020: 110.0}, name="toy")
    p = cba.Parameters([cba.Parameter("u", 50.0, kind="unit_cost", price_year=2015, low=40, high=60),
                        cba.Parameter("n", 3, kind="quantity")])
    up = p.uprate(2020, idx)
    assert up["u"].value == pytest.approx(55.0)
    assert (up["u"].low, up["u"].high) == (pytest.approx(44.0), pytest.approx(66.0))
    assert up["u"].price_year == 2020
    assert up["n"].value == 3  # quantities are not uprated
    m = cba.CBAModel([cba.Stream("b", "n", "u", "police")], price_year=2020, index=idx)
    assert m.evaluate(p).npv == pytest.approx(165.0)


def test_shipped_gdp_deflator_loads():
    idx = cba.load_index("gdp_deflator")
    assert idx.level(2024) == 100
    assert idx.factor(2016, 2024) > 1


# --------------------------------------------------------------------------- bad input


def test_negative_quantity_is_refused():
    with pytest.raises(cba.NegativeQuantityError, match="stream 'b'.*quantity"):
        cba.Stream("b", -3, 100, "police")
    with pytest.raises(cba.NegativeQuantityError, match="'n'"):
        cba.Parameter("n", -1, kind="quantity")
    p = {"n": -2.0}
    with pytest.raises(cba.NegativeQuantityError, match="stream 'b'"):
        cba.CBAModel([cba.Stream("b", "n", 100, "police")]).evaluate(p)


def test_uprating_without_price_year_is_refused():
    idx = cba.IndexTable({2015: 100.0, 2020: 110.0})
    p = cba.Parameters([cba.Parameter("u", 50.0, kind="unit_cost")])
    with pytest.raises(cba.PriceYearError, match="'u' is a unit cost with no price_year"):
        p.uprate(2020, idx)
    m = cba.CBAModel([cba.Stream("b", 1, "u", "police")], price_year=2020, index=idx)
    with pytest.raises(cba.PriceYearError, match="cannot be uprated to 2020 prices"):
        m.evaluate(p)
    p2 = cba.Parameters([cba.Parameter("u", 50.0, kind="unit_cost", price_year=2010)])
    with pytest.raises(cba.PriceYearError, match="no level for 2010"):
        p2.uprate(2020, idx)


def test_unknown_payer_is_refused():
    with pytest.raises(cba.UnknownPayerError, match="stream 'b': payer 'polise'"):
        cba.CBAModel([cba.Stream("b", 1, 100, "polise")])
    m = cba.CBAModel([cba.Stream("b", 1, 100, "dfe")], payers=["dfe"])
    assert m.evaluate().npv == 100


@pytest.mark.parametrize("field", ["deadweight", "attribution", "displacement", "optimism_bias"])
def test_rate_outside_unit_interval_is_refused(field):
    with pytest.raises(cba.RateError, match=field):
        cba.Stream("b", 1, 100, "police", **{field: 1.2})
    with pytest.raises(cba.RateError, match=field):
        m = cba.CBAModel([cba.Stream("b", 1, 100, "police", **{field: "r"})])
        m.evaluate({"r": -0.1})


def test_other_rate_errors():
    with pytest.raises(cba.RateError, match="parameter 'dw': value 1.5 is a rate"):
        cba.Parameter("dw", 1.5, kind="rate")
    with pytest.raises(cba.RateError, match=r"deadweight = 2.0 is outside \[0, 1\]"):
        cba.CBAModel([cba.Stream("b", 1, 100, "police")], deadweight=2)
    with pytest.raises(cba.RateError, match="discount_rate 1.5 must lie in"):
        cba.CBAModel([cba.Stream("b", 1, 100, "police")], discount_rate=1.5)
    with pytest.raises(cba.ConfidenceGradeError, match="confidence grade 7 is not in the optimism-bias table"):
        cba.CBAModel([cba.Stream("b", 1, 100, "police", confidence=7)]).evaluate()


def test_unknown_parameter_names_the_stream():
    m = cba.CBAModel([cba.Stream("b", "n_missing", 100, "police")])
    with pytest.raises(cba.UnknownParameterError, match="stream 'b'.*'n_missing'"):
        m.evaluate({})


# --------------------------------------------------------------------------- sensitivity


def test_one_way_sensitivity_hand_worked():
    model, params = _model(adjust=False, horizon=1)
    s = cba.one_way_sensitivity(model, params)
    t = s.table.set_index("parameter")
    # NPV year 0 only: 10 x 1000 - 3000 - prog
    assert s.base_metric == pytest.approx(10000 - 3000 - 12000)
    assert t.at["n_outcomes", "metric_low"] == pytest.approx(5000 - 3000 - 12000)
    assert t.at["n_outcomes", "swing"] == pytest.approx(10000)
    assert t.at["prog", "swing"] == pytest.approx(4000)
    assert t.at["dw", "swing"] == pytest.approx(0)  # adjustments off
    assert list(s.table["parameter"])[0] == "n_outcomes"
    assert "n_outcomes" in s.to_text()


def test_break_even_linear_and_nonlinear():
    model, params = _model(adjust=False, horizon=1)
    b = cba.break_even(model, params, "n_outcomes")
    assert b.linear and b.value == pytest.approx(15.0)  # 1000 n - 15000 = 0
    b_la = cba.break_even(model, params, "prog", payer="local_authority")
    assert b_la.value == pytest.approx(7000)
    # discount rate: NPV of -100 now and +110 next year is 0 at r = 10%
    p = cba.Parameters([cba.Parameter("r", 0.05, kind="rate", low=0.0, high=0.5)])
    m = cba.CBAModel([cba.Stream("c", 1, 100, "police", kind="cost"),
                      cba.Stream("b", 1, 110, "police", years=1)], discount_rate="r", adjust=False)
    br = cba.break_even(m, p, "r")
    assert not br.linear and br.value == pytest.approx(0.10, abs=1e-8)
    t = cba.break_even_table(model, params, ["n_outcomes", "prog"], payers=[None, "local_authority"])
    assert len(t) == 4 and set(t["payer"]) == {"total", "local_authority"}


def test_break_even_infeasible_is_flagged():
    model, params = _model(adjust=False, horizon=1)
    b = cba.break_even(model, params, "prog", payer="police")
    assert b.value is None  # the police pay no programme cost
    model2, params2 = _model(horizon=1, deadweight="dw")
    b2 = cba.break_even(model2, params2, "dw")
    assert b2.value is not None and not b2.feasible  # would need a negative deadweight


def test_monte_carlo_is_seeded_and_bounded():
    model, params = _model(deadweight="dw", horizon=1)
    a = cba.monte_carlo(model, params, n=2000, seed=7)
    b = cba.monte_carlo(model, params, n=2000, seed=7)
    c = cba.monte_carlo(model, params, n=2000, seed=8)
    assert np.array_equal(a.values, b.values)
    assert a.summary() == b.summary()
    assert not np.array_equal(a.values, c.values)
    assert set(a.draws.columns) == {"n_outcomes", "dw", "prog"}
    assert a.draws["dw"].between(0, 0.4).all()
    lo, hi = a.interval(0.9)
    assert lo < a.median < hi
    # payer NPVs sum to the total in every draw
    assert np.allclose(a.by_payer[["local_authority", "police"]].sum(axis=1), a.by_payer["total"])
    # the vectorised path agrees with evaluate() draw by draw
    row = a.draws.iloc[3].to_dict()
    assert a.values[3] == pytest.approx(model.metric(params, "npv", **row))


def test_plots_return_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model, params = _model(deadweight="dw")
    r = model.evaluate(params)
    ax = r.waterfall()
    assert len(ax.patches) == len(r.lines) + 1  # one bar per stream, then the net
    assert ax.get_ylabel() == "Present value (£)"
    top = max(p.get_y() + p.get_height() for p in ax.patches)
    assert ax.get_ylim()[1] > top  # headroom: the tallest bar and its label are not cut off
    sens = cba.one_way_sensitivity(model, params)
    ax = sens.tornado()
    assert len(ax.patches) == 2 * len(sens.table)
    assert ax.get_xlabel().startswith("Net present value (£)")
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticklabels() if t.get_text()]
    boxes = [t.get_window_extent() for t in ticks]
    assert len(boxes) >= 2 and not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))
    ax = cba.monte_carlo(model, params, n=200, seed=1).plot()
    assert ax.get_ylabel() == "Share of draws"
    ax.figure.canvas.draw()
    assert ax.xaxis.get_offset_text().get_text() == "" and ax.yaxis.get_offset_text().get_text() == ""
    plt.close("all")


def test_frames_round_trip():
    pdf = pd.DataFrame({"name": ["u", "n"], "value": [100, 3], "kind": ["unit_cost", "quantity"],
                        "low": [80, None], "high": [120, None]})
    sdf = pd.DataFrame({"name": ["b"], "quantity": ["n*2"], "unit_cost": ["u"], "payer": ["police"],
                        "years": ["0;1"], "kind": ["benefit"]})
    p = cba.parameters_from_frame(pdf)
    s = cba.streams_from_frame(sdf)
    r = cba.CBAModel(s, discount_rate=0).evaluate(p)
    assert r.npv == pytest.approx(1200)
    bad = sdf.assign(quantity=["-1"])
    with pytest.raises(cba.NegativeQuantityError, match="streams: row 2"):
        cba.streams_from_frame(bad)


def test_backsolved_outcomes_reproduces_totals():
    df = pd.DataFrame({"outcome_id": ["a", "b"], "kind": ["benefit", "disbenefit"], "value_gbp": [22040, 9240],
                       "quantity": [9, 28], "months_per_case": [None, 3], "payer": ["police", "local_authority"]})
    p, s = cba.backsolved_outcomes(df, round_to=0.01)
    assert p["unit_a"].value == pytest.approx(2448.89) and p["unit_a"].back_solved
    assert p["unit_b"].value == pytest.approx(110.0)
    r = cba.CBAModel(s, adjust=False).evaluate(p)
    assert r.stream_value("a") == pytest.approx(22040.01)
    assert r.stream_value("b") == pytest.approx(9240)
    assert r.npv == pytest.approx(22040.01 - 9240)


def test_overrides_and_draws_are_uprated_like_the_central_value():
    idx = cba.IndexTable({2015: 100.0, 2020: 110.0})
    p = cba.Parameters([cba.Parameter("u", 50.0, kind="unit_cost", price_year=2015, low=40, high=60)])
    m = cba.CBAModel([cba.Stream("b", 1, "u", "police")], price_year=2020, index=idx, adjust=False)
    assert m.metric(p, u=60.0) == pytest.approx(66.0)
    s = cba.one_way_sensitivity(m, p).table.set_index("parameter")
    assert s.at["u", "metric_high"] == pytest.approx(66.0)
    mc = cba.monte_carlo(m, p, n=50, seed=3)
    assert np.allclose(mc.values, mc.draws["u"].to_numpy() * 1.1)
