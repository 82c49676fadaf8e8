"""Tests for evalkit.its: validation against the Sicily tutorial, against independent
computations of each estimator, argument checking, results methods, and the LA wrapper."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from evalkit import its, la_panel, paths
from evalkit.synthetic.its import make_controlled_series, make_its_series
from evalkit.synthetic.panel import make_la_panel

SICILY = paths.external("its_sicily", "sicily.csv")


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    if SICILY is None:
        pytest.skip("../shared/external/its_sicily/sicily.csv not present: Sicily validation skipped")
    return pd.read_csv(SICILY)


def _irls_poisson(y: np.ndarray, X: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson GLM by iteratively reweighted least squares (numpy only), as R's glm.fit."""
    beta = np.zeros(X.shape[1])
    beta[0] = math.log(y.mean() / np.exp(offset).mean())
    for _ in range(100):
        eta = X @ beta + offset
        mu = np.exp(eta)
        z = eta - offset + (y - mu) / mu
        W = mu
        new = np.linalg.solve(X.T @ (W[:, None] * X), X.T @ (W * z))
        if np.max(np.abs(new - beta)) < 1e-12:
            beta = new
            break
        beta = new
    mu = np.exp(X @ beta + offset)
    return beta, mu


def _sicily_reference(d: pd.DataFrame, harmonics: int) -> tuple[float, float, float]:
    """Level-change ratio and 95% CI of the tutorial's quasi-Poisson model, from its definition.

    aces ~ offset(log(stdpop)) + smokban + time [+ harmonic(month, 2, 12)], family quasipoisson:
    Poisson point estimates, dispersion = Pearson chi2 / residual df, Wald interval exp(b +/- z se).
    """
    cols = [np.ones(len(d)), d["smokban"].to_numpy(float), d["time"].to_numpy(float)]
    for k in range(1, harmonics + 1):
        x = 2 * np.pi * k * d["month"].to_numpy(float) / 12
        cols += [np.sin(x), np.cos(x)]
    X = np.column_stack(cols)
    y = d["aces"].to_numpy(float)
    beta, mu = _irls_poisson(y, X, np.log(d["stdpop"].to_numpy(float)))
    phi = float(((y - mu) ** 2 / mu).sum() / (len(y) - X.shape[1]))
    cov = phi * np.linalg.inv(X.T @ (mu[:, None] * X))
    b, se = beta[1], math.sqrt(cov[1, 1])
    z = stats.norm.ppf(0.975)
    return math.exp(b), math.exp(b - z * se), math.exp(b + z * se)


# --------------------------------------------------------------------------- Sicily


@pytest.mark.parametrize("harmonics", [2, 0])
def test_sicily_matches_quasipoisson_glm_to_3_decimals(sicily, harmonics):
    ref = _sicily_reference(sicily, harmonics)
    res = its.fit_its(sicily, "aces", "time", 37, family="quasipoisson", offset="stdpop",
                      season="month" if harmonics else None, harmonics=harmonics, period=12,
                      impact="level", errors="naive")
    got = res.effects.loc["level", ["estimate", "ci_lower", "ci_upper"]].to_numpy(float)
    assert np.round(got, 3).tolist() == np.round(ref, 3).tolist()
    assert np.allclose(got, ref, atol=1e-6)
    assert list(res.effects.index) == ["level"]
    # the smoking ban starts at time 37 (January 2005)
    assert sicily.loc[sicily["smokban"] == 1, "time"].min() == 37


def test_sicily_scale_is_pearson(sicily):
    res = its.fit_its(sicily, "aces", "time", 37, family="quasipoisson", offset="stdpop",
                      season="month", harmonics=2, impact="level", errors="naive")
    fitted = res.counterfactual()["fitted"].to_numpy()
    y = sicily["aces"].to_numpy(float)
    phi = ((y - fitted) ** 2 / fitted).sum() / (len(y) - 7)
    assert res.scale == pytest.approx(phi, rel=1e-8)
    d = res.diagnostics()
    assert d.dispersion == pytest.approx(phi, rel=1e-6)
    assert d.dispersion_p < 0.05


def test_sicily_poisson_vs_quasipoisson_ci_widths(sicily):
    kw = dict(offset="stdpop", season="month", harmonics=2, impact="level", errors="naive")
    p = its.fit_its(sicily, "aces", "time", 37, family="poisson", **kw)
    q = its.fit_its(sicily, "aces", "time", 37, family="quasipoisson", **kw)
    assert p.effects.loc["level", "estimate"] == pytest.approx(q.effects.loc["level", "estimate"])
    wp = math.log(p.effects.loc["level", "ci_upper"] / p.effects.loc["level", "ci_lower"])
    wq = math.log(q.effects.loc["level", "ci_upper"] / q.effects.loc["level", "ci_lower"])
    assert wq / wp == pytest.approx(math.sqrt(q.scale), rel=1e-6)
    assert "over-dispersion" in " ".join(p.diagnostics().warnings)


# --------------------------------------------------------------------------- gaussian estimators


def _ols(df: pd.DataFrame, start: float) -> tuple[np.ndarray, np.ndarray]:
    t = df["time"].to_numpy(float)
    post = (t >= start).astype(float)
    X = np.column_stack([np.ones_like(t), t - start, post, (t - start) * post])
    return X, df["y"].to_numpy(float)


def test_ols_naive_matches_numpy():
    df = make_its_series(40, rho=0.3, seed=1)
    X, y = _ols(df, 21)
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    r = y - X @ b
    s2 = r @ r / (40 - 4)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))
    q = stats.t.ppf(0.975, 36)
    res = its.fit_its(df, "y", "time", 21, errors="naive")
    e = res.effects
    assert e.loc["level", "estimate"] == pytest.approx(b[2], abs=1e-10)
    assert e.loc["slope", "estimate"] == pytest.approx(b[3], abs=1e-10)
    assert e.loc["level", "ci_lower"] == pytest.approx(b[2] - q * se[2], abs=1e-9)
    assert e.loc["slope", "p_value"] == pytest.approx(2 * stats.t.sf(abs(b[3] / se[3]), 36), abs=1e-10)


def test_newey_west_matches_bartlett_hac():
    df = make_its_series(60, rho=0.5, seed=2)
    X, y = _ols(df, 31)
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    u = y - X @ b
    L = its.newey_west_lags(60)
    assert L == math.floor(4 * (60 / 100) ** (2 / 9))
    S = (X * u[:, None]).T @ (X * u[:, None])
    for lag in range(1, L + 1):
        w = 1 - lag / (L + 1)
        G = (X[lag:] * u[lag:, None]).T @ (X[:-lag] * u[:-lag, None])
        S += w * (G + G.T)
    bread = np.linalg.inv(X.T @ X)
    cov = bread @ S @ bread  # no small-sample factor (statsmodels' default for HAC)
    res = its.fit_its(df, "y", "time", 31, errors="newey-west")
    assert res.lags == L
    assert np.allclose(res.bse.to_numpy(), np.sqrt(np.diag(cov)), rtol=1e-8)
    assert res.bse["intercept"] == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-8)


def _dense_reml(y, X, t, bounds=(-0.99, 0.99)):
    """REML for AR(1) errors from the dense covariance rho^|t_i - t_j| (no whitening)."""
    n, k = X.shape
    D = np.abs(t[:, None] - t[None, :])

    def nll(rho):
        R = rho**D
        Ri = np.linalg.inv(R)
        A = X.T @ Ri @ X
        b = np.linalg.solve(A, X.T @ Ri @ y)
        r = y - X @ b
        s2 = r @ Ri @ r / (n - k)
        return 0.5 * ((n - k) * math.log(s2) + np.linalg.slogdet(R)[1] + np.linalg.slogdet(A)[1])

    rho = optimize.minimize_scalar(nll, bounds=bounds, method="bounded", options={"xatol": 1e-9}).x
    R = rho**D
    Ri = np.linalg.inv(R)
    A = X.T @ Ri @ X
    b = np.linalg.solve(A, X.T @ Ri @ y)
    r = y - X @ b
    s2 = r @ Ri @ r / (n - k)
    return rho, b, s2 * np.linalg.inv(A)


def test_ar1_reml_matches_dense_gls_with_gaps():
    df = make_its_series(50, rho=0.5, seed=3)
    df.loc[[7, 8, 30], "y"] = np.nan  # gaps in the time index
    res = its.fit_its(df, "y", "time", 26, errors="ar1")
    keep = df["y"].notna()
    X, y = _ols(df[keep], 26)
    rho, b, cov = _dense_reml(y, X, df.loc[keep, "time"].to_numpy(float))
    assert res.rho == pytest.approx(rho, abs=1e-4)
    assert res.params.to_numpy() == pytest.approx(b, abs=1e-4)
    assert np.sqrt(np.diag(res.cov)) == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-3)
    assert "gaps" in " ".join(res.diagnostics().warnings)
    assert "outcome missing at time 8, 9, 31" in " ".join(res.notes)


def test_ar1_satterthwaite_df_is_between_1_and_residual_df():
    df = make_its_series(36, rho=0.4, seed=4)
    res = its.fit_its(df, "y", "time", 19)
    tab = res.coef_table()
    assert ((tab["df"] >= 1) & (tab["df"] <= 32)).all()
    # with more data the df grow (t quantile close to the normal one)
    big = its.fit_its(make_its_series(400, rho=0.0, seed=5), "y", "time", 201)
    assert big.coef_table().loc["post", "df"] > 100
    assert big.coef_table().loc["post", "df"] > 3 * tab.loc["post", "df"]


def test_prais_winsten_recovers_rho():
    df = make_its_series(600, rho=0.6, seed=6)
    res = its.fit_its(df, "y", "time", 301, errors="ar1", ar1_method="prais-winsten")
    assert res.rho == pytest.approx(0.6, abs=0.06)
    reml = its.fit_its(df, "y", "time", 301, errors="ar1")
    assert res.params.to_numpy() == pytest.approx(reml.params.to_numpy(), abs=0.05)


def test_ar1_diagnostics_clear_naive_flags_autocorrelation():
    df = make_its_series(120, rho=0.7, seed=7)
    naive = its.fit_its(df, "y", "time", 61, errors="naive").diagnostics()
    assert naive.ljung_box["p_value"].iloc[0] < 0.01
    assert naive.breusch_godfrey["p_value"] < 0.01
    assert any("autocorrelation in the residuals" in w for w in naive.warnings)
    ar1 = its.fit_its(df, "y", "time", 61, errors="ar1").diagnostics()
    assert ar1.rho == pytest.approx(0.7, abs=0.15)
    assert ar1.acf.loc[ar1.acf["lag"] == 1, "acf"].abs().iloc[0] < 0.2


# --------------------------------------------------------------------------- controlled ITS


def test_controlled_did_terms_equal_difference_of_separate_fits():
    df = make_controlled_series(30, level=-0.4, slope=0.01, family="gaussian", sigma=0.1, seed=8)
    tr, co = df[df["unit"] == "treated"], df[df["unit"] == "control"]
    res = its.fit_its(tr, "y", "time", 16, control=co, errors="naive")
    a = its.fit_its(tr, "y", "time", 16, errors="naive").params
    b = its.fit_its(co, "y", "time", 16, errors="naive").params
    assert res.params["group_post"] == pytest.approx(a["post"] - b["post"], abs=1e-10)
    assert res.params["group_post_trend"] == pytest.approx(a["post_trend"] - b["post_trend"], abs=1e-10)
    # the same model given as one long table with a group column
    res2 = its.fit_its(df, "y", "time", 16, control="control", group="unit", errors="naive")
    assert np.allclose(res.params, res2.params)
    assert list(res.effects.index) == ["level", "slope"]


def test_controlled_removes_common_shock():
    """A shock shared by both series at the start is not an effect in a controlled ITS."""
    rng = np.random.default_rng(9)
    t = np.arange(1, 41)
    shock = 0.5 * (t >= 21)
    tr = pd.DataFrame({"time": t, "y": 5 + 0.02 * t + shock + rng.normal(0, 0.05, 40)})
    co = pd.DataFrame({"time": t, "y": 6 + 0.02 * t + shock + rng.normal(0, 0.05, 40)})
    single = its.fit_its(tr, "y", "time", 21, impact="level")
    ctrl = its.fit_its(tr, "y", "time", 21, impact="level", control=co)
    assert single.effects.loc["level", "ci_lower"] > 0.3
    assert ctrl.effects.loc["level", "ci_lower"] < 0 < ctrl.effects.loc["level", "ci_upper"]
    assert ctrl.sigmas is not None and set(ctrl.sigmas) == {"treated", "comparison"}


def test_control_pooling_sum_and_mean_agree_on_log_scale():
    rng = np.random.default_rng(10)
    t = np.arange(1, 25)
    tr = pd.DataFrame({"time": t, "y": rng.poisson(50 * np.exp(-0.3 * (t >= 13)))})
    comps = pd.concat([pd.DataFrame({"la": c, "time": t, "y": rng.poisson(m, 24)})
                       for c, m in (("a", 40), ("b", 80), ("c", 60))])
    kw = dict(control=comps, group="la", errors="naive")
    s = its.fit_its(tr, "y", "time", 13, family="quasipoisson", control_pool="sum", **kw)
    m = its.fit_its(tr, "y", "time", 13, log_outcome=True, control_pool="mean", **kw)
    m2 = its.fit_its(tr, "y", "time", 13, log_outcome=True, control_pool="sum", **kw)
    assert m.effects.equals(m2.effects) or np.allclose(m.effects, m2.effects)
    assert s.effects.loc["level", "ci_lower"] < 0.74 < s.effects.loc["level", "ci_upper"]
    assert any("3 series pooled" in n for n in s.notes)


def test_count_families_with_all_errors_options():
    df = make_controlled_series(24, seed=11)
    for fam in ("poisson", "quasipoisson"):
        for e in its.ERRORS:
            r = its.fit_its(df, "y", "time", 13, control="control", group="unit", family=fam, errors=e)
            lv = r.effects.loc["level"]
            assert lv["ci_lower"] < lv["estimate"] < lv["ci_upper"]
            assert lv["estimate"] > 0  # ratio scale
    q = its.fit_its(df, "y", "time", 13, control="control", group="unit", family="quasipoisson",
                    errors="ar1")
    assert q.scale != 1.0 and q.rho is not None


# --------------------------------------------------------------------------- results methods


@pytest.fixture(scope="module")
def fitted() -> its.ITSResults:
    df = make_its_series(60, family="poisson", intercept=math.log(2e-3), trend=0.002,
                         level=math.log(0.8), slope=-0.005, sigma=0.02, rho=0.3,
                         population=2e5, season_amplitude=0.1, seed=12)
    return its.fit_its(df, "y", "time", 31, family="quasipoisson", offset="population",
                       season="season", harmonics=1, errors="newey-west")


def test_counterfactual(fitted):
    cf = fitted.counterfactual()
    assert {"series", "time", "post", "observed", "fitted", "counterfactual", "cf_lower", "cf_upper",
            "offset"} <= set(cf.columns)
    pre = cf[~cf["post"]]
    assert np.allclose(pre["fitted"], pre["counterfactual"])
    post = cf[cf["post"]]
    for _, r in post.iloc[[0, 10]].iterrows():
        assert r["fitted"] / r["counterfactual"] == pytest.approx(fitted.effect_at(r["time"])["estimate"])
    assert (post["cf_lower"] < post["counterfactual"]).all()
    rate = fitted.counterfactual(rate_per=1e5)
    assert rate["observed"].iloc[0] == pytest.approx(cf["observed"].iloc[0] / cf["offset"].iloc[0] * 1e5)


def test_effects_and_summary(fitted):
    e = fitted.effects
    assert list(e.columns) == ["estimate", "ci_lower", "ci_upper", "p_value"]
    assert list(e.index) == ["level", "slope"]
    text = fitted.summary()
    assert f"ratio {e.loc['level', 'estimate']:.3f}" in text
    assert f"{e.loc['level', 'ci_lower']:.3f} to {e.loc['level', 'ci_upper']:.3f}" in text
    assert "quasi-Poisson" in text and "Newey-West" in text and "offset log(population)" in text
    tot = fitted.post_period_totals()
    assert tot["observed"] == pytest.approx(fitted.frame.loc[fitted.frame["t"] >= 31, "y"].sum())
    assert tot["cf_lower"] < tot["counterfactual"] < tot["cf_upper"]
    assert fitted.conf_int().shape == (len(fitted.params), 2)


def test_plot_and_diagnostics_plot(fitted):
    import matplotlib.pyplot as plt

    fig = fitted.plot(title="x")
    ax = fig.axes[0]
    styles = [ln.get_linestyle() for ln in ax.get_lines()]
    assert "--" in styles and "-" in styles
    assert len(ax.patches) >= 1  # the shaded post period
    d = fitted.diagnostics()
    f2 = d.plot()
    assert len(f2.axes) == 2
    plt.close("all")
    assert "Ljung-Box" in d.to_text()


def test_few_points_warning():
    df = make_its_series(12, seed=13)
    res = its.fit_its(df, "y", "time", 7)
    w = " ".join(res.diagnostics().warnings)
    assert "6 points before and 6 after" in w and "fewer than 8" in w
    assert "Cautions" in res.summary()


def test_log_outcome_ratio():
    df = make_its_series(48, level=math.log(0.7), slope=0.0, intercept=4, trend=0.01, sigma=0.03,
                         seed=14)
    df["y"] = np.exp(df["y"])
    res = its.fit_its(df, "y", "time", 25, log_outcome=True, impact="level")
    assert res.effects.loc["level", "estimate"] == pytest.approx(0.7, abs=0.05)
    assert "log(y)" in res.summary()


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(outcome="nope"), "outcome: column 'nope' is not in data"),
        (dict(time="when"), "time: column 'when'"),
        (dict(start=0), "start: 0 is outside"),
        (dict(start=99), "start: 99 is outside"),
        (dict(start=2), "at least 2"),
        (dict(family="binomial"), "family"),
        (dict(errors="robust"), "errors"),
        (dict(impact="both"), "impact"),
        (dict(harmonics=2), "season="),
        (dict(harmonics=-1, season="season"), "harmonics"),
        (dict(period=0, season="season", harmonics=1), "period"),
        (dict(offset="pop"), "offset: an offset"),
        (dict(group="unit"), "group: given without control"),
        (dict(lags=-1), "lags"),
        (dict(ar1_method="ml"), "ar1_method"),
        (dict(family="poisson", log_outcome=True), "log_outcome"),
    ],
)
def test_bad_arguments(kwargs, match):
    df = make_its_series(20, seed=15).assign(pop=1000.0, unit="a")
    args = dict(data=df, outcome="y", time="time", start=11)
    for k in ("outcome", "time", "start"):
        if k in kwargs:
            args[k] = kwargs.pop(k)
    with pytest.raises(its.ITSError, match=match):
        its.fit_its(**args, **kwargs)


def test_bad_values():
    df = make_its_series(20, family="poisson", intercept=3, seed=16).assign(pop=1000.0)
    bad = df.assign(pop=df["pop"].where(df["time"] != 5, 0.0))
    with pytest.raises(its.ITSError, match="offset: column 'pop' of data, row 4: 0.0 is not positive"):
        its.fit_its(bad, "y", "time", 11, family="poisson", offset="pop")
    neg = df.assign(y=df["y"].where(df["time"] != 3, -2))
    with pytest.raises(its.ITSError, match="row 2: -2.0 is negative"):
        its.fit_its(neg, "y", "time", 11, family="quasipoisson")
    frac = df.assign(y=df["y"] + 0.5)
    with pytest.raises(its.ITSError, match="not a whole number"):
        its.fit_its(frac, "y", "time", 11, family="poisson")
    its.fit_its(frac, "y", "time", 11, family="quasipoisson")  # allowed
    dup = pd.concat([df, df.iloc[[3]]])
    with pytest.raises(its.ITSError, match="repeats values"):
        its.fit_its(dup, "y", "time", 11)
    text = df.assign(y=df["y"].astype(object).where(df["time"] != 4, "n/a"))
    with pytest.raises(its.ITSError, match="'n/a' is not a number"):
        its.fit_its(text, "y", "time", 11)
    zero = df.assign(y=df["y"].where(df["time"] != 4, 0))
    with pytest.raises(its.ITSError, match="positive values"):
        its.fit_its(zero, "y", "time", 11, log_outcome=True)
    with pytest.raises(its.ITSError, match="too few"):
        its.fit_its(df.iloc[:4], "y", "time", 3, season="time", harmonics=1, impact="level")
    dates = df.assign(when=pd.date_range("2020-01-01", periods=20, freq="MS"))
    with pytest.raises(its.ITSError, match="holds dates"):
        its.fit_its(dates, "y", "when", 11)


# --------------------------------------------------------------------------- LA panels


def test_fit_la_its_recovers_synthetic_effect():
    panel = make_la_panel(n_las=30, level_ratio=0.5, la_year_sd=0.02, year_shock_sd=0.05, seed=4)
    s = la_panel.measure_series(panel, "adolescent_starts")
    r = its.fit_la_its(s, "Sefton", 2016, n_comparators=8)
    lv = r.controlled.effects.loc["level"]
    assert lv["ci_lower"] < 0.5 < lv["ci_upper"] and lv["ci_upper"] < 1
    assert r.la_old_code == panel.attrs["truth"]["treated_la_old_code"]
    assert len(r.comparators) == 8 and r.la_old_code not in set(r.comparators["la_old_code"])
    assert r.placebo is not None and len(r.placebo) == 8
    assert r.placebo_p()["level"] == pytest.approx(1 / 9)  # larger than every placebo
    t = r.effects_table()
    assert set(t["model"]) == {"controlled", "authority alone"}
    sens = r.sensitivity()
    assert set(sens["errors"]) == set(its.ERRORS)
    assert "Placebo check" in r.plain_language()
    assert "measure" not in r.series.columns and set(r.series["role"]) == {"treated", "comparator"}


def test_fit_la_its_given_comparators_and_errors():
    panel = make_la_panel(seed=0)
    s = la_panel.measure_series(panel, "adolescent_starts")
    r = its.fit_la_its(s, "Sefton", 2016, comparators=["Synthetic LA 02", "X03", "x04"],
                       placebo=False)
    assert list(r.comparators["la_old_code"]) == ["X02", "X03", "X04"]
    assert r.how == "given" and r.placebo is None
    # a comparator with a suppressed year is left out, with a note
    gap = s.copy()
    gap.loc[(gap["la_old_code"] == "X03") & (gap["year"] == 2013), ["value", "suppressed"]] = [np.nan, True]
    r2 = its.fit_la_its(gap, "Sefton", 2016, comparators=["X02", "X03", "X04"], placebo=False)
    assert list(r2.comparators["la_old_code"]) == ["X02", "X04"]
    assert any("Synthetic LA 03 (2013)" in n for n in r2.notes)
    with pytest.raises(its.ITSError, match="none of the given"):
        its.fit_la_its(gap, "Sefton", 2016, comparators=["X03"], placebo=False)
    with pytest.raises(its.ITSError, match="its own comparator"):
        its.fit_la_its(s, "Sefton", 2016, comparators=["Sefton", "X03"])
    with pytest.raises(la_panel.UnknownLA):
        its.fit_la_its(s, "Sefton", 2016, comparators=["Nowhere"])
    with pytest.raises(its.ITSError, match="start_year"):
        its.fit_la_its(s, "Sefton", 2030)
    with pytest.raises(its.ITSError, match="n_comparators"):
        its.fit_la_its(s, "Sefton", 2016, n_comparators=500)


@pytest.mark.skipif(paths.external(la_panel.PANEL_FILE) is None,
                    reason="../shared/external/dfe_cla_la_panel.csv not present")
def test_fit_la_its_sefton_real_panel():
    s = la_panel.measure_series(la_panel.load_panel(), "adolescent_starts")
    r = its.fit_la_its(s, "Sefton", 2016, n_comparators=10)
    assert r.la_old_code == "343"
    assert any("2012" in n and "suppressed" in n for n in r.notes)
    used = r.series
    comp = used[used["role"] == "comparator"]
    assert comp["value"].notna().all() and comp.groupby("la_old_code").size().eq(12).all()
    assert used[used["role"] == "treated"]["value"].notna().sum() == 11
    assert r.controlled.effects.shape == (2, 4)
