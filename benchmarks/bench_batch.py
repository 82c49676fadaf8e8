"""Benchmark: evalkit batch over 20 synthetic LAs x one notebook, 1 worker against 2.

Prints wall time for each worker count, the speed-up, and the per-notebook
overhead: the batch's time per run minus the time the notebook's cells
themselves took (from papermill's cell timings), set against one cold
standalone papermill run of the same notebook.

Target (issue 8): speed-up >= 1.7 on 2 cores; overhead per run < 3 s.

Usage: .venv/bin/python benchmarks/bench_batch.py [--las 20] [--notebook 06_its_adolescent_entries]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import nbformat


def cell_seconds(nb_path: Path) -> float:
    """Sum of the cells' execution times recorded by papermill."""
    nb = nbformat.read(nb_path, as_version=4)
    total = 0.0
    for c in nb.cells:
        d = c.get("metadata", {}).get("papermill", {}).get("duration")
        if d:
            total += float(d)
    return total


def main() -> None:
    from evalkit import batch
    from evalkit.catalog import entry
    from evalkit.paths import NOTEBOOKS
    from evalkit.runner import execute

    ap = argparse.ArgumentParser()
    ap.add_argument("--las", type=int, default=20)
    ap.add_argument("--notebook", default="06_its_adolescent_entries")
    args = ap.parse_args()
    nb = entry(args.notebook).stem

    tmp = Path(tempfile.mkdtemp(prefix="evalkit-bench-"))
    try:
        base = tmp / "las"
        for i in range(args.las):
            batch.new_la(f"Benchtown {i + 1:02d}", base=base, notebooks=[nb], synthetic=True, seed=i)
        first = sorted(base.iterdir())[0]
        params = batch.plan_tasks(batch.load_la(str(first)), [nb], tmp / "single")[0].parameters

        t0 = time.perf_counter()
        execute(NOTEBOOKS / f"{nb}.ipynb", tmp / "single.ipynb", params)
        cold = time.perf_counter() - t0
        cold_cells = cell_seconds(tmp / "single.ipynb")

        results = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            res = batch.run_batch(all_las=True, base=base, out=tmp / f"runs{workers}", workers=workers,
                                  notebooks=[nb], progress=False)
            wall = time.perf_counter() - t0
            ok = sum(t.status == "ok" for t in res.tasks)
            cells = sum(cell_seconds(Path(t.output)) for t in res.tasks if t.status == "ok")
            results[workers] = {"wall": wall, "ok": ok, "cells": cells, "n": len(res.tasks),
                                "failed": [t.error for t in res.tasks if t.status != "ok"][:3]}

        n = args.las
        w1, w2 = results[1], results[2]
        print(f"notebook: {nb}; LAs: {n}; machine cores used: 1 and 2")
        print(f"single cold papermill run: {cold:6.2f} s (cells {cold_cells:.2f} s, so start-up {cold - cold_cells:.2f} s)")
        for w, r in results.items():
            print(f"--workers {w}: {r['wall']:7.2f} s wall for {r['n']} runs ({r['ok']} ok); "
                  f"{r['wall'] / n:5.2f} s per run")
        speedup = w1["wall"] / w2["wall"]
        overhead = (w1["wall"] - w1["cells"]) / n
        print(f"speed-up 2 workers vs 1: {speedup:.2f} (target >= 1.7)")
        print(f"overhead per notebook run (1 worker, batch time minus cell time, incl. validation, "
              f"HTML export and manifest): {overhead:.2f} s (target < 3 s); "
              f"a cold standalone run spends {cold - cold_cells:.2f} s outside its cells")
        if w1["failed"]:
            print("failures:", json.dumps(w1["failed"], indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
