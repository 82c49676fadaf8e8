"""Tests for evalkit.matching: hand-checkable cases, a brute-force reference, formulas,
recovery of a known effect, and bad input."""

from __future__ import annotations

import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import mahalanobis

from evalkit import matching
from evalkit.matching import (
    MatchingError,
    NoMatchError,
    balance_table,
    e_value,
    match,
    rosenbaum_bounds,
)
from evalkit.synthetic.cohort import make_cohort

matplotlib.use("Agg")


def _toy(n: int = 400, seed: int = 0, effect: float = 2.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    lp = -1.0 + X @ np.array([0.9, -0.5, 0.3])
    t = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    y = 1 + X @ np.array([1.0, 1.0, 0.5]) + effect * t + rng.normal(size=n)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["t"] = t
    df["y"] = y
    return df


def _brute_greedy(st, sc, order, ratio, replace, width):
    """O(n_t * n_c) greedy nearest-neighbour matching, written independently of the module."""
    matches = {i: [] for i in range(len(st))}
    used: set[int] = set()
    for _ in range(ratio):
        for i in order:
            best = None
            for j in range(len(sc)):
                if (not replace and j in used) or j in matches[i]:
                    continue
                d = abs(st[i] - sc[j])
                if width is not None and d > width:
                    continue
                if best is None or d < best[0]:
                    best = (d, j)
            if best is not None:
                matches[i].append(best[1])
                if not replace:
                    used.add(best[1])
    return matches


# --------------------------------------------------------------------------- hand-checkable


def test_one_covariate_greedy_largest_first_by_hand():
    # With one covariate, the logit of the propensity score is a + b x with b > 0, so nearest
    # in logit = nearest in x. Treated 3.0 is matched first (largest score) and takes control
    # 2.9; treated 2.8 then takes 2.6 (0.2 away) rather than 3.2 (0.4 away).
    x_t = [3.0, 2.8, 1.0]
    x_c = [2.9, 2.6, 3.2, 1.1, 0.0, -1.0, 0.5, 2.0]
    df = pd.DataFrame({"x": x_t + x_c, "t": [1] * 3 + [0] * len(x_c)})
    res = match(df, "t", ["x"], caliper=None)
    got = {df.at[f, "x"]: df.at[m, "x"] for f, m in zip(res.pairs["focal"], res.pairs["match"], strict=True)}
    assert got == {3.0: 2.9, 2.8: 2.6, 1.0: 1.1}
    # with replacement both 3.0 and 2.8 take 2.9
    res_r = match(df, "t", ["x"], caliper=None, replace=True)
    got_r = {df.at[f, "x"]: df.at[m, "x"] for f, m in zip(res_r.pairs["focal"], res_r.pairs["match"], strict=True)}
    assert got_r == {3.0: 2.9, 2.8: 2.9, 1.0: 1.1}
    # weights: the control used twice carries twice the weight of one used once
    w = res_r.matched.set_index("x")["weight"]
    assert w.loc[2.9] == pytest.approx(2 * w.loc[1.1])
    assert res_r.matched.loc[res_r.matched["t"] == 0, "weight"].sum() == pytest.approx(2)


def test_matches_brute_force_reference():
    df = _toy(300, seed=3)
    X = df[["a", "b", "c"]].to_numpy()
    t = df["t"].to_numpy()
    _, lp, _ = matching._propensity(X, t, ["a", "b", "c"])
    st, sc = lp[t == 1], lp[t == 0]
    rows_t, rows_c = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    pooled = math.sqrt((np.var(st, ddof=1) + np.var(sc, ddof=1)) / 2)
    order = list(np.argsort(-st, kind="stable"))
    for ratio, replace, cal in [(1, False, 0.2), (1, True, 0.2), (2, False, 0.1), (3, True, None), (2, False, None)]:
        res = match(df, "t", ["a", "b", "c"], ratio=ratio, replace=replace, caliper=cal)
        want = _brute_greedy(st, sc, order, ratio, replace, None if cal is None else cal * pooled)
        got: dict[int, list[int]] = {}
        for f, m in zip(res.pairs["focal"], res.pairs["match"], strict=True):
            got.setdefault(int(f), []).append(int(m))
        want_rows = {int(rows_t[i]): [int(rows_c[j]) for j in js] for i, js in want.items() if js}
        assert got == want_rows, (ratio, replace, cal)


def test_caliper_excludes_distant_pairs_and_reports_width():
    df = _toy(400, seed=5)
    res = match(df, "t", ["a", "b", "c"], caliper=0.05)
    assert (res.pairs["distance"] <= res.caliper_width + 1e-12).all()
    lp = np.log(res.matched["propensity_score"] / (1 - res.matched["propensity_score"]))
    assert np.allclose(lp, res.matched["distance"])
    c = res.counts.set_index("group")
    assert c.loc["all", "treated"] == c.loc["matched", "treated"] + c.loc["unmatched", "treated"]
    assert c.loc["unmatched", "treated"] > 0  # a narrow caliper drops some treated


def test_exact_matching_keeps_strata():
    df = _toy(500, seed=7)
    df["grp"] = np.where(df["a"] > 0, "high", "low")
    df.loc[::7, "grp"] = "mid"
    res = match(df, "t", ["a", "b", "c"], exact=["grp"], caliper=None)
    assert (df.loc[res.pairs["focal"], "grp"].to_numpy() == df.loc[res.pairs["match"], "grp"].to_numpy()).all()


def test_mahalanobis_whitening_is_mahalanobis_distance():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3)) @ np.array([[1, 0.5, 0], [0, 1, 0.3], [0, 0, 2.0]])
    t = (rng.random(200) < 0.4).astype(int)
    Z = matching._whiten(X, t)
    S = ((t.sum() - 1) * np.cov(X[t == 1], rowvar=False) + ((1 - t).sum() - 1) * np.cov(X[t == 0], rowvar=False)) / (
        len(X) - 2
    )
    VI = np.linalg.inv(S)
    for i, j in [(0, 1), (5, 100), (17, 199)]:
        assert np.linalg.norm(Z[i] - Z[j]) == pytest.approx(mahalanobis(X[i], X[j], VI))


def test_mahalanobis_with_ps_caliper_respects_caliper():
    df = _toy(400, seed=11)
    res = match(df, "t", ["a", "b", "c"], distance="mahalanobis", caliper=0.1)
    lp = pd.Series(np.log(res.matched["propensity_score"] / (1 - res.matched["propensity_score"])),
                   index=res.matched.index)
    gaps = (lp.loc[res.pairs["focal"]].to_numpy() - lp.loc[res.pairs["match"]].to_numpy())
    assert np.abs(gaps).max() <= res.caliper_width + 1e-12


def test_atc_mirrors_att_with_flipped_treatment():
    df = _toy(300, seed=2)
    flipped = df.assign(t=1 - df["t"])
    a = match(df, "t", ["a", "b", "c"], outcome="y", estimand="ATC", replace=True)
    b = match(flipped, "t", ["a", "b", "c"], outcome="y", estimand="ATT", replace=True)
    assert a.att["estimate"] == pytest.approx(-b.att["estimate"])
    assert a.att["se"] == pytest.approx(b.att["se"])


# --------------------------------------------------------------------------- formulas


def test_balance_formulas_by_hand():
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 6.0], "flag": [1, 0, 1, 0, 0]})
    t = np.array([1, 1, 0, 0, 0])
    b = balance_table(X, t)
    # treated x: 1, 2 (mean 1.5, var 0.5); control x: 3, 4, 6 (mean 13/3, var 7/3)
    assert b.at["x", "smd_before"] == pytest.approx((1.5 - 13 / 3) / math.sqrt(0.5))
    assert b.at["x", "var_ratio_before"] == pytest.approx(0.5 / (7 / 3))
    assert np.isnan(b.at["flag", "var_ratio_before"])  # not reported for 0/1 covariates
    # after matching: weights 1,1 for treated, control 3 gets 2 and the rest 0
    w = np.array([1, 1, 2, 0, 0.0])
    b2 = balance_table(X, t, w)
    assert b2.at["x", "smd_after"] == pytest.approx((1.5 - 3.0) / math.sqrt(0.5))
    assert b2.at["flag", "smd_after"] == pytest.approx((0.5 - 1.0) / math.sqrt(0.5))
    # equal weights reproduce the unweighted (n - 1) variance
    assert matching._wvar(np.array([3.0, 4.0, 6.0]), np.ones(3)) == pytest.approx(7 / 3)


def test_variance_without_replacement_is_paired_difference_variance():
    df = _toy(400, seed=4)
    res = match(df, "t", ["a", "b", "c"], outcome="y")
    p = res.pairs
    d = df.loc[p["focal"], "y"].to_numpy() - df.loc[p["match"], "y"].to_numpy()
    assert res.att["estimate"] == pytest.approx(d.mean())
    assert res.att["se"] == pytest.approx(math.sqrt(np.sum((d - d.mean()) ** 2)) / len(d))


def test_abadie_imbens_variance_with_reused_control_by_hand():
    # Treated at 0.00 and 0.04 both take control 0.05 (with replacement); control 0.05's
    # conditional variance comes from its 2 nearest controls, 0.30 and 0.35.
    x = [0.0, 0.04, 5.4, 0.05, 0.30, 0.35, 5.0, 6.0, 7.0]
    t = [1, 1, 1, 0, 0, 0, 0, 0, 0]
    y = [1.0, 2.0, 9.0, 0.5, 3.0, 1.0, 7.0, 8.0, 4.0]
    df = pd.DataFrame({"x": x, "t": t, "y": y})
    res = match(df, "t", ["x"], outcome="y", replace=True, caliper=None)
    pairs = dict(zip(res.pairs["focal"], res.pairs["match"], strict=True))
    assert pairs[0] == 3 and pairs[1] == 3 and pairs[2] == 6
    d = np.array([1.0 - 0.5, 2.0 - 0.5, 9.0 - 7.0])
    tau = d.mean()
    sigma2 = (2 / 3) * (0.5 - (3.0 + 1.0) / 2) ** 2  # J = 2 same-group neighbours
    K = 2  # control 0.05 used twice, M = 1: factor K(K-1)/M^2 = 2
    var = (np.sum((d - tau) ** 2) + K * (K - 1) * sigma2) / 3**2
    assert res.att["estimate"] == pytest.approx(tau)
    assert res.att["se"] == pytest.approx(math.sqrt(var))


def test_e_value_known_values():
    assert e_value(2.0)["e_value"] == pytest.approx(2 + math.sqrt(2))
    assert e_value(0.5)["e_value"] == pytest.approx(2 + math.sqrt(2))
    assert e_value(1.5, 0.9, 2.5)["e_value_ci"] == 1.0
    assert e_value(3.0, 2.0, 4.0)["e_value_ci"] == pytest.approx(2 + math.sqrt(2))


def test_rosenbaum_gamma_one_equals_wilcoxon_normal_approximation():
    rng = np.random.default_rng(0)
    d = rng.normal(0.4, 1, size=80)
    table, crit = rosenbaum_bounds(d, gammas=(1.0, 1.5, 2.0))
    ref = stats.wilcoxon(d, alternative="greater", correction=False, method="approx").pvalue
    assert table.loc[0, "p_upper"] == pytest.approx(ref, rel=1e-6)
    assert table["p_upper"].is_monotonic_increasing
    if np.isfinite(crit):
        t2, _ = rosenbaum_bounds(d, gammas=(crit,))
        assert t2.loc[0, "p_upper"] == pytest.approx(0.05, abs=1e-6)


# --------------------------------------------------------------------------- recovery of a known effect


@pytest.fixture(scope="module")
def big_cohort():
    return make_cohort(n_treated=500, n_comparison=5000, seed=0)


def test_recovers_known_effect_and_balances(big_cohort):
    c = big_cohort
    res = match(c.data, "received_service", c.covariates, outcome=c.outcomes, distance="mahalanobis")
    assert res.max_abs_smd() < 0.1, res.balance["smd_after"]
    for o in c.outcomes:
        e = res.effects.set_index(["outcome", "estimator"])
        for est in ("matching", "regression_adjusted"):
            lo, hi = e.loc[(o, est), "ci_lower"], e.loc[(o, est), "ci_upper"]
            assert lo <= c.truth[o] <= hi, (o, est, lo, hi, c.truth[o])
    # the naive comparison is biased: its CI misses the truth for missing episodes
    naive = res.effects.set_index(["outcome", "estimator"]).loc[("missing_episodes", "naive")]
    assert not naive["ci_lower"] <= c.truth["missing_episodes"] <= naive["ci_upper"]


def test_default_sefton_sized_cohort_covers_truth():
    c = make_cohort(seed=0)
    res = match(c.data, "received_service", c.covariates, outcome="entered_care")
    assert res.att["ci_lower"] <= c.truth["entered_care"] <= res.att["ci_upper"]
    assert res.counts.set_index("group").loc["all", "treated"] == 126


@pytest.mark.slow
def test_confidence_interval_coverage_simulation():
    # 60 seeded cohorts (SE of a 95% coverage about 0.028; this seed gives 0.92 and 0.90): an
    # interval too narrow by a third would cover about 80% and fail. The full-size coverage
    # study is benchmarks/bench_matching_coverage.py.
    hits, hits_dr, n = 0, 0, 60
    for seed in range(n):
        c = make_cohort(n_treated=200, n_comparison=1500, seed=1000 + seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = match(c.data, "received_service", c.covariates, outcome="missing_episodes")
        hits += r.att["ci_lower"] <= c.truth["missing_episodes"] <= r.att["ci_upper"]
        hits_dr += r.att_dr["ci_lower"] <= c.truth["missing_episodes"] <= r.att_dr["ci_upper"]
    assert 0.88 <= hits / n <= 0.99
    assert 0.88 <= hits_dr / n <= 0.99


# --------------------------------------------------------------------------- reporting


def test_summary_love_plot_and_sensitivity():
    df = _toy(400, seed=8)
    res = match(df, "t", ["a", "b", "c"], outcome="y")
    text = res.summary()
    assert "Abadie-Imbens" in text and "max |SMD| after matching" in text and "regression_adjusted" in text
    fig = res.love_plot()
    assert len(fig.axes) == 1 and len(fig.axes[0].collections) >= 2
    sens = res.sensitivity()
    assert sens.e_value > 1 and "E-value" in sens.explain()
    assert sens.critical_gamma is not None and sens.critical_gamma > 1
    rr = match(df, "t", ["a", "b", "c"], outcome="y", ratio=2).sensitivity()
    assert rr.rosenbaum is None and "not computed" in rr.explain()
    ci = res.conf_int()
    assert list(ci.columns) == ["outcome", "estimator", "ci_lower", "ci_upper"]


def test_binary_outcome_sensitivity_uses_risk_ratio():
    c = make_cohort(seed=1)
    res = match(c.data, "received_service", c.covariates, outcome="entered_care")
    s = res.sensitivity()
    assert s.scale.startswith("risk ratio")
    yt = c.data.loc[res._fit.focal_rows, "entered_care"].mean()
    assert s.rr == pytest.approx(yt / (yt - res.att["estimate"]))


def test_compare_designs_picks_smallest_max_smd():
    c = make_cohort(seed=0)
    dc = matching.compare_designs(c.data, "received_service", c.covariates)
    ok = dc.table[dc.table["share_focal_matched"] >= 0.9]
    assert dc.best == ok["max_abs_smd"].idxmin()
    assert "chosen" in dc.to_text()
    with pytest.raises(MatchingError, match="without outcomes"):
        matching.compare_designs(c.data, "received_service", c.covariates, outcome="entered_care")


def test_no_outcome_gives_design_only():
    df = _toy(200, seed=1)
    res = match(df, "t", ["a", "b", "c"])
    assert res.att is None and res.effects.empty
    assert "No outcome given" in res.summary()
    with pytest.raises(MatchingError, match="without outcome"):
        res.sensitivity()


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("mutate", "kwargs", "message"),
    [
        (lambda d: d.assign(t=d["t"].replace({1: 2})), {}, "must be 0 or 1"),
        (lambda d: d.assign(t=np.where(d["t"] == 1, "yes", "no")), {}, "must be 0 or 1"),
        (lambda d: d.assign(t=d["t"].astype(float).where(d.index != 3)), {}, "treatment: column 't' is missing"),
        (lambda d: d.drop(columns=["b"]), {}, r"covariates: column\(s\) \['b'\] not in the data"),
        (lambda d: d.assign(a=d["a"].where(d.index != 5)), {}, "column 'a' is missing in 1 row"),
        (lambda d: d.assign(t=0), {}, "no treated units"),
        (lambda d: d.assign(t=1), {}, "no control units"),
        (lambda d: d.assign(k=1.0), {"covariates": ["a", "k"]}, "take a single value"),
        (lambda d: d, {"estimand": "ATE"}, "not the ATE"),
        (lambda d: d, {"ratio": 0}, "ratio"),
        (lambda d: d, {"caliper": -1}, "caliper"),
        (lambda d: d, {"method": "optimal"}, "only 'nearest'"),
        (lambda d: d, {"distance": "euclid"}, "distance"),
        (lambda d: d, {"outcome": "a"}, "must not be matched on"),
        (lambda d: d.assign(y=d["y"].where(d.index != 2)), {"outcome": "y"}, "outcome: column 'y' is missing"),
        (lambda d: d, {"exact": ["nope"]}, "exact"),
    ],
)
def test_bad_input_raises_clear_error(mutate, kwargs, message):
    df = mutate(_toy(120, seed=9))
    args = {"covariates": ["a", "b", "c"], **kwargs}
    covs = args.pop("covariates")
    with pytest.raises(MatchingError, match=message):
        match(df, "t", covs, **args)


def test_caliper_leaving_nobody_matched_raises():
    df = pd.DataFrame({"x": [0.0, 0.1, 5.0, 5.2, 5.4, 9.0], "t": [1, 1, 0, 0, 1, 0]})
    with pytest.raises(NoMatchError, match="widen the caliper"):
        match(df, "t", ["x"], caliper=1e-6)


def test_not_a_dataframe():
    with pytest.raises(MatchingError, match="DataFrame"):
        match([[1, 2]], "t", ["a"])  # type: ignore[arg-type]


def test_sensitivity_table_withholds_small_counts():
    # 3 of 40 treated enter care: with the effect, the risk ratio would reveal that count
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=n)
    t = (rng.random(n) < 0.1 + 0.05 * (x > 0)).astype(int)
    y = np.zeros(n, dtype=int)
    y[np.flatnonzero(t == 1)[:3]] = 1
    y[np.flatnonzero(t == 0)[:40]] = 1
    df = pd.DataFrame({"x": x, "t": t, "y": y, "z": rng.normal(size=n)})
    res = match(df, "t", ["x"], outcome=["y", "z"])
    table, text = matching.sensitivity_table(res)
    row = table.set_index("outcome")
    assert np.isnan(row.at["y", "e_value"]) and np.isnan(row.at["y", "rr"])
    assert "withheld" in row.at["y", "note"] and "withheld" in text
    assert np.isfinite(row.at["z", "e_value"]) and row.at["z", "note"] == ""
    # with no threshold nothing is withheld
    table0, _ = matching.sensitivity_table(res, min_events=0)
    assert np.isfinite(table0.set_index("outcome").at["y", "rr"])


def test_counts_and_balance_for_output_are_aggregate():
    from evalkit import disclosure

    df = _toy(300, seed=6)
    res = match(df, "t", ["a", "b", "c"], outcome="y")
    c = res.counts_by_group()
    assert (c["n_all"] == c["n_matched"] + c["n_unmatched"]).all()
    assert list(c["group"]) == ["treated", "control"]
    b = res.balance_for_output()
    assert list(b.columns) == ["covariate", "smd_before", "smd_after", "var_ratio_before", "var_ratio_after"]
    disclosure.assert_aggregate(b)
    disclosure.assert_aggregate(matching.effects_table(res))


def test_summary_suppresses_small_sample_sizes():
    df = pd.DataFrame({"x": [3.0, 2.8, 1.0, 2.9, 2.6, 3.2, 1.1, 0.0, -1.0, 0.5, 2.0], "t": [1] * 3 + [0] * 8})
    text = match(df, "t", ["x"], caliper=None).summary()
    sizes = text.split("Sample sizes")[1].split("Balance")[0]
    assert "  all                 c        8" in sizes and " 3 " not in sizes
    assert "  all                 3        8" in match(df, "t", ["x"], caliper=None).summary(suppress_small=False)


# --------------------------------------------------------------------------- ties (same answer on every CPU)


def _tied_cohort(n: int = 600, seed: int = 3) -> pd.DataFrame:
    """Two binary covariates: only four distinct propensity scores, so ties everywhere."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, n)
    b = rng.integers(0, 2, n)
    t = (rng.random(n) < 0.15 + 0.2 * a + 0.1 * b).astype(int)
    return pd.DataFrame({"t": t, "a": a, "b": b, "y": rng.normal(size=n) + t})


def test_matching_ties_are_the_data_not_the_last_bit():
    """Scores equal in exact arithmetic but not in floating point give the same matched set."""
    df = _tied_cohort()
    base = matching.match(df, "t", ["a", "b"], outcome="y", seed=5)
    # Perturb each row's covariates by far less than the quantum, differently per row, as a
    # BLAS kernel with another blocking would: the last bits change, the data do not.
    eps = np.random.default_rng(0).uniform(-1e-14, 1e-14, size=(len(df), 2))
    noisy = df.assign(a=df["a"] + eps[:, 0], b=df["b"] + eps[:, 1])
    again = matching.match(noisy, "t", ["a", "b"], outcome="y", seed=5)
    assert base.pairs[["focal", "match"]].equals(again.pairs[["focal", "match"]])
    assert base.att["estimate"] == again.att["estimate"]
    # ...while the seed, which documents the tie rule, does change which tied control is taken.
    other = matching.match(df, "t", ["a", "b"], outcome="y", seed=6)
    assert not base.pairs[["focal", "match"]].equals(other.pairs[["focal", "match"]])


def test_equidistant_candidates_come_in_rank_order():
    from sklearn.neighbors import KDTree

    Zo = np.array([[0.0], [1.0], [1.0], [1.0], [3.0]])
    tree = KDTree(Zo)
    rank = np.array([4, 3, 0, 1, 2])  # among the three at distance 1, row 2 first, then 3, then 1
    d, i = matching._ordered_query(tree, np.array([[0.0]]), 3, rank)
    assert i.tolist() == [[0, 2, 3]]
    assert d.tolist() == [[0.0, 1.0, 1.0]]


def test_recovery_text_reports_coverage_of_a_known_truth():
    df = _tied_cohort()
    res = matching.match(df, "t", ["a", "b"], outcome="y", seed=5)
    est = res.effects.set_index(["outcome", "estimator"]).loc[("y", "matching")]
    inside, outside = float(est["estimate"]), float(est["ci_upper"]) + 1.0
    assert "y                 matching" in matching.recovery_text(res, {"y": inside})
    assert ": covers" in matching.recovery_text(res, {"y": inside}).splitlines()[1]
    assert ": MISSES" in matching.recovery_text(res, {"y": outside}).splitlines()[1]
    assert matching.recovery_text(res, {}).strip().startswith("max |SMD|")
