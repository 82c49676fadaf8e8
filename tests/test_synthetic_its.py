"""Tests for evalkit.synthetic.its: the ITS generators and the (fast) simulation study."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit import its
from evalkit.synthetic.its import (
    ar1_errors,
    coverage_study,
    make_controlled_series,
    make_its_series,
)


def test_ar1_errors_have_the_stated_autocorrelation_and_variance():
    rng = np.random.default_rng(1)
    u = ar1_errors(40_000, 0.6, 1.0, rng)
    r1 = np.corrcoef(u[1:], u[:-1])[0, 1]
    assert abs(r1 - 0.6) < 0.02
    assert abs(u.var() - 1 / (1 - 0.36)) < 0.06  # stationary variance sigma^2 / (1 - rho^2)
    with pytest.raises(ValueError, match="rho"):
        ar1_errors(10, 1.0, 1.0, rng)


def test_make_its_series_gaussian_truth():
    df = make_its_series(48, level=3.0, slope=0.2, rho=0.0, sigma=0.0, seed=2)
    assert list(df.columns) == ["time", "season", "post", "y"]
    assert df.attrs["truth"]["start"] == 25 and df["post"].sum() == 24
    # without noise the series is exactly the segmented line
    t = df["time"].to_numpy(float)
    expect = 10 + 0.05 * t + 3.0 * (t >= 25) + 0.2 * (t - 25) * (t >= 25)
    assert np.allclose(df["y"], expect)
    res = its.fit_its(df.assign(y=df["y"] + np.random.default_rng(0).normal(0, 1e-6, 48)),
                      "y", "time", 25, errors="naive")
    assert res.effects.loc["level", "estimate"] == pytest.approx(3.0, abs=1e-5)
    assert res.effects.loc["slope", "estimate"] == pytest.approx(0.2, abs=1e-6)


def test_make_its_series_is_seeded():
    a = make_its_series(30, rho=0.4, seed=5)
    b = make_its_series(30, rho=0.4, seed=5)
    c = make_its_series(30, rho=0.4, seed=6)
    assert a.equals(b) and not a.equals(c)


def test_make_its_series_poisson_with_population_and_season():
    df = make_its_series(120, family="poisson", intercept=np.log(5e-3), trend=0.0, level=np.log(0.8),
                         slope=0.0, sigma=0.0, population=1e5, season_amplitude=0.2, seed=3)
    assert (df["y"] >= 0).all() and (df["y"] == df["y"].round()).all()
    assert "population" in df.columns
    res = its.fit_its(df, "y", "time", df.attrs["truth"]["start"], family="poisson",
                      offset="population", season="season", harmonics=1, impact="level",
                      errors="naive")
    lo, hi = res.effects.loc["level", ["ci_lower", "ci_upper"]]
    assert lo < 0.8 < hi


def test_make_controlled_series():
    df = make_controlled_series(24, level=-0.3, seed=4)
    assert set(df["unit"]) == {"treated", "control"} and len(df) == 48
    assert df.attrs["truth"]["level"] == -0.3


def test_bad_arguments():
    with pytest.raises(ValueError, match="start"):
        make_its_series(20, start=1)
    with pytest.raises(ValueError, match="family"):
        make_its_series(20, family="binomial")


def test_coverage_study_fast():
    """A seeded, small version of benchmarks/bench_its_simulation.py.

    With 80 replicates the Monte Carlo SE of a 95% coverage is about 0.024, so
    the default method is required to be within 0.90-0.99 here (the benchmark,
    with 1000 replicates, checks the issue's 0.92-0.98). Naive errors must
    visibly under-cover at rho = 0.4 (0.80 and 0.86 with this seed), which shows the
    study can tell methods apart: a default method that under-covered like them fails.
    """
    tab = coverage_study(ns=(48,), rhos=(0.0, 0.4), reps=80, errors=("naive", its.DEFAULT_ERRORS),
                         seed=11)
    assert (tab["failed"] == 0).all()
    d = tab[tab["errors"] == its.DEFAULT_ERRORS]
    assert d["coverage"].between(0.90, 0.99).all(), d
    assert (d["bias"].abs() < 3 * d["rmse"] / np.sqrt(d["reps"]) + 1e-9).all()
    naive = tab[(tab["errors"] == "naive") & (tab["rho"] == 0.4)]
    assert (naive["coverage"] < 0.88).all(), naive
    # the table has everything the benchmark prints
    assert {"n", "rho", "errors", "effect", "bias", "coverage", "mc_se", "mean_width"} <= set(tab.columns)
