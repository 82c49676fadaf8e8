"""Benchmark: 1:1 nearest-neighbour caliper matching at 10k, 100k and 1M rows.

Each size runs in its own Python process so that the peak memory figure
(``ru_maxrss``, the process's peak resident set: interpreter, libraries, the
generated data and the matching together) belongs to that size alone. The
data: 10 standard-normal covariates, treatment from a logistic model whose
intercept is set so that 10% of rows are treated, and an outcome with a true
effect of 1. The call timed is exactly::

    match(df, "t", covariates, outcome="y", ratio=1, caliper=0.2, replace=False)

(logit propensity score, greedy matching without replacement, balance table,
effects with Abadie-Imbens SEs). Target: 1,000,000 rows in under 60 s and
4 GB on a 2-core machine.

Run: ``.venv/bin/python benchmarks/bench_matching.py`` (add ``--sizes 10000``
to pick sizes).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

SIZES = (10_000, 100_000, 1_000_000)
LIMIT_SECONDS = 60.0
LIMIT_GB = 4.0


def make_data(n: int, seed: int = 0):
    import numpy as np
    import pandas as pd
    from scipy import optimize

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 10))
    beta = np.linspace(0.5, -0.4, 10)
    lin = X @ beta
    a = optimize.brentq(lambda a: (1 / (1 + np.exp(-(a + lin)))).mean() - 0.10, -20, 20)
    t = (rng.random(n) < 1 / (1 + np.exp(-(a + lin)))).astype(np.int8)
    y = X @ np.linspace(0.3, 0.1, 10) + 1.0 * t + rng.standard_normal(n)
    df = pd.DataFrame(X, columns=[f"x{k}" for k in range(10)])
    df["t"] = t
    df["y"] = y
    return df


def run_one(n: int) -> dict:
    from evalkit.matching import match

    df = make_data(n)
    covs = [f"x{k}" for k in range(10)]
    t0 = time.perf_counter()
    res = match(df, "t", covs, outcome="y", ratio=1, caliper=0.2, replace=False)
    elapsed = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    c = res.counts.set_index("group")
    return {
        "n": n,
        "treated": int(c.loc["all", "treated"]),
        "matched_treated": int(c.loc["matched", "treated"]),
        "seconds": elapsed,
        "peak_rss_gb": peak_kb * 1024 / 1e9,
        "att": res.att["estimate"],
        "se": res.att["se"],
        "max_abs_smd": res.max_abs_smd(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.child)))
        return 0
    print("1:1 caliper (0.2 SD logit) matching without replacement, 10% treated, 10 covariates")
    print(f"{'rows':>10} {'treated':>9} {'matched':>9} {'time (s)':>9} {'peak RSS (GB)':>14} "
          f"{'ATT (true 1)':>13} {'SE':>7} {'max|SMD|':>9}")
    failed = False
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            print(out.stderr)
            return out.returncode
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['n']:>10,} {r['treated']:>9,} {r['matched_treated']:>9,} {r['seconds']:>9.2f} "
              f"{r['peak_rss_gb']:>14.2f} {r['att']:>13.3f} {r['se']:>7.4f} {r['max_abs_smd']:>9.3f}")
        if n >= 1_000_000 and (r["seconds"] >= LIMIT_SECONDS or r["peak_rss_gb"] >= LIMIT_GB):
            failed = True
    if failed:
        print(f"FAIL: 1,000,000 rows must take < {LIMIT_SECONDS:.0f} s and < {LIMIT_GB:.0f} GB")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
