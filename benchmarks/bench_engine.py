"""Benchmark: the engine behind ``make reproduce`` and ``evalkit batch``, the test suite and the install.

Prints, from one run on one machine (so the ratios compare like with like on a
noisy machine):

1. **reproduce / cold serial floor.** The floor is one papermill run per shipped
   notebook (nine when the target was set, ten now), one after another, of a
   notebook that only imports pandas, statsmodels, seaborn and matplotlib: what
   the notebooks cost before they compute anything when each starts a cold
   kernel. ``evalkit reproduce`` (every shipped notebook,
   default workers) is timed against it. Target <= 0.5.
2. **batch speed-up.** ``evalkit batch`` over 20 synthetic LAs x one notebook
   with 2 workers against 1, run 1, 2, 2, 1 workers and each figure the mean of
   its two runs (drift in the machine's speed biases neither). Target >= 1.8.
   Printed beside it: the speed-up two independent CPU-bound Python processes
   get on the same machine, the ceiling for any 2-worker run there (on a
   virtual machine whose two cores are not fully independent it is below 2).
3. **make test** wall time (venv built). Target <= 120 s on 2 cores.
4. **install**: ``make install`` into a new venv from the lock (uv when
   available), with uv's cache as it is (``--cold-cache``: an empty one).
   Target <= 15 s.

5. **memory**: ``evalkit batch`` over ``--memory-las`` (150) synthetic LA folders x one cheap
   notebook with 2 workers; the total peak resident memory from the run's manifest (engine +
   workers + kernels, as if all peaked at once). Target < 2 GB.

Usage: .venv/bin/python benchmarks/bench_engine.py [--skip install,test,batch,reproduce,memory] [--las 20]
       [--memory-las 150]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
FLOOR_SOURCE = "import pandas\nimport statsmodels.api\nimport seaborn\nimport matplotlib.pyplot\n"


def timed(cmd: list[str], **kw) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)
    return time.perf_counter() - t0, res


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def cold_floor(tmp: Path, runs: int = 9) -> float:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
    nb.metadata["kernelspec"] = {"name": "evalkit", "display_name": "Python (evalkit)", "language": "python"}
    src = tmp / "floor.ipynb"
    nbformat.write(nb, src)
    t0 = time.perf_counter()
    for i in range(runs):
        res = subprocess.run([str(BIN / "papermill"), "-k", "evalkit", "--no-progress-bar", str(src),
                              str(tmp / f"floor-{i}.ipynb")], cwd=ROOT, capture_output=True, text=True)
        if res.returncode:
            raise RuntimeError(res.stderr[-2000:])
    return time.perf_counter() - t0


def reproduce_seconds() -> tuple[float, str]:
    run_id = f"bench-engine-{os.getpid()}"
    try:
        wall, res = timed([str(BIN / "evalkit"), "reproduce", "--run-id", run_id])
    finally:
        shutil.rmtree(ROOT / "papermill_runs" / run_id, ignore_errors=True)
    if res.returncode:
        raise RuntimeError(res.stdout[-3000:] + res.stderr[-2000:])
    return wall, res.stdout


def batch_speedup(tmp: Path, n_las: int, notebook: str) -> dict:
    sys.path.insert(0, str(ROOT))
    from evalkit import batch

    base = tmp / "las"
    for i in range(n_las):
        batch.new_la(f"Benchtown {i + 1:02d}", base=base, notebooks=[notebook], synthetic=True, seed=i)
    # 1, 2, 2, 1 workers (ABBA): a machine whose speed drifts during the run (it does, here) then
    # biases neither figure; each is the mean of its two runs.
    out: dict[int, list[float]] = {1: [], 2: []}
    for i, workers in enumerate((1, 2, 2, 1)):
        t0 = time.perf_counter()
        res = batch.run_batch(all_las=True, base=base, out=tmp / f"runs{i}", workers=workers,
                              notebooks=[notebook], progress=False)
        out[workers].append(time.perf_counter() - t0)
        bad = [t.error for t in res.tasks if t.status != "ok"]
        if bad:
            raise RuntimeError(f"{len(bad)} batch task(s) failed, e.g. {bad[0]}")
    return {w: sum(v) / len(v) for w, v in out.items()} | {"runs": out}


SPIN = "x = 0\nfor i in range(25_000_000):\n    x += i * i\n"


def reference_loop() -> float:
    """Seconds for one fixed pure-Python loop alone: how fast the machine is right now. A virtual
    machine's speed drifts by tens of percent over minutes; read second targets against this."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", SPIN], check=True)
    return time.perf_counter() - t0


def parallel_ceiling(rounds: int = 3) -> float:
    """The speed-up two independent CPU-bound processes get on this machine: the most any
    2-worker batch can reach here. Each round times one process alone, then two at once."""
    alone = together = 0.0
    for _ in range(rounds):
        alone += reference_loop()
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
        for p in procs:
            p.wait()
        together += time.perf_counter() - t0
    return 2 * alone / together


def batch_memory(tmp: Path, n_las: int, notebook: str, workers: int = 2) -> dict:
    """Peak resident memory of a batch over ``n_las`` synthetic LA folders with ``workers`` workers.

    The figures are the manifest's: the engine's peak, each worker process's and each worker's
    kernel's (a kernel's peak is taken per notebook and the largest kept), and their sum as if
    all peaked at once (``total_peak_mb_upper_bound``).
    """
    sys.path.insert(0, str(ROOT))
    from evalkit import batch

    base = tmp / "memory-las"
    for i in range(n_las):
        batch.new_la(f"Memtown {i + 1:03d}", base=base, notebooks=[notebook], synthetic=True, seed=1000 + i)
    t0 = time.perf_counter()
    res = batch.run_batch(all_las=True, base=base, out=tmp / "memory-runs", workers=workers,
                          notebooks=[notebook], progress=False)
    wall = time.perf_counter() - t0
    bad = [t.error for t in res.tasks if t.status != "ok"]
    if bad:
        raise RuntimeError(f"{len(bad)} batch task(s) failed, e.g. {bad[0]}")
    return {**res.manifest["memory"], "wall": wall, "n": len(res.tasks)}


def make_test_seconds() -> tuple[float, str]:
    wall, res = timed(["make", "test"])
    tail = (res.stdout + res.stderr).strip().splitlines()[-1:]
    if res.returncode:
        raise RuntimeError("make test failed: " + "\n".join((res.stdout + res.stderr).splitlines()[-30:]))
    return wall, tail[0] if tail else ""


def install_seconds(tmp: Path, cold_cache: bool) -> float:
    env = dict(os.environ)
    if cold_cache:
        env["UV_CACHE_DIR"] = str(tmp / "uv-cache")
    venv = tmp / "venv"
    wall, res = timed(["make", "install", f"VENV={venv}", f"BIN={venv}/bin", f"STAMP={venv}/.installed"], env=env)
    if res.returncode:
        raise RuntimeError(res.stdout[-2000:] + res.stderr[-2000:])
    return wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip", default="", help="comma-separated: install,test,batch,reproduce,memory")
    ap.add_argument("--las", type=int, default=20)
    ap.add_argument("--notebook", default="06_its_adolescent_entries")
    ap.add_argument("--cold-cache", action="store_true", help="install with an empty uv cache")
    ap.add_argument("--memory-las", type=int, default=150, help="LAs in the memory batch (2 workers)")
    ap.add_argument("--memory-notebook", default="01_gloucestershire_yst")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    # as `make` does (see the Makefile): bytecode cached under .venv/pycache for every kernel
    os.environ.setdefault("PYTHONPYCACHEPREFIX", str(ROOT / ".venv" / "pycache"))
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # the synthetic LA folders are made in the temporary folder: let the batch read them there
    os.environ.setdefault("EVALKIT_INPUT_ROOTS", tempfile.gettempdir())
    tmp = Path(tempfile.mkdtemp(prefix="evalkit-bench-engine-"))
    print(f"machine: {load()} at the start (timings taken under this load); "
          f"reference loop {reference_loop():.2f} s")
    lines = []
    try:
        if "install" not in skip:
            s = install_seconds(tmp, args.cold_cache)
            lines.append(f"install (make install, new venv from the lock, "
                         f"{'empty' if args.cold_cache else 'existing'} uv cache): {s:6.1f} s  (target <= 15 s)")
            print(lines[-1], flush=True)
        if "reproduce" not in skip:
            from evalkit.runner import list_notebooks

            n_nb = len(list_notebooks(None))
            floor = cold_floor(tmp, runs=n_nb)
            repro, summary = reproduce_seconds()
            lines.append(f"cold serial floor ({n_nb} papermill runs of an imports-only notebook): {floor:6.1f} s")
            lines.append(f"evalkit reproduce ({n_nb} notebooks, default workers): {repro:6.1f} s")
            lines.append(f"reproduce / floor: {repro / floor:5.2f}  (target <= 0.5; was 1.27)")
            print("\n".join(lines[-3:]), flush=True)
        if "batch" not in skip:
            ceiling = parallel_ceiling()
            lines.append(f"two CPU-bound processes at once vs one (the most 2 workers can gain on this machine): "
                         f"{ceiling:4.2f}")
            print(lines[-1], flush=True)
            b = batch_speedup(tmp, args.las, args.notebook)
            runs = ", ".join(f"{w} worker{'s' * (w > 1)} {t:.1f} s" for w, ts in zip((1, 2, 2, 1), [
                b["runs"][1][0], b["runs"][2][0], b["runs"][2][1], b["runs"][1][1]], strict=True) for t in [ts])
            lines.append(f"batch {args.las} LAs x {args.notebook} (runs in order: {runs}): 1 worker {b[1]:6.1f} s, "
                         f"2 workers {b[2]:6.1f} s (means); speed-up {b[1] / b[2]:4.2f}  (target >= 1.8; was 1.74)")
            print(lines[-1], flush=True)
        if "memory" not in skip:
            m = batch_memory(tmp, args.memory_las, args.memory_notebook)
            kernels = ", ".join(f"{v:.0f}" for v in m["kernel_peak_mb"].values())
            workers = ", ".join(f"{v:.0f}" for v in m["worker_peak_mb"].values())
            total = m["total_peak_mb_upper_bound"]
            lines.append(f"memory, batch of {m['n']} LAs x {args.memory_notebook}, 2 workers ({m['wall']:.0f} s): "
                         f"engine {m['engine_peak_mb']:.0f} MB, workers {workers} MB, kernels {kernels} MB; "
                         f"total peak {total:.0f} MB = {total / 1024:.2f} GB  (target < 2 GB)")
            print(lines[-1], flush=True)
        if "test" not in skip:
            ref = reference_loop()
            s, tail = make_test_seconds()
            lines.append(f"make test (venv built): {s:6.1f} s wall  (target <= 120 s on 2 cores; reference loop "
                         f"{ref:.2f} s just before it); {tail}")
            print(lines[-1], flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nmachine: {load()} at the end; reference loop {reference_loop():.2f} s")
    print("== summary\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
