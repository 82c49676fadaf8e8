"""Attrition weighting benchmark: bias, RMSE and interval coverage of the completers-only
and weighted mean change when follow-up depends on the baseline score.

Run: ``.venv/bin/python benchmarks/bench_survey_attrition.py [replicates]``

Scenarios (evalkit.synthetic.surveys.attrition_sample; true mean change -2):
  large   n = 200 at baseline, about half followed up;
  52->20  n = 52 at baseline, about 38% followed up (the seed 001 shape).
Estimators: completers unweighted; completers weighted by inverse propensity (balance ipw);
completers raked to the baseline margins (balance rake). Intervals: 95%, t on n - 1 df with
the sandwich standard error of a weighted mean (weights treated as known).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from evalkit import surveys
from evalkit.synthetic.surveys import attrition_sample

SCENARIOS = {
    "large (200, ~50% followed)": {"n": 200, "response_intercept": 0.0},
    "52->20 (~38% followed)": {"n": 52, "response_intercept": -0.5},
}


def run(reps: int) -> None:
    for name, kw in SCENARIOS.items():
        t0 = time.time()
        out = {k: [] for k in ("unweighted", "ipw", "rake")}
        failed = {"ipw": 0, "rake": 0}
        n_follow = []
        for s in range(reps):
            sim = attrition_sample(10_000 + s, **kw)
            d = sim.data
            truth = sim.truth["population_change"]
            c = d[d["followed_up"]]
            n_follow.append(len(c))
            change = (c["score_follow_up"] - c["score_baseline"]).to_numpy()
            un = surveys.weighted_mean(change)
            out["unweighted"].append((un.mean - truth, un.ci[0] <= truth <= un.ci[1], un.effective_n))
            for m in ("ipw", "rake"):
                try:
                    w = surveys.nonresponse_weights(d, ["score_baseline", "group"], method=m,
                                                    diagnostics=False).weights
                except ValueError:
                    failed[m] += 1
                    continue
                wm = surveys.weighted_mean(change, w.reindex(c.index).to_numpy())
                out[m].append((wm.mean - truth, wm.ci[0] <= truth <= wm.ci[1], wm.effective_n))
        print(f"\n{name}: {reps} replicates, mean followed up {np.mean(n_follow):.1f}, "
              f"{time.time() - t0:.0f} s; weighting failed (balance error) ipw {failed['ipw']}, "
              f"rake {failed['rake']}")
        print(f"  {'estimator':<12}{'reps':>6}{'bias':>9}{'RMSE':>8}{'coverage':>10}{'mean ESS':>10}")
        for k, rows in out.items():
            if not rows:
                print(f"  {k:<12}{0:>6}  (no replicate could be weighted)")
                continue
            a = np.array(rows, dtype=float)
            print(f"  {k:<12}{len(a):>6}{a[:, 0].mean():>9.3f}{np.sqrt((a[:, 0] ** 2).mean()):>8.3f}"
                  f"{a[:, 1].mean():>10.3f}{a[:, 2].mean():>10.1f}")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
