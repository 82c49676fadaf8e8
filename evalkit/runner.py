"""Run notebooks with papermill on the evalkit kernel: what ``make reproduce`` does.

Each run writes its executed notebooks to ``papermill_runs/<run id>/``; an
earlier run's folder is never overwritten. Notebooks write their derived
tables to ``data/derived/<notebook stem>/`` (their default ``out_dir``). One
notebook failing does not stop the others; the summary says which failed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

KERNEL = "evalkit"


@dataclass
class NotebookRun:
    notebook: str
    status: str = "pending"  # ok | failed
    seconds: float = 0.0
    error: str = ""
    counts: dict[str, int] = field(default_factory=dict)


def list_notebooks(selection: list[str] | None = None) -> list[Path]:
    """The numbered notebooks in ``notebooks/``, or those named in ``selection`` (stems or paths)."""
    from evalkit.paths import NOTEBOOKS, resolve

    all_nbs = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not selection:
        return all_nbs
    chosen = []
    for s in selection:
        p = resolve(s) if s.endswith(".ipynb") else None
        if p is None or not p.exists():
            hits = [n for n in all_nbs if n.stem == s or n.stem.startswith(s)]
            if not hits:
                raise ValueError(f"no notebook matches {s!r}; have: {', '.join(n.stem for n in all_nbs)}")
            chosen += hits
        else:
            chosen.append(p)
    return chosen


def new_run_dir(base: Path, run_id: str | None = None) -> Path:
    """A fresh folder for this run under ``base``; never reuses an existing one."""
    stamp = run_id or datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = base / stamp
    n = 1
    while candidate.exists():
        n += 1
        candidate = base / f"{stamp}-{n}"
    candidate.mkdir(parents=True)
    return candidate


def execute(
    notebook: Path,
    output: Path,
    parameters: dict[str, Any] | None = None,
    *,
    kernel: str = KERNEL,
    cwd: Path | None = None,
    timeout: int = 1800,
    **engine_kwargs: Any,
) -> None:
    """Execute one notebook with papermill, writing ``output`` atomically.

    The executed notebook goes to a temporary name first and is renamed into
    place only when papermill returns, so a killed run leaves no file that
    looks complete. On a cell error papermill still writes the notebook (with
    the error cell); it is kept under ``output`` with ``.failed`` added.
    ``engine_kwargs`` go to papermill's engine (e.g. ``km``, a running kernel
    manager to reuse).
    """
    import papermill as pm

    from evalkit.paths import ROOT

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.stem}.partial.ipynb")
    try:
        pm.execute_notebook(
            str(notebook),
            str(tmp),
            parameters=parameters or {},
            kernel_name=kernel,
            cwd=str(cwd or ROOT),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            **engine_kwargs,
        )
    except BaseException:
        if tmp.exists():
            os.replace(tmp, output.with_name(output.name + ".failed"))
        raise
    os.replace(tmp, output)


def error_summary(err: BaseException) -> str:
    """One or two lines saying why a notebook failed (the error cell's exception, not a traceback)."""
    ename = getattr(err, "ename", type(err).__name__)
    evalue = getattr(err, "evalue", str(err))
    text = f"{ename}: {evalue}".strip()
    return text.splitlines()[0][:400] if text else type(err).__name__


def reproduce(notebooks: list[str] | None = None, run_id: str | None = None) -> int:
    """Run the notebooks on the shipped data; print one line per notebook; 0 if all succeeded."""
    from tqdm import tqdm

    from evalkit.paths import DERIVED, RUNS
    from evalkit.report import summarise_file

    nbs = list_notebooks(notebooks)
    run_dir = new_run_dir(RUNS, run_id)
    results: list[NotebookRun] = []
    bar = tqdm(nbs, desc="notebooks", unit="nb")
    for nb in bar:
        bar.set_postfix_str(nb.stem)
        res = NotebookRun(nb.stem)
        t0 = time.time()
        try:
            execute(nb, run_dir / nb.name)
            res.status = "ok"
        except Exception as err:  # noqa: BLE001 - reported, and the run continues
            res.status = "failed"
            res.error = error_summary(err)
        res.seconds = time.time() - t0
        repro = DERIVED / nb.stem / "reproduction.csv"
        if repro.exists() and repro.stat().st_mtime >= t0 - 1:
            res.counts = summarise_file(repro)
        results.append(res)
    bar.close()
    print(f"\nexecuted notebooks: {run_dir}")
    width = max(len(r.notebook) for r in results) if results else 10
    for r in results:
        if r.status != "ok":
            line = f"FAILED  {r.error}"
        elif r.counts:
            line = ", ".join(f"{k} {v}" for k, v in r.counts.items())
        else:
            line = "ok (no reproduction table)"
        print(f"{r.notebook:<{width}}  {r.seconds:6.1f}s  {line}")
    failed = [r for r in results if r.status != "ok"]
    if failed:
        print(f"\n{len(failed)} notebook(s) failed; see the .failed notebooks in {run_dir}")
        return 1
    return 0
