"""Papermill helpers for the batch engine (:mod:`evalkit.batch`).

:func:`execute` runs one notebook and writes it atomically; :func:`new_run_dir`
makes a fresh ``papermill_runs/<run id>/`` (an earlier run's folder is never
overwritten); :func:`list_notebooks` picks the numbered notebooks. ``make
reproduce`` and ``evalkit batch`` both run through :func:`evalkit.batch.execute_run`.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

KERNEL = "evalkit"


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
    """Run the notebooks on the shipped data and print the summary; 0 if all succeeded.

    Kept for callers of the old API: the work is done by :func:`evalkit.batch.reproduce`.
    """
    from evalkit.batch import report
    from evalkit.batch import reproduce as run

    result = run(notebooks, run_id=run_id)
    return report(result, f"evalkit reproduce --resume --run-id {result.run_dir.name}")
