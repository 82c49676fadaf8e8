"""Benchmark of evalkit.counterfactual on the real DfE panel: scan run time, and injected-effect simulations.

Run as a script (``python benchmarks/bench_counterfactual.py [--quick]``); it prints

* the run time of ``scan`` over every authority (target: under 5 s for about 150);
* for ``assess`` (designs ITS, controlled ITS, DiD: the fast ones; the others can only
  turn a reduction or increase into "inconclusive", so this bounds the full ladder's
  false-positive rate): the share of each verdict with no injected effect (false-positive
  rate), a 15% and a 40% reduction (power), the preferred interval's coverage and mean MDE;
* for ``programme`` with 15 staggered adopters: the coverage of its interval and its power.

Authorities and start years (2014-2019) are drawn with fixed seeds. Needs
``../shared/external/dfe_cla_la_panel.csv``; exits with a message when it is absent.
"""

from __future__ import annotations

import sys
import time
import warnings

from evalkit import la_panel, paths
from evalkit.counterfactual import scan
from evalkit.counterfactual.simulate import simulate_assess, simulate_programme


def main(quick: bool = False) -> int:
    path = paths.external("dfe_cla_la_panel.csv")
    if path is None:
        print("../shared/external/dfe_cla_la_panel.csv is not present: nothing to benchmark")
        return 0
    series = la_panel.measure_series(la_panel.load_panel(path), "adolescent_starts")
    scan(series, 2016)  # warm-up (imports)
    t0 = time.perf_counter()
    r = scan(series, 2016)
    dt = time.perf_counter() - t0
    print(f"scan: {len(r.table)} authorities in {dt:.2f} s (target < 5 s): {'PASS' if dt < 5 else 'FAIL'}")

    n_assess = 40 if quick else 150
    n_prog = 20 if quick else 100
    warnings.simplefilter("ignore")
    print(f"\nassess, {n_assess} random authorities per scenario (adolescent_starts, 20 comparators):")
    for red, seed in ((0.0, 101), (0.15, 102), (0.40, 103)):
        t0 = time.perf_counter()
        s = simulate_assess(series, red, n_assess, seed=seed)
        print(f"  {s.line()}  [{time.perf_counter() - t0:.0f} s]")
        if red == 0.0:
            print(f"  false-positive rate (reduction or increase with no effect): {s.positive_rate:.3f}")
    print(f"\nprogramme, 15 staggered adopters, {n_prog} runs per scenario:")
    for red, seed in ((0.0, 201), (0.15, 202), (0.40, 203)):
        t0 = time.perf_counter()
        s = simulate_programme(series, red, n_prog, n_adopters=15, seed=seed)
        print(f"  {s.line()}  [{time.perf_counter() - t0:.0f} s]")
    return 0


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv))
