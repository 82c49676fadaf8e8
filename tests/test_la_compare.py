"""Tests for evalkit.la_compare on small hand-built panels and (when present) the DfE panel."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from evalkit import la_compare as lc
from evalkit.la_compare import LACompareError

matplotlib.use("Agg")

YEARS = list(range(2011, 2021))
START = 2016


def _panel(n_controls: int = 19, effect: float = -30.0, noise: float = 2.0, seed: int = 0) -> pd.DataFrame:
    """Treated 'T00' plus controls with linear paths; the treated path drops by ``effect`` from START."""
    rng = np.random.default_rng(seed)
    trends = rng.normal(0.0, 1.5, n_controls)
    trends = 2.0 + trends - trends.mean()  # controls' trends average the treated one's (parallel on average)
    rows = []
    for k in range(n_controls + 1):
        code = f"T{k:02d}"
        level = 60.0 if k == 0 else rng.uniform(20, 120)
        trend = 2.0 if k == 0 else trends[k - 1]
        for y in YEARS:
            v = level + trend * (y - 2011) + rng.normal(0, noise) + (effect if k == 0 and y >= START else 0.0)
            rows.append((code, f"LA {k:02d}", "Region", y, v))
    return pd.DataFrame(rows, columns=["la_old_code", "la_name", "region", "year", "value"])


# --------------------------------------------------------------------------- features and comparators


def test_pre_period_features_by_hand():
    s = _panel(noise=0.0, effect=0.0)
    f = lc.pre_period_features(s, START)
    assert f.at["T00", "pre_level"] == pytest.approx(60 + 2 * 2)  # mean of 2011-2015
    assert f.at["T00", "pre_trend"] == pytest.approx(2.0)
    assert f.at["T00", "n_pre"] == 5 and f.at["T00", "n_post"] == 5
    assert f.at["T00", "last_pre"] == pytest.approx(60 + 2 * 4)


def test_choose_comparators_prefers_twins_and_lists_exclusions():
    s = _panel(noise=0.0)
    # two exact pre-period twins of the treated authority, and one with too little history
    twin = s[s["la_old_code"] == "T00"].copy()
    twin["value"] = 60.0 + 2.0 * (twin["year"] - 2011)
    extra = [twin.assign(la_old_code="W1", la_name="Twin 1"),
             twin.assign(la_old_code="W2", la_name="Twin 2", value=twin["value"] + 0.5)]
    short = twin[twin["year"] >= 2015].assign(la_old_code="S1", la_name="Short")
    s2 = pd.concat([s, *extra, short], ignore_index=True)
    cs = lc.choose_comparators(s2, "T00", START, n=5)
    assert cs.selected[:2] == ["W1", "W2"]
    assert "T00" not in cs.selected
    ex = cs.excluded.set_index("la_old_code")
    assert ex.at["S1", "reason"].startswith("fewer than 3 pre-period values")
    bal = cs.balance
    assert bal.at["pre_level", "treated"] == pytest.approx(64.0)
    assert bal.at["pre_level", "comparators_mean"] == pytest.approx(cs.features.loc[cs.selected, "pre_level"].mean())
    assert set(cs.table()["la_old_code"]) == set(cs.selected)
    fig = cs.plot(s2)
    assert fig.axes


def test_choose_comparators_with_covariates_and_mahalanobis():
    s = _panel()
    cov = pd.DataFrame({"size": np.linspace(1, 2, 20)}, index=[f"T{k:02d}" for k in range(20)])
    for metric in ("weighted", "mahalanobis"):
        cs = lc.choose_comparators(s, "T00", START, n=4, covariates=cov, metric=metric)
        assert len(cs.selected) == 4 and "size" in cs.feature_columns
    with pytest.raises(LACompareError, match="metric"):
        lc.choose_comparators(s, "T00", START, n=4, metric="cosine")


# --------------------------------------------------------------------------- difference in differences


def test_did_equals_two_by_two_means_on_balanced_panel():
    s = _panel()
    comps = [f"T{k:02d}" for k in range(1, 20)]
    res = lc.did(s, "T00", comps, START, placebo=False)
    w = s.pivot(index="la_old_code", columns="year", values="value")
    pre, post = [y for y in YEARS if y < START], [y for y in YEARS if y >= START]
    t_change = w.loc["T00", post].mean() - w.loc["T00", pre].mean()
    c_change = w.loc[comps, post].to_numpy().mean() - w.loc[comps, pre].to_numpy().mean()
    assert res.estimate == pytest.approx(t_change - c_change, abs=1e-8)


def test_did_placebo_inference_detects_large_effect():
    s = _panel(effect=-30.0)
    comps = [f"T{k:02d}" for k in range(1, 20)]
    res = lc.did(s, "T00", comps, START)
    assert res.estimate == pytest.approx(-30, abs=3)
    assert res.p_value == pytest.approx(1 / 20)  # more extreme than all 19 placebos
    assert res.ci_placebo[0] < -30 < res.ci_placebo[1] or abs(res.estimate + 30) < 3
    assert "NOT reliable" in res.summary()
    assert res.table().loc[0, "n_placebos"] == 19


def test_did_no_effect_is_not_significant():
    s = _panel(effect=0.0, seed=4)
    res = lc.did(s, "T00", [f"T{k:02d}" for k in range(1, 20)], START)
    assert res.p_value > 0.1


def test_event_study_coefficients_by_hand_and_missing_year():
    s = _panel()
    comps = [f"T{k:02d}" for k in range(1, 20)]
    es = lc.event_study(s, "T00", comps, START, placebo=False)
    w = s.pivot(index="la_old_code", columns="year", values="value")
    ref = START - 1
    for _, r in es.coefs.iterrows():
        y = START + int(r["rel_year"])
        want = (w.at["T00", y] - w.at["T00", ref]) - (w.loc[comps, y].mean() - w.loc[comps, ref].mean())
        assert r["estimate"] == pytest.approx(want, abs=1e-8)
    # a suppressed treated year has no coefficient; the others are still estimated
    s2 = s[~((s["la_old_code"] == "T00") & (s["year"] == 2012))]
    es2 = lc.event_study(s2, "T00", comps, START)
    assert -4 not in set(es2.coefs["rel_year"]) and len(es2.coefs) == len(YEARS) - 1
    assert {"placebo_lower", "placebo_upper"} <= set(es2.coefs.columns)
    assert 0 < es2.pretrend_p_value <= 1
    assert es2.plot().axes and "Event study" in es2.summary()


def test_event_study_reference_year_must_exist():
    s = _panel()
    s2 = s[~((s["la_old_code"] == "T00") & (s["year"] == START - 1))]
    with pytest.raises(LACompareError, match="reference year"):
        lc.event_study(s2, "T00", ["T01", "T02"], START)


# --------------------------------------------------------------------------- synthetic control


def test_synthetic_control_recovers_convex_combination_and_effect():
    rows = []
    a = {y: 40.0 + 4 * (y - 2011) for y in YEARS}  # rising
    b = {y: 80.0 - 4 * (y - 2011) for y in YEARS}  # falling
    for y in YEARS:
        rows.append(("A", "A", "R", y, a[y]))
        rows.append(("B", "B", "R", y, b[y]))
        rows.append(("T", "T", "R", y, 0.5 * a[y] + 0.5 * b[y] + (-10.0 if y >= START else 0.0)))
        for k, lev in enumerate((150.0, 170.0, 190.0)):  # far above: cannot help the fit
            rows.append((f"H{k}", f"H{k}", "R", y, lev + (y - 2011) * (k - 1)))
    s = pd.DataFrame(rows, columns=["la_old_code", "la_name", "region", "year", "value"])
    res = lc.synthetic_control(s, "T", START)
    assert res.weights["A"] == pytest.approx(0.5, abs=1e-3)
    assert res.weights["B"] == pytest.approx(0.5, abs=1e-3)
    assert res.att == pytest.approx(-10.0, abs=0.05)
    assert res.pre_rmspe < 0.05
    assert len(res.placebo_stats) == 5
    assert res.p_value == pytest.approx(1 / 6)  # the largest post/pre ratio of all six
    assert res.plot().axes and res.gaps_plot().axes and "Synthetic control" in res.summary()


def test_synthetic_control_skips_treated_missing_year_and_incomplete_donors():
    s = _panel()
    s = s[~((s["la_old_code"] == "T00") & (s["year"] == 2012))]
    s = s[~((s["la_old_code"] == "T05") & (s["year"] == 2018))]
    res = lc.synthetic_control(s, "T00", START, placebo=False)
    assert 2012 not in res.pre_years
    assert "T05" not in res.weights.index
    assert res.weights.sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- bad input


def test_bad_inputs():
    s = _panel()
    with pytest.raises(LACompareError, match="columns"):
        lc.did(s.drop(columns=["value"]), "T00", ["T01", "T02"], START)
    with pytest.raises(LACompareError, match="not an la_old_code"):
        lc.choose_comparators(s, "nowhere", START)
    with pytest.raises(LACompareError, match="among its own comparators"):
        lc.did(s, "T00", ["T00", "T01"], START)
    with pytest.raises(LACompareError, match="eligible"):
        lc.choose_comparators(s, "T00", START, n=50)
    with pytest.raises(LACompareError, match="no year before"):
        lc.pre_period_features(s, 2000)
    dup = pd.concat([s, s.head(1)])
    with pytest.raises(LACompareError, match="more than one row"):
        lc.did(dup, "T00", ["T01", "T02"], START)


# --------------------------------------------------------------------------- the DfE panel


def test_real_panel_sefton_adolescent_starts():
    from evalkit import la_panel

    try:
        panel = la_panel.load_panel()
    except la_panel.PanelMissing:
        pytest.skip("../shared/external/dfe_cla_la_panel.csv not present: real-panel check skipped")
    code = la_panel.find_la(panel, "Sefton")
    s = la_panel.measure_series(panel, "adolescent_starts")
    cov = lc.la_covariates(panel, ["cla_31mar_count", "started_count"], START)
    cs = lc.choose_comparators(s, code, START, n=20, covariates=cov)
    assert len(cs.selected) == 20 and code not in cs.selected
    assert (cs.features.loc[cs.selected, "n_pre"] >= 3).all()
    f = cs.features.loc[code]
    # Sefton's adolescent starts 2011-2015 (2012 suppressed): 56, 47, 57, 80 (DfE panel)
    assert f["n_pre"] == 4 and f["pre_level"] == pytest.approx((56 + 47 + 57 + 80) / 4)
    res = lc.did(s, code, cs, START, placebo=False)
    assert np.isfinite(res.estimate) and res.years == (2011, 2022)


def test_allow_fewer_takes_all_eligible():
    s = _panel(n_controls=6)
    with pytest.raises(LACompareError, match="eligible"):
        lc.choose_comparators(s, "T00", START, n=10)
    cs = lc.choose_comparators(s, "T00", START, n=10, allow_fewer=True)
    assert len(cs.selected) == 6
