"""evalkit.counterfactual: each design against a hand computation, the verdict rule, the simulation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit import counterfactual as cf
from evalkit.counterfactual import designs as dz
from evalkit.counterfactual._panel import setup
from evalkit.errors import EvalkitWarning, InputDataError

YEARS = list(range(2011, 2023))


def make_panel(n: int = 40, effect: float = 0.0, seed: int = 0, noise: float = 0.05,
               treated_path: list[float] | None = None) -> pd.DataFrame:
    """Log-linear panel: unit level + common year effect + noise; unit 'T' gets ``effect`` (log) from 2017."""
    rng = np.random.default_rng(seed)
    year_fx = rng.normal(0, 0.05, len(YEARS))
    rows = []
    for i in range(n):
        code = "T" if i == 0 else f"U{i:03d}"
        lvl = 4.0 + 0.02 * i
        for j, y in enumerate(YEARS):
            v = lvl + year_fx[j] + rng.normal(0, noise)
            if code == "T" and y >= 2017:
                v += effect
            if code == "T" and treated_path is not None:
                v = treated_path[j]
            rows.append({"la_old_code": code, "la_name": f"LA {code}", "year": y, "value": math.exp(v)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- verdict rule


def eff(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"design": d, "ci_lower": lo, "ci_upper": hi} for d, lo, hi in rows])


P = cf.PREFERRED


def test_verdict_reduction_when_preferred_below_one_and_none_against():
    v, why = cf.decide(eff([(P, 0.5, 0.9), ("its", 0.4, 1.2)]), P, 0.5)
    assert v == "reduction" and why.startswith("step 2c")


def test_verdict_increase():
    assert cf.decide(eff([(P, 1.1, 1.4)]), P)[0] == "increase"


def test_verdict_inconclusive_when_a_design_points_the_other_way():
    v, why = cf.decide(eff([(P, 0.5, 0.9), ("cits", 1.05, 1.3)]), P)
    assert v == "inconclusive" and why.startswith("step 2a")


def test_verdict_inconclusive_when_pre_period_check_fails():
    v, why = cf.decide(eff([(P, 0.5, 0.9)]), P, pretrend_p=0.01)
    assert v == "inconclusive" and why.startswith("step 2b")


def test_verdict_no_detectable_effect_and_too_wide():
    assert cf.decide(eff([(P, 0.7, 1.2)]), P)[0] == "no detectable effect"
    assert cf.decide(eff([(P, 0.45, 1.2)]), P)[0] == "inconclusive"
    assert cf.decide(eff([(P, 0.8, 2.1)]), P)[0] == "inconclusive"


def test_verdict_inconclusive_without_preferred_interval():
    assert cf.decide(eff([(P, float("nan"), float("nan"))]), P)[0] == "inconclusive"
    assert cf.decide(eff([("its", 0.5, 0.9)]), P)[0] == "inconclusive"


def test_same_direction_designs_do_not_block_a_verdict():
    assert cf.decide(eff([(P, 0.5, 0.9), ("cits", 0.3, 0.8), ("its", 0.2, 0.7)]), P)[0] == "reduction"


# --------------------------------------------------------------------------- designs by hand


def test_did_is_the_hand_computed_gap_difference_and_matches_twfe():
    s = make_panel(effect=-0.3, seed=1)
    su = setup(s, "T", 2017, n_comparators=20)
    logs = su.logs
    gap = logs.loc["T"] - logs.loc[su.comparators].mean()
    pre = np.asarray(su.years) < 2017
    hand = gap[~pre].mean() - gap[pre].mean()
    d = dz.did(su)
    assert math.log(d.estimate) == pytest.approx(hand, abs=1e-12)
    # the two-way fixed-effects estimate on this balanced panel is the same number (pyfixest)
    import pyfixest as pf

    long = logs.loc[["T", *su.comparators]].stack().rename("y").reset_index()
    long.columns = ["unit", "year", "y"]
    long["tp"] = ((long["unit"] == "T") & (long["year"] >= 2017)).astype(float)
    m = pf.feols("y ~ tp | unit + year", data=long)
    assert float(m.coef()["tp"]) == pytest.approx(hand, abs=1e-9)
    assert d.estimate == pytest.approx(math.exp(-0.3), abs=0.05)
    assert d.ci_upper < 1


def test_placebo_interval_by_hand():
    pl = np.linspace(-0.39, 0.39, 79)  # 79 placebos: k = floor(0.025 * 80) = 2
    lo, hi, p, how = dz.placebo_interval(0.1, pl)
    assert (lo, hi) == pytest.approx((0.1 - 0.38, 0.1 + 0.38))  # 2nd largest and 2nd smallest
    # |placebo| >= 0.1: -0.39..-0.10 and 0.10..0.39 -> 30 + 30 = 60
    assert p == pytest.approx((1 + 60) / 80)
    assert "Conley-Taber" in how
    lo, hi, _, how = dz.placebo_interval(0.0, np.array([-0.1, 0.0, 0.1]))
    assert hi == pytest.approx(0.1 * 4.302652729911275, rel=1e-6) and "t interval" in how


def test_mde_formula():
    pl = np.linspace(-0.5, 0.5, 101)  # k = floor(0.025 * 102) = 2
    d = np.sort(pl)[1] - np.quantile(pl, 0.8)
    assert cf.mde_from_placebos(pl) == pytest.approx(1 - math.exp(d))


def test_its_single_matches_statsmodels_ols():
    import statsmodels.api as sm

    s = make_panel(effect=-0.2, seed=2)
    su = setup(s, "T", 2017, n_comparators=10)
    r = dz.its_single(su, "naive")
    x = np.asarray(su.years, float)
    X = sm.add_constant(np.column_stack([x - 2017, (x >= 2017).astype(float)]))
    ols = sm.OLS(su.treated, X).fit()
    assert math.log(r.estimate) == pytest.approx(ols.params[2], abs=1e-10)
    assert math.log(r.ci_lower) == pytest.approx(ols.conf_int()[2, 0], abs=1e-8)
    # the scan gives the same number for the same authority
    sc = cf.scan(s, 2017)
    row = sc.table.set_index("la_old_code").loc["T"]
    assert row["estimate"] == pytest.approx(r.estimate, rel=1e-10)
    assert row["ci_upper"] == pytest.approx(r.ci_upper, rel=1e-8)


def test_ddd_by_hand():
    s = make_panel(effect=-0.3, seed=3)
    w = make_panel(effect=0.0, seed=4)  # the within-LA control: no effect
    su = setup(s, "T", 2017, n_comparators=15)
    wl = np.log(w.pivot(index="la_old_code", columns="year", values="value"))
    d = su.logs - wl
    gap = d.loc["T"] - d.loc[su.comparators].mean()
    pre = np.asarray(su.years) < 2017
    hand = gap[~pre].mean() - gap[pre].mean()
    r = dz.ddd(su, wl)
    assert math.log(r.estimate) == pytest.approx(hand, abs=1e-12)
    assert r.estimate == pytest.approx(math.exp(-0.3), abs=0.07)


def test_event_study_skips_a_spike_as_reference_and_warns():
    s = make_panel(seed=5, noise=0.03)
    s.loc[(s["la_old_code"] == "T") & (s["year"] == 2016), "value"] *= 1.6  # spike in the last pre-year
    s.loc[(s["la_old_code"] == "T") & (s["year"] == 2012), "value"] *= 0.6  # a pre-year off the band
    su = setup(s, "T", 2017, n_comparators=20)
    with pytest.warns(EvalkitWarning, match="outside the placebo band"):
        es = dz.event_study(su)
    assert 2016 in es.outliers
    assert es.ref_year == 2015
    assert 2012 in es.outside
    c = es.coefs.set_index("year")
    assert c.loc[2015, "estimate"] == pytest.approx(1.0)


def test_sdid_and_ascm_recover_an_exact_effect():
    s = make_panel(n=25, effect=-0.25, seed=6, noise=0.0)
    su = setup(s, "T", 2017, n_comparators=12)
    r = dz.sdid(su)
    assert r.estimate == pytest.approx(math.exp(-0.25), abs=1e-6)
    a = dz.ascm(su, grid_size=8)
    assert a.estimate == pytest.approx(math.exp(-0.25), abs=0.02)


def test_assess_end_to_end_on_a_clear_effect():
    s = make_panel(effect=-0.5, seed=7, noise=0.03)
    a = cf.assess(s, "LA T", 2017, designs=("its", "cits", "did"))
    assert a.verdict == "reduction"
    assert list(a.effects.columns) == ["design", "estimate", "ci_lower", "ci_upper", "p_value",
                                       "n_comparators", "note"]
    text = str(a.summary())
    assert text.splitlines()[1].startswith("Verdict: reduction")
    assert {"start year", "leave one pre-year out", "comparators"} <= set(a.robustness.table["family"])
    assert 0 < a.mde < 0.5


def test_assess_no_effect_never_leads_with_an_estimate():
    s = make_panel(effect=0.0, seed=8, noise=0.03)
    a = cf.assess(s, "T", 2017, designs=("did",), robust=False)
    first = str(a.summary()).splitlines()[1]
    assert first.startswith("Verdict:") and a.verdict in ("no detectable effect", "inconclusive")


def test_assess_rejects_bad_input():
    s = make_panel()
    with pytest.raises(InputDataError, match="la"):
        cf.assess(s, "Nowhere", 2017)
    with pytest.raises(InputDataError, match="start_year"):
        cf.assess(s, "T", 2012)


def test_default_errors_follow_the_series_length():
    assert cf.default_errors(11) == "naive"
    assert cf.default_errors(30) == "ar1"


def test_programme_recovers_a_staggered_effect():
    rng = np.random.default_rng(9)
    s = make_panel(n=60, seed=9, noise=0.02)
    codes = [f"U{i:03d}" for i in range(1, 16)]
    starts = dict(zip(codes, rng.integers(2014, 2020, len(codes)).tolist(), strict=True))
    from evalkit.counterfactual.simulate import inject

    s2 = inject(s, starts, 0.3)
    ad = pd.DataFrame({"la_old_code": codes, "start_year": [starts[c] for c in codes]})
    r = cf.programme(s2, ad)
    assert r.estimate == pytest.approx(0.7, abs=0.03)
    assert r.ci_lower < 0.7 < r.ci_upper
    assert set(r.event_study["rel_year"]) >= {-1, 0, 1}
    assert len(r.sensitivity) == len(cf.programme.__globals__["M_GRID"])


def test_fill_start_years_never_changes_a_stated_year():
    a = pd.DataFrame({"la_name": ["A", "B"], "start_year": [2016, None], "start_year_earliest": [2015, 2016],
                      "start_year_latest": [2017, 2020], "date_quality": ["inferred", "window_only"]})
    assert cf.fill_start_years(a, "stated")["la_name"].tolist() == ["A"]
    assert cf.fill_start_years(a, "latest")["start_year"].tolist() == [2016, 2020]


# --------------------------------------------------------------------------- simulation on the real panel


@pytest.mark.slow
def test_injected_effect_simulation_on_the_real_panel(need_external):
    """Reduced, seeded: false-positive rate near 5%, a 40% reduction mostly found (full size in benchmarks/)."""
    from evalkit import la_panel
    from evalkit.counterfactual.simulate import simulate_assess

    series = la_panel.measure_series(la_panel.load_panel(need_external("dfe_cla_la_panel.csv")),
                                     "adolescent_starts")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        null = simulate_assess(series, 0.0, 20, seed=11)
        big = simulate_assess(series, 0.4, 10, seed=12)
    # 20 replicates (this seed: 1 positive): at most 3 positives allowed; a false-positive rate
    # of 30% would pass this with probability 0.1 only. A 40% reduction must be found clearly
    # more often (this seed: 9 of 10). The full-size run (benchmarks/bench_counterfactual.py,
    # 150 and 100 replicates) gave 0.08 at n = 100 during development.
    assert null.positive_rate <= 0.15, null.line()
    assert big.verdicts.get("reduction", 0) > null.verdicts.get("reduction", 0) + 0.2, big.line()


def test_nearest_is_the_pandas_definition_to_the_last_bit():
    """Comparator choice works on arrays for speed; it must equal the DataFrame arithmetic it
    replaces (standardise by the pool's SD, Euclidean distance, ties broken by code) exactly."""
    from evalkit.counterfactual._panel import _nearest_from

    rng = np.random.default_rng(7)
    f = pd.DataFrame({"pre_level": rng.normal(5, 1, 60), "pre_trend": rng.normal(0, 0.1, 60)},
                     index=[f"E{i:03d}" for i in range(60)])
    f.iloc[10] = f.iloc[11]  # a tie, broken by code
    f.iloc[20, 1] = f.iloc[21, 1]
    for code in ("E000", "E011", "E059"):
        for exclude in ([], ["E010"]):
            pool = f.drop(index=[code, *exclude])
            z = (pool - f.loc[code]) / pool.std(ddof=1).replace(0, 1.0).fillna(1.0)
            d = np.sqrt((z**2).sum(axis=1))
            want = sorted(d.index, key=lambda c: (round(float(d[c]), 12), c))
            got, dist = _nearest_from(f, code, 15, exclude)
            assert got == want[:15]
            assert dist.equals(d.sort_values())
    assert _nearest_from(f.iloc[:2], "E000", 5, ["E001"])[0] == []  # an empty pool
    one, _ = _nearest_from(f.iloc[:2], "E000", 5)  # one unit: its SD is undefined, read as 1
    assert one == ["E001"]
