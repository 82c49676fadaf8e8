"""The cross-CPU check chooses only kernels the CPU supports, and compares checked cells."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import matching

_spec = importlib.util.spec_from_file_location("cross_cpu", Path(__file__).parents[1] / "tools" / "cross_cpu.py")
cross_cpu = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cross_cpu)


def test_kernels_follow_cpu_flags():
    names = lambda flags: [n for n, _ in cross_cpu.configurations(flags)]  # noqa: E731
    assert names(set()) == ["default", "Prescott", "OMP_NUM_THREADS=1"]
    assert names({"avx", "avx2"}) == ["default", "Prescott", "SandyBridge", "Haswell", "OMP_NUM_THREADS=1"]
    assert "SkylakeX" in names({"avx", "avx2", "avx512f"})
    assert "SkylakeX" not in names({"avx", "avx2", "avx512bw"})


def test_cpu_flags_parsed_from_cpuinfo():
    info = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2\nbogomips\t: 1\n"
    assert cross_cpu.cpu_flags(info) == {"fpu", "sse2", "avx", "avx2"}
    assert cross_cpu.cpu_flags("no flags line") == set()


def test_checked_outputs_only_marked_cells():
    nb = {"cells": [
        {"cell_type": "code", "source": ["print(1)"], "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]},
        {"cell_type": "code", "source": ["# NBVAL_CHECK_OUTPUT\n", "x"],
         "outputs": [{"output_type": "execute_result", "data": {"text/plain": ["<obj at 0xdeadbeef12>"]}}]},
    ]}
    assert cross_cpu.checked_outputs(nb) == [(0, "<obj at 0x…>")]


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
