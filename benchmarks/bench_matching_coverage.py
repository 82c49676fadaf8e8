"""Coverage of the matching estimator's 95% intervals: the full-size study behind
``tests/methods/test_matching.py::test_confidence_interval_coverage_simulation``.

150 seeded synthetic cohorts (200 treated, 1,500 comparison; seeds 1000-1149), each matched
with the defaults; the share of intervals (plain matching ATT and doubly robust ATT) that
contain the true effect on missing episodes. The test runs the first 60 of these cohorts.
Target: both within 0.88-0.99 (Monte Carlo SE about 0.018 at 95%).

Run: ``.venv/bin/python benchmarks/bench_matching_coverage.py [--reps 150]``; exits 1 outside the band.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings


def main(argv: list[str] | None = None) -> int:
    from evalkit.matching import match
    from evalkit.synthetic.cohort import make_cohort

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=150)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    hits = hits_dr = 0
    for seed in range(a.reps):
        c = make_cohort(n_treated=200, n_comparison=1500, seed=1000 + seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = match(c.data, "received_service", c.covariates, outcome="missing_episodes")
        truth = c.truth["missing_episodes"]
        hits += r.att["ci_lower"] <= truth <= r.att["ci_upper"]
        hits_dr += r.att_dr["ci_lower"] <= truth <= r.att_dr["ci_upper"]
    cov, cov_dr = hits / a.reps, hits_dr / a.reps
    ok = 0.88 <= cov <= 0.99 and 0.88 <= cov_dr <= 0.99
    print(f"matching 95% interval coverage over {a.reps} cohorts: ATT {cov:.3f}, doubly robust ATT {cov_dr:.3f} "
          f"(target 0.88-0.99): {'PASS' if ok else 'FAIL'}  [{time.perf_counter() - t0:.0f} s]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
