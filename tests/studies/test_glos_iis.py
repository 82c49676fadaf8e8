"""Gloucestershire IIS business case (seed 002): arithmetic against hand-worked values,
bad input, the transcription's consistency, and the DfE cross-check."""

from __future__ import annotations

import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from evalkit import paths, report, schemas
from evalkit.studies.glos_iis import business_case as bcm
from evalkit.studies.glos_iis.business_case import Assumptions, BusinessCase, BusinessCaseError

FOLDER = paths.RAW / "002_gloucestershire_iis"
D = 1.035  # Green Book discount base


@pytest.fixture(scope="module")
def tables():
    return bcm.load_tables(FOLDER)


@pytest.fixture(scope="module")
def bc(tables):
    return BusinessCase(Assumptions.from_tables(tables))


# --------------------------------------------------------------------------- arithmetic


def test_percent_changes_hand_worked():
    assert bcm.pct_change(465, 627) == pytest.approx(162 / 465 * 100)
    assert round(bcm.pct_change(465, 627), 2) == 34.84
    assert round(bcm.pct_of_end(465, 627), 1) == 25.8  # the report's '26%'
    assert bcm.pct_change(67050, 70440) == pytest.approx(3390 / 67050 * 100)


def test_growth_paths_hand_worked():
    g = bcm.cagr(7.8, 9.2, 6)
    assert g == pytest.approx(math.exp(math.log(9.2 / 7.8) / 6) - 1)
    assert round(100 * g, 2) == 2.79
    assert bcm.compound_path(7.8, g, 6)[-1] == pytest.approx(9.2)
    sp = bcm.spend_paths(7.8, 9.2, 6).set_index("path")
    assert sp.loc["linear", "final_year"] == pytest.approx(9.2)
    assert sp.loc["linear", "cumulative"] == pytest.approx(sum(7.8 + 1.4 / 6 * t for t in range(1, 7)))
    assert sp.loc["compound, 5 steps", "growth_per_year"] == pytest.approx((9.2 / 7.8) ** 0.2 - 1)


def test_overspend_paths_hand_worked():
    p = bcm.overspend_paths(1.6, 2.1, 8.7, 5).set_index("path")
    assert p.loc["linear from start", "sum"] == pytest.approx(1.6 + 1.725 + 1.85 + 1.975 + 2.1)  # 9.25
    assert p.loc["linear after start", "sum"] == pytest.approx(1.7 + 1.8 + 1.9 + 2.0 + 2.1)  # 9.5
    assert p.loc["flat at end", "sum"] == pytest.approx(10.5)
    assert not p.loc["linear from start", "matches_total"]
    back = p.loc["back-loaded (power)"]
    assert back["sum"] == pytest.approx(8.7) and back["last"] == pytest.approx(2.1) and back["power"] > 1
    const = p.loc["constant growth matching total"]
    assert const["sum"] == pytest.approx(8.7)
    assert not const["reaches_end"]  # constant growth that sums to 8.7 ends below 2.1
    assert bcm.solve_power(1.6, 2.1, 5, 8.4) is None  # below 4 x 1.6 + 2.1 = 8.5: no path
    assert bcm.solve_constant_growth(1.0, 3.31, 3, include_start=True) == pytest.approx(0.1)
    assert bcm.solve_constant_growth(1.0, 3.641, 3, include_start=False) == pytest.approx(0.1)


def test_investment_claim():
    assert bcm.investment_claim(6.9, 1.2, 8.7) == "less than the cumulative overspend"
    assert "revenue only" in bcm.investment_claim(6.9, 1.2, 7.5)
    assert bcm.investment_claim(9.0, 1.2, 8.7) == "not less than the cumulative overspend"


def test_ramp():
    assert bcm.ramp(1, 2, 5).tolist() == [0.0, 0.5, 1.0, 1.0, 1.0]
    assert bcm.ramp(0, 1, 3).tolist() == [1.0, 1.0, 1.0]
    assert bcm.ramp(2, 3, 6) == pytest.approx([0, 0, 1 / 3, 2 / 3, 1, 1])


def test_assumptions_from_the_document(tables):
    a = Assumptions.from_tables(tables)
    assert a.baseline_spend == pytest.approx(7.8e6)
    assert a.ooc_unit_cost == pytest.approx(78_000)  # 7.8m / 100, i.e. 1,500 a week
    assert a.ooc_unit_cost / 52 == pytest.approx(1500)
    assert a.revenue_later_years == pytest.approx((6.9e6 - 1.4e6) / 4)
    assert a.capital == pytest.approx(1.2e6) and a.beds == 8 and a.investment_years == 5
    assert Assumptions.from_tables(tables, growth_rate=0.05).growth_rate == 0.05


def _pv(flows):
    return sum(f / D**t for t, f in enumerate(flows))


def test_npv_hand_worked(bc):
    """25 diverted a year, ramp 0, .5, 1, 1, 1, £78,000 each; costs 1.4m + 1.2m in year 0, 1.375m after."""
    benefit = [25 * 78_000 * r for r in (0, 0.5, 1, 1, 1)]
    cost = [1.4e6 + 1.2e6, 1.375e6, 1.375e6, 1.375e6, 1.375e6]
    res = bc.evaluate()
    assert res.pv_benefits == pytest.approx(_pv(benefit))
    assert res.pv_costs == pytest.approx(_pv(cost))
    assert res.npv == pytest.approx(_pv(benefit) - _pv(cost))
    und = bc.model(discount_rate=0.0).evaluate(bc.params)
    assert und.npv == pytest.approx(25 * 78_000 * 3.5 - 8.1e6)  # -1,275,000
    assert und.bcr == pytest.approx(6_825_000 / 8_100_000)


def test_scenarios_tie_out_to_the_npv(bc):
    s = bc.scenarios()
    assert s["do_nothing"].iloc[0] == pytest.approx(7.8e6 * (9.2 / 7.8) ** (1 / 6))
    assert s["fin_year"].tolist() == ["2017/18", "2018/19", "2019/20", "2020/21", "2021/22"]
    assert (s["do_nothing"] - s["invest"]).to_numpy() == pytest.approx(s["net_saving"].to_numpy())
    assert s["pv_net_saving"].sum() == pytest.approx(bc.evaluate().npv)
    assert s["discount_factor"].to_numpy() == pytest.approx(1 / D ** np.arange(5))
    t = bc.summary_table().set_index("measure")
    assert t.loc["saving (do nothing - invest) = NPV", "undiscounted"] == pytest.approx(s["net_saving"].sum())


def test_break_even_hand_worked(bc):
    be = bc.break_even(discounted=False)
    assert be.value == pytest.approx(8.1e6 / (78_000 * 3.5))  # 29.67 young people a year
    ramp_pv = _pv([78_000 * r for r in (0, 0.5, 1, 1, 1)])
    cost_pv = _pv([2.6e6, 1.375e6, 1.375e6, 1.375e6, 1.375e6])
    assert bc.break_even().value == pytest.approx(cost_pv / ramp_pv)
    tab = bc.break_even_table()
    assert tab["diverted_per_year_average"].iloc[0] == pytest.approx(be.value * 3.5 / 5)


def test_calibration_to_the_reported_reduction(bc):
    """Six years, revenue continuing at 1.375m: (9.475m + 2.5m) / (78,000 x 4.5)."""
    r = bc.calibrate(2.5e6, 6)
    assert r.value == pytest.approx((1.4e6 + 5 * 1.375e6 + 1.2e6 + 2.5e6) / (78_000 * 4.5))
    r2 = bc.calibrate(2.5e6, 6, include_capital=False)
    assert r2.value == pytest.approx((1.4e6 + 5 * 1.375e6 + 2.5e6) / (78_000 * 4.5))


def test_extra_care_costs_and_unit_cost_growth(tables):
    bc2 = BusinessCase(Assumptions.from_tables(tables, foster_unit_cost=30_000, share_foster=0.4,
                                               unit_cost_growth=0.02))
    res = bc2.evaluate()
    ramp = [0, 0.5, 1, 1, 1]
    foster = _pv([25 * 0.4 * 30_000 * r for r in ramp])
    benefit = _pv([25 * 78_000 * r * 1.02**t for t, r in enumerate(ramp)])
    assert res.pv_benefits == pytest.approx(benefit)
    assert res.lines.set_index("stream").loc["foster_care", "pv"] == pytest.approx(-foster)


def test_tornado_includes_structural_parameters(bc):
    tor = bc.tornado()
    t = tor.table.set_index("parameter")
    assert {"start_year", "ramp_up_years", "unit_cost_growth", "diverted_per_year"} <= set(t.index)
    late = _pv([25 * 78_000 * r for r in (0, 0, 0.5, 1, 1)]) - _pv([2.6e6] + [1.375e6] * 4)
    assert t.loc["start_year", "metric_high"] == pytest.approx(late)
    assert t.loc["start_year", "metric_low"] == pytest.approx(tor.base_metric)
    assert list(tor.table["swing"]) == sorted(tor.table["swing"], reverse=True)
    assert t.loc["share_foster", "swing"] == pytest.approx(0)  # extra foster cost is 0 at the centre


def test_monte_carlo_is_seeded(bc):
    a = bc.monte_carlo(500, seed=7)
    b = bc.monte_carlo(500, seed=7)
    c = bc.monte_carlo(500, seed=8)
    assert np.array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)
    lo, hi = a.interval(0.9)
    assert lo < a.median < hi


def test_capacity(bc):
    cap = bc.capacity()
    assert cap["local_residential_places"] == pytest.approx(25 * 0.3)
    assert cap["occupancy"] == pytest.approx(7.5 / 8)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"share_foster": 0.7, "share_home": 0.5}, "share_foster \\+ share_home"),
        ({"share_home": 1.2}, "share_home must lie in \\[0, 1\\]"),
        ({"diverted_per_year": -1}, "diverted_per_year must be >= 0"),
        ({"start_year": 5}, "start_year 5 is not inside the horizon"),
        ({"ramp_up_years": 0}, "ramp_up_years must be a whole number >= 1"),
        ({"horizon": 2.5}, "horizon must be a whole number"),
        ({"discount_rate": 1.2}, "discount_rate must lie in \\[0, 1\\)"),
        ({"growth_rate": -1.5}, "growth_rate must be > -1"),
        ({"diverted_per_year": "many"}, "diverted_per_year must be a number"),
        ({"revenue_first_year": 2e6, "revenue_total": 1e6}, "revenue_total .* is less than revenue_first_year"),
    ],
)
def test_bad_assumptions(kw, match):
    with pytest.raises(BusinessCaseError, match=match):
        Assumptions(**kw)


def test_unresolved_and_impossible_models(tables):
    with pytest.raises(BusinessCaseError, match="are not set; build the assumptions with Assumptions.from_tables"):
        BusinessCase(Assumptions())
    with pytest.raises(BusinessCaseError, match="diverted_per_year 150 exceeds"):
        BusinessCase(Assumptions.from_tables(tables, diverted_per_year=150))
    with pytest.raises(BusinessCaseError, match="unknown business-case parameter"):
        Assumptions.from_tables(tables, diverted=3)
    a = Assumptions.from_tables(tables)
    with pytest.raises(BusinessCaseError, match="'nonsense' is not a parameter with a range"):
        BusinessCase(a, ranges={"nonsense": (0, 1)})
    with pytest.raises(BusinessCaseError, match="low <= high"):
        BusinessCase(a, ranges={"diverted_per_year": (30, 10)})
    with pytest.raises(BusinessCaseError, match="tornado: unknown parameter"):
        BusinessCase(a).tornado(["nope"])


def test_bad_arithmetic_inputs():
    with pytest.raises(BusinessCaseError, match="start must be a positive number"):
        bcm.pct_change(0, 5)
    with pytest.raises(BusinessCaseError, match="years must be a positive number"):
        bcm.cagr(1, 2, 0)
    with pytest.raises(BusinessCaseError, match="n must be a whole number >= 2"):
        bcm.linear_path(1, 2, 1)


def test_mentions_that_disagree_are_a_discrepancy(tables):
    fin = tables["glos_iis_finance"].copy()
    i = fin.index[fin["item"] == "capital_investment"][1]
    fin.loc[i, "value_gbp_m"] = 1.3
    m = bcm.mentions(fin, "capital_investment")
    assert not m.agree and "disagree" in m.describe()
    with pytest.raises(BusinessCaseError, match="mentions of 'capital_investment' disagree"):
        _ = m.value
    with pytest.raises(BusinessCaseError, match="no row has item 'nothing'"):
        bcm.mentions(fin, "nothing")
    rep = report.Reproduction.from_folder(FOLDER)
    rep.check("capital_investment", 1.3, note="x")
    assert rep.status("capital_investment") == "discrepancy"


def test_bad_finance_file_gives_a_clear_error(tmp_path):
    folder = tmp_path / "la"
    shutil.copytree(FOLDER, folder)
    p = folder / "glos_iis_finance.csv"
    text = p.read_text(encoding="utf-8").replace("capital_investment,cover_sheet", "capitol,cover_sheet")
    p.write_text(text.replace(",1.2,=,,Resource Implications (cover", ",-1.2,=,,Resource Implications (cover"),
                 encoding="utf-8")
    with pytest.raises(schemas.InputError) as err:
        bcm.load_tables(folder)
    msg = str(err.value)
    assert "glos_iis_finance.csv" in msg and "column 'item'" in msg and "row 21" in msg
    assert "column 'value_gbp_m'" in msg


def test_national_file_missing(tmp_path):
    from evalkit.la_panel import PanelMissing

    with pytest.raises(PanelMissing, match="not present"):
        bcm.load_cla_national(tmp_path / "absent.csv")


# --------------------------------------------------------------------------- the transcription


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("\u00a0", " ")).strip()


def _ranges(spec: str):
    for part in str(spec).split(";"):
        lo, _, hi = part.strip().partition("-")
        yield int(lo), int(hi or lo)


def verbatim_problems(folder, seed_prefix: str, columns=(("verbatim", "seed_lines"),)) -> list[str]:
    """Rows whose verbatim text is not found on the lines their seed_lines name."""
    seed = paths.seed(seed_prefix)
    if seed is None:
        pytest.skip("../shared/seeds is not present (CI without ../shared)")
    lines = seed.read_text(encoding="utf-8").split("\n")
    tables, problems = schemas.validate_folder(folder)
    assert not problems, [str(p) for p in problems]
    bad = []
    for name, df in tables.items():
        for vcol, lcol in columns:
            if vcol not in df or lcol not in df:
                continue
            for i, (v, spec) in enumerate(zip(df[vcol], df[lcol], strict=True)):
                if pd.isna(v) or pd.isna(spec):
                    continue
                if not any(_norm(v) in _norm(" ".join(lines[a - 1:b])) for a, b in _ranges(spec)):
                    bad.append(f"{name} row {i + 2}: {v[:60]!r} not on lines {spec}")
    return bad


def test_verbatim_is_on_the_stated_lines():
    assert verbatim_problems(FOLDER, "002") == []


def test_stated_figures_match_the_tables(tables):
    stated = schemas.load_table(FOLDER, "stated_figures").set_index("figure_id")
    fin = tables["glos_iis_finance"]
    for item in fin["item"].unique():
        if item in stated.index:
            m = bcm.mentions(fin, item)
            assert m.agree, item
            assert float(stated.loc[item, "reported"]) == pytest.approx(m.value), item
            assert stated.loc[item, "comparator"] == fin.loc[fin["item"] == item, "comparator"].iloc[0], item
    cic = tables["glos_iis_children_in_care"]

    def cic_value(area, measure, pick):
        return pick(cic.loc[(cic["area"] == area) & (cic["measure"] == measure), "value"])

    assert float(stated.loc["cic_2011_12", "reported"]) == cic_value("Gloucestershire", "count", min)
    assert float(stated.loc["cic_sep_2016", "reported"]) == cic_value("Gloucestershire", "count", max)
    assert float(stated.loc["cic_increase_pct", "reported"]) == cic_value("Gloucestershire", "pct_change", min)
    assert float(stated.loc["england_increase_pct", "reported"]) == cic_value("England", "pct_change", min)
    assert float(stated.loc["south_west_increase_pct", "reported"]) == cic_value("South West", "pct_change", min)
    assert float(stated.loc["some_councils_doubled", "reported"]) == cic_value("Some councils (not named)", "pct_change", min)
    cohort = tables["glos_iis_cohort"].set_index("measure")["value"]
    for fid, measure in [("cohort_size", "cohort_size"), ("cohort_share_placement_budget", "share_of_cic_placement_budget"),
                         ("cohort_domestic_abuse", "domestic_abuse"), ("cohort_chronic_neglect", "chronic_neglect"),
                         ("cohort_excluded", "excluded_from_school"), ("cohort_mean_exclusions", "mean_exclusions_per_excluded")]:
        assert float(stated.loc[fid, "reported"]) == cohort[measure], fid


def test_every_stated_figure_gets_a_reasoned_status(tables):
    rep = report.Reproduction.from_folder(FOLDER)
    bcm.reproduce(rep, tables, None, "test: no DfE data")
    t = rep.table()
    assert not (t["note"] == report.NO_ATTEMPT).any(), t.loc[t["note"] == report.NO_ATTEMPT, "figure_id"].tolist()
    st = t.set_index("figure_id")["status"]
    assert st["cic_increase_pct"] == "discrepancy"
    assert st["overspend_cumulative"] == "discrepancy"
    assert st["revenue_investment_2017_18"] == "rounding"
    assert st["investment_below_overspend"] == "exact"
    for fid in bcm.EXTERNAL_FIGURES:
        assert st[fid] == "not_reproducible"
        assert t.set_index("figure_id").loc[fid, "external_status"] == "not_available"
        assert "test: no DfE data" in t.set_index("figure_id").loc[fid, "external_source"]
    assert not rep.skipped


# --------------------------------------------------------------------------- DfE cross-check (external)


@pytest.fixture(scope="module")
def cla():
    from evalkit import la_panel

    if paths.external("dfe_cla_la_panel.csv") is None or paths.external(bcm.NATIONAL_FILE) is None:
        pytest.skip("../shared/external DfE files are not present (CI without ../shared)")
    return bcm.cla_crosscheck(la_panel.load_panel(), bcm.load_cla_national(), "Gloucestershire")


def test_cla_crosscheck_against_published_counts(cla):
    v = cla.values
    assert (v["la_base"], v["la_end"], v["la_next"]) == (461, 556, 611)
    assert cla.region == "South West"
    assert v["england_change"] == pytest.approx((70440 / 67050 - 1) * 100)
    assert v["region_change"] == pytest.approx((5710 / 5450 - 1) * 100)
    assert v["region_change_from_prev"] == pytest.approx((5710 / 5160 - 1) * 100)
    assert v["max_la"] == "Halton" and v["n_doubled"] == 0 and v["n_doubled_next"] == 2
    idx = cla.series.loc[(cla.series["level"] == "england") & (cla.series["year"] == 2012), "index"]
    assert idx.iloc[0] == pytest.approx(100)


def test_reproduction_with_dfe(tables, cla):
    rep = report.Reproduction.from_folder(FOLDER)
    bcm.reproduce(rep, tables, cla)
    t = rep.table().set_index("figure_id")
    # outside data go in their own columns; the document's status is the document's
    assert (t.loc[list(bcm.EXTERNAL_FIGURES), "status"] == "not_reproducible").all()
    ext = t["external_status"]
    assert ext["england_increase_pct"] == "rounding"
    assert ext["south_west_increase_pct"] == "discrepancy"
    assert ext["cic_2011_12"] == "discrepancy"
    assert ext["some_councils_doubled"] == "discrepancy"
    assert ext["cic_sep_2016"] == "not_available"
    assert "611" in bcm.text_without(rep, []) and "cic_2011_12" not in bcm.text_without(rep, bcm.EXTERNAL_FIGURES)


def test_unknown_la_is_a_clear_error(cla):
    from evalkit import la_panel

    with pytest.raises(la_panel.UnknownLA, match="no local authority named"):
        bcm.cla_crosscheck(la_panel.load_panel(), bcm.load_cla_national(), "Gloucestershirex")


def test_crosscheck_for_another_la_does_not_compare_gloucestershire_figures(tables):
    from evalkit import la_panel

    if paths.external("dfe_cla_la_panel.csv") is None or paths.external(bcm.NATIONAL_FILE) is None:
        pytest.skip("../shared/external DfE files are not present (CI without ../shared)")
    other = bcm.cla_crosscheck(la_panel.load_panel(), bcm.load_cla_national(), "Somerset")
    rep = report.Reproduction.from_folder(FOLDER)
    bcm.reproduce(rep, tables, other)
    t = rep.table().set_index("figure_id")
    assert t.loc["cic_2011_12", "status"] == "not_reproducible"
    assert "not for Somerset" in t.loc["cic_2011_12", "external_source"]
    assert t.loc["england_increase_pct", "external_status"] == "rounding"
