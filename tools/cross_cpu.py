"""Rerun the nbval-checked notebook cells under every OpenBLAS kernel this CPU supports.

numpy's OpenBLAS picks its compute kernels for the CPU it runs on, and
``OPENBLAS_CORETYPE`` forces one. A checked output that changes with the kernel
would fail ``make test`` on another machine. This script executes every
notebook once per configuration, in a temporary output folder (``data/derived``
is not touched), and compares, cell by cell, the outputs of the cells marked
``# NBVAL_CHECK_OUTPUT`` with the committed ones, and the derived files the
runs write with each other.

Configurations: the machine's own default; ``Prescott`` always;
``SandyBridge`` when the CPU has avx; ``Haswell`` with avx2; ``SkylakeX`` with
avx512f; and the default kernel with ``OMP_NUM_THREADS=1``. A kernel the CPU
lacks is never forced (it would crash).

Usage: ``python tools/cross_cpu.py [--notebooks 01 08 ...] [--workers N]``.
Exit status 1 when any checked output or derived file differs.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "evalkit"
MARK = "NBVAL_CHECK_OUTPUT"
# Text nbval sanitises away in any case: object addresses.
_ADDR = re.compile(r"0x[0-9a-f]{6,}")


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU flags listed in ``/proc/cpuinfo`` (empty when it is unreadable)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def configurations(flags: set[str]) -> list[tuple[str, dict[str, str]]]:
    """(name, environment overrides) for every configuration the CPU can run."""
    configs: list[tuple[str, dict[str, str]]] = [("default", {}), ("Prescott", {"OPENBLAS_CORETYPE": "Prescott"})]
    for flag, kernel in (("avx", "SandyBridge"), ("avx2", "Haswell"), ("avx512f", "SkylakeX")):
        if flag in flags:
            configs.append((kernel, {"OPENBLAS_CORETYPE": kernel}))
    configs.append(("OMP_NUM_THREADS=1", {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}))
    return configs


def checked_outputs(nb: dict) -> list[tuple[int, str]]:
    """(index among checked cells, text of its outputs) for every ``# NBVAL_CHECK_OUTPUT`` cell."""
    out = []
    k = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or MARK not in "".join(cell["source"]):
            continue
        parts: list[str] = []
        stream = False
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream" and o.get("name") == "stdout":
                # consecutive stream chunks are one text however the kernel split them (as nbval)
                text = "".join(o["text"])
                if stream:
                    parts[-1] += text
                else:
                    parts.append(text)
                stream = True
                continue
            stream = False
            if o["output_type"] in ("execute_result", "display_data"):
                parts.append("".join(o.get("data", {}).get("text/plain", "")))
            elif o["output_type"] == "error":
                parts.append(f"ERROR {o.get('ename')}: {o.get('evalue')}")
        out.append((k, _ADDR.sub("0x…", "\n".join(parts))))
        k += 1
    return out


def _hash_tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in {".csv", ".json", ".txt", ".md"}
    }


def _ipc_kernel_manager():
    """An unstarted ``evalkit`` kernel manager on IPC transport where the OS has it.

    Unix sockets in a private folder, as the batch engine uses: nothing listens on a port and
    ipykernel prints no "running over TCP without encryption" warning.
    """
    from jupyter_client import KernelManager

    if os.name != "posix":  # pragma: no cover - Windows has no IPC transport
        return KernelManager(kernel_name=KERNEL), None
    sockets = tempfile.mkdtemp(prefix="evalkit-kernel-")
    return KernelManager(kernel_name=KERNEL, transport="ipc", ip=os.path.join(sockets, "k")), sockets


def run_one(nb_path: Path, env: dict[str, str], work: Path, out_dir: Path) -> tuple[dict, dict[str, str]]:
    """Execute one notebook with ``env`` overrides; return it and the hashes of what it wrote.

    ``out_dir`` is the same path in every configuration (tables may record it), emptied between
    configurations by the caller.
    """
    import papermill as pm

    work.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel process inherits the environment
    km, sockets = _ipc_kernel_manager()
    try:
        pm.execute_notebook(
            str(nb_path), str(work / nb_path.name), kernel_name=KERNEL, parameters={"out_dir": str(out_dir)},
            progress_bar=False, cwd=str(ROOT), log_output=False, km=km,
        )
    except Exception as exc:  # noqa: BLE001 - a failing run is a reported difference, not a crash
        print(f"  {nb_path.stem} under {env or 'default'}: execution failed: {type(exc).__name__}")
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        if sockets:
            shutil.rmtree(sockets, ignore_errors=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    done = work / nb_path.name
    nb = json.loads(done.read_text()) if done.exists() else {"cells": []}
    return nb, _hash_tree(out_dir / nb_path.stem)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notebooks", nargs="*", help="notebook number prefixes (default: all)")
    ap.add_argument("--workers", type=int, default=1, help="notebooks run at once (environments differ per config, so configs run one after another)")
    args = ap.parse_args(argv)
    nbs = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        nbs = [p for p in nbs if any(p.name.startswith(n) for n in args.notebooks)]
    configs = configurations(cpu_flags())
    print("configurations:", ", ".join(name for name, _ in configs))
    tmp = Path(tempfile.mkdtemp(prefix="evalkit-crosscpu-"))
    failures = 0
    derived: dict[str, dict[str, dict[str, str]]] = {}
    try:
        out_dir = tmp / "derived"
        for name, env in configs:
            print(f"== {name}", flush=True)
            shutil.rmtree(out_dir, ignore_errors=True)

            # OPENBLAS_CORETYPE is read when the kernel starts: one config at a time, notebooks in parallel.
            def job(p: Path, name: str = name, env: dict[str, str] = env) -> tuple[Path, dict, dict[str, str]]:
                nb, hashes = run_one(p, env, tmp / name.replace("=", "_") / p.stem, out_dir)
                return p, nb, hashes

            with ThreadPoolExecutor(max_workers=max(1, args.workers)) as ex:
                results = list(ex.map(job, nbs))
            for p, nb, hashes in results:
                committed = checked_outputs(json.loads(p.read_text()))
                got = checked_outputs(nb)
                derived.setdefault(p.stem, {})[name] = hashes
                if len(got) != len(committed):
                    print(f"  {p.stem}: {len(got)} checked cells ran, {len(committed)} committed")
                    failures += 1
                    continue
                for (k, want), (_, have) in zip(committed, got, strict=True):
                    if want != have:
                        failures += 1
                        print(f"  {p.stem}: checked cell {k + 1} differs")
                        diff = difflib.unified_diff(want.splitlines(), have.splitlines(), "committed", name, n=0, lineterm="")
                        for line in list(diff)[2:14]:
                            print("    " + line)
                if all(w == h for (_, w), (_, h) in zip(committed, got, strict=True)):
                    print(f"  {p.stem}: {len(got)} checked cells identical")
        print("== derived files across configurations")
        for stem, per in derived.items():
            base_name, base = next(iter(per.items()))
            for name, hashes in per.items():
                diff = sorted(k for k in set(base) | set(hashes) if base.get(k) != hashes.get(k))
                if diff:
                    failures += 1
                    print(f"  {stem}: {name} differs from {base_name} in {', '.join(diff[:6])}")
            if all(h == base for h in per.values()):
                print(f"  {stem}: identical ({len(base)} files)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("cross-cpu:", "no difference" if failures == 0 else f"{failures} difference(s)")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
