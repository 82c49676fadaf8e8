"""Batch reruns for local authorities: ``evalkit new-la`` and ``evalkit batch``.

One folder per LA under ``data/raw/las/<slug>/`` holds the LA's CSVs and a
``params.yaml`` naming the notebooks to run and any parameters::

    la_name: Newtown
    notebooks:
      01_gloucestershire_yst: {}
      06_its_adolescent_entries: {start_year: 2016}

``evalkit batch`` then, for every LA and notebook:

1. **validates first**: the LA's CSVs against their schemas and the presence of
   each notebook's required tables; an LA that fails runs nothing and its
   problems are reported line by line;
2. **executes** the notebooks with papermill in parallel worker processes
   (``--workers``), each worker keeping one warm ``evalkit`` kernel that is
   reset between notebooks (so pandas, statsmodels and evalkit are imported
   once per worker, not once per notebook), or on a Dask cluster
   (``--scheduler``) through the same task function;
3. **writes** ``papermill_runs/<run id>/<la>/<notebook>.ipynb``, an HTML
   report with the code hidden, the notebook's derived CSVs under
   ``<la>/derived/``, and ``manifest.json`` (parameters, package version,
   SHA-256 of every input file, start and end times, each task's status);
   every file is written to a temporary name and renamed into place;
4. **isolates failures**: a bad LA or a raising notebook does not stop the
   others; the batch ends with a table of failures and exits non-zero;
   ``--resume`` reruns only what failed or did not finish.

Raw data are only read. ``new-la`` creates a new folder and refuses to touch
an existing one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from evalkit import __version__
from evalkit.catalog import CATALOG, entry
from evalkit.paths import LAS, NOTEBOOKS, ROOT, RUNS, resolve

MANIFEST = "manifest.json"
KERNEL = "evalkit"

# ----------------------------------------------------------------------------- helpers


def slugify(name: str) -> str:
    """``"Newtown-on-Sea"`` -> ``"newtown_on_sea"``."""
    s = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if not s:
        raise ValueError(f"{name!r} is not a usable LA name")
    return s


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def atomic_json(path: Path, data: Any) -> None:
    from evalkit.outputs import atomic_write_text

    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


# ----------------------------------------------------------------------------- new-la


def new_la(
    name: str,
    *,
    notebooks: Sequence[str] | None = None,
    base: Path | None = None,
    synthetic: bool = False,
    seed: int = 0,
) -> Path:
    """Scaffold ``data/raw/las/<slug>/`` with templates, a column README and ``params.yaml``.

    Parameters
    ----------
    name
        The LA's name as it should appear in reports.
    notebooks
        Notebook stems to include (default: every notebook in the catalog that takes an LA folder).
    base
        Folder of LA folders (default ``data/raw/las``).
    synthetic
        Fill the templates with seeded synthetic data instead of one example row,
        so the folder runs end to end straight away (for trying the package out).
    seed
        Seed for the synthetic data.

    Raises
    ------
    FileExistsError
        If the folder exists: an LA's data are never overwritten.
    """
    from evalkit import params_schema, templates

    name = params_schema.require_la_name(name)  # refuses '/', shell metacharacters, control characters

    base = base or LAS
    folder = base / slugify(name)
    if folder.exists():
        raise FileExistsError(f"{folder} already exists; evalkit never overwrites an LA's data")
    entries = [entry(n) for n in notebooks] if notebooks else list(CATALOG.values())
    skipped = []
    if not notebooks:
        # Panel analyses only make sense for an LA the DfE panel knows.
        known = _panel_knows(name)
        skipped = [e.stem for e in entries if e.needs_panel and not known]
        entries = [e for e in entries if e.stem not in skipped]
    tables = list(dict.fromkeys(t for e in entries for t in e.scaffold_tables))
    tmp = folder.with_name(f".{folder.name}.tmp")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for t in tables:
        (tmp / f"{t}.csv").write_text(templates.template_csv(t), encoding="utf-8")
    (tmp / "README.md").write_text(templates.readme(tables, name), encoding="utf-8")
    params = {
        "la_name": name,
        "notebooks": {e.stem: dict(e.la_params) for e in entries},
    }
    note = "# Notebooks to run for this LA, with any parameters that differ from the defaults.\n"
    if skipped:
        note += (f"# Not included: {', '.join(skipped)} (they analyse the LA in the DfE panel, which has no "
                 f"LA called {name!r}).\n")
    (tmp / "params.yaml").write_text(note + yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    if synthetic:
        from evalkit.synthetic import la_folder

        la_folder.fill(tmp, name, seed=seed)
    os.replace(tmp, folder)
    return folder


def _panel_knows(name: str) -> bool:
    """Whether the DfE panel (if present) has an LA of this name."""
    try:
        from evalkit import la_panel

        la_panel.find_la(la_panel.load_panel(), name)
        return True
    except Exception:  # noqa: BLE001 - absent panel or unknown LA: both mean "no"
        return False


# ----------------------------------------------------------------------------- planning


@dataclass
class Task:
    la: str
    slug: str
    notebook: str
    parameters: dict[str, Any]
    output: str  # executed notebook path
    html: str
    status: str = "pending"  # pending | ok | failed | invalid | interrupted
    error: str = ""
    started: str = ""
    ended: str = ""
    seconds: float = 0.0
    worker: str = ""

    @property
    def key(self) -> str:
        return f"{self.slug}/{self.notebook}"


@dataclass
class LAConfig:
    name: str
    slug: str
    folder: Path
    notebooks: dict[str, dict[str, Any]] = field(default_factory=dict)


def la_folders(base: Path | None = None) -> list[Path]:
    base = base or LAS
    return sorted(p for p in base.iterdir() if p.is_dir() and (p / "params.yaml").exists()) if base.exists() else []


def load_la(name_or_path: str, base: Path | None = None) -> LAConfig:
    """Read an LA's ``params.yaml`` (by LA name, slug or folder path)."""
    base = base or LAS
    p = Path(name_or_path)
    folder = p if p.is_dir() else base / slugify(name_or_path)
    cfg_path = folder / "params.yaml"
    if not cfg_path.exists():
        have = ", ".join(f.name for f in la_folders(base)) or "none"
        raise FileNotFoundError(f"no LA folder with params.yaml at {folder} (LA folders: {have}); try `evalkit new-la`")
    try:
        cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or type(err).__name__
        raise ValueError(f"{_show(cfg_path)}: [params] not valid YAML{where}: {problem}") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"{_show(cfg_path)}: [params] must be a mapping with la_name and notebooks")
    nbs = cfg.get("notebooks") or {}
    if not isinstance(nbs, dict):
        raise ValueError(f"{_show(cfg_path)}: [params] 'notebooks' must map notebook names to parameters")
    return LAConfig(
        name=str(cfg.get("la_name") or folder.name),
        slug=folder.name,
        folder=folder,
        notebooks={k: dict(v or {}) for k, v in nbs.items()},
    )


def validate_la(cfg: LAConfig, notebooks: Iterable[str]) -> dict[str, list[str]]:
    """Problems with an LA's inputs, notebook by notebook (an empty list: that notebook may run).

    Each notebook is held back only by problems in its own tables (a missing
    required table, or a table that breaks its schema or a cross-table check),
    so a bad survey file does not stop the costing notebook. Problems in CSVs
    that no chosen notebook reads are listed under the key ``"(folder)"`` and
    stop nothing.
    """
    from evalkit import schemas

    out: dict[str, list[str]] = {}
    folder_results: dict[Path, list] = {}
    used: dict[Path, set[str]] = {}
    for stem in notebooks:
        try:
            e = entry(stem)
        except KeyError as err:
            out[stem] = [str(err).strip("'\"")]
            continue
        probs: list[str] = []
        if not (NOTEBOOKS / f"{e.stem}.ipynb").exists():
            probs.append(f"notebook {e.stem}.ipynb is missing from notebooks/")
        folder = _data_folder(cfg, e)
        if folder is not None:
            for t in e.required:
                if not (folder / f"{t}.csv").exists():
                    probs.append(f"{_show(folder / (t + '.csv'))}: [file-missing] required by {e.stem}")
            if folder not in folder_results:
                _, folder_results[folder] = schemas.validate_folder(folder, strict=True)
            mine = set(e.tables)
            used.setdefault(folder, set()).update(mine)
            probs += [str(p) for p in folder_results[folder] if Path(p.file).stem in mine]
        out[e.stem] = probs
    other = [
        str(p)
        for folder, found in folder_results.items()
        for p in found
        if Path(p.file).stem not in used.get(folder, set())
    ]
    if other:
        out["(folder)"] = other
    return out


def _show(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def _data_folder(cfg: LAConfig, e) -> Path | None:
    """Folder holding a notebook's tables for this LA: a params.yaml override, else the LA folder."""
    override = cfg.notebooks.get(e.stem, {}).get(e.data_param) if e.data_param else None
    if override:
        return resolve(override)
    return cfg.folder if (e.tables or e.data_param) else None


def plan_tasks(cfg: LAConfig, notebooks: Sequence[str], run_dir: Path) -> list[Task]:
    tasks = []
    for stem in notebooks:
        e = entry(stem)
        params: dict[str, Any] = {"la_name": cfg.name}
        params.update(
            {k: v.replace("{la_dir}", str(cfg.folder)) if isinstance(v, str) else v for k, v in e.la_params.items()}
        )
        folder = _data_folder(cfg, e)
        # A notebook whose tables are all optional keeps its default data (e.g. the DfE panel)
        # unless the LA folder actually holds one of them.
        if e.data_param and folder is not None and (
            e.required or cfg.notebooks.get(e.stem, {}).get(e.data_param)
            or any((folder / f"{t}.csv").exists() for t in e.tables)
        ):
            params[e.data_param] = str(folder)
        params.update(cfg.notebooks.get(e.stem, {}))
        params["out_dir"] = str(run_dir / cfg.slug / "derived")
        tasks.append(
            Task(
                la=cfg.name,
                slug=cfg.slug,
                notebook=e.stem,
                parameters=params,
                output=str(run_dir / cfg.slug / f"{e.stem}.ipynb"),
                html=str(run_dir / cfg.slug / f"{e.stem}.html"),
            )
        )
    return tasks


def input_hashes(cfg: LAConfig, notebooks: Sequence[str]) -> dict[str, str]:
    files: set[Path] = {cfg.folder / "params.yaml"}
    for stem in notebooks:
        e = entry(stem)
        folder = _data_folder(cfg, e)
        if folder is not None and folder.exists():
            files |= {p for p in folder.rglob("*") if p.is_file()}
        nb = NOTEBOOKS / f"{e.stem}.ipynb"
        if nb.exists():
            files.add(nb)
    return {_show(p): sha256(p) for p in sorted(files)}


# ----------------------------------------------------------------------------- execution (worker side)

_KERNEL_MANAGER = None
_WARM_UP = """
import os, warnings
import numpy, pandas, scipy, matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot, seaborn, statsmodels.api
import evalkit, evalkit.paths, evalkit.report, evalkit.schemas, evalkit.outputs, evalkit.plotting
"""
_RESET = """
import matplotlib.pyplot as _plt
_plt.close("all")
del _plt
get_ipython().run_line_magic("reset", "-f")
import os as _os
_os.chdir(%r)
del _os
"""


def _run_in_kernel(km, code: str, timeout: float = 120) -> None:
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=timeout)
        reply = kc.execute_interactive(code, timeout=timeout, store_history=False, output_hook=lambda msg: None)
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"kernel setup failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
    finally:
        kc.stop_channels()


def _kernel(reuse: bool):
    """This worker's warm kernel (started once, reused across notebooks when ``reuse``)."""
    global _KERNEL_MANAGER
    if not reuse:
        return None
    km = _KERNEL_MANAGER
    if km is not None and km.is_alive():
        _run_in_kernel(km, _RESET % str(ROOT))
        return km
    from jupyter_client import KernelManager

    km = KernelManager(kernel_name=KERNEL)
    km.start_kernel(cwd=str(ROOT))
    _run_in_kernel(km, _WARM_UP)
    _KERNEL_MANAGER = km
    return km


def shutdown_worker_kernel() -> None:
    global _KERNEL_MANAGER
    if _KERNEL_MANAGER is not None:
        try:
            _KERNEL_MANAGER.shutdown_kernel(now=True)
        finally:
            _KERNEL_MANAGER = None


def export_html(notebook_path: Path, html_path: Path) -> None:
    """HTML report of an executed notebook with the code hidden (nbconvert)."""
    import nbformat
    from nbconvert import HTMLExporter

    from evalkit.outputs import atomic_write_text

    nb = nbformat.read(notebook_path, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    atomic_write_text(html_path, body)


def run_task(task: dict[str, Any], reuse_kernel: bool = True) -> dict[str, Any]:
    """Execute one LA x notebook task; never raises, returns the task with its status.

    The same function runs in local worker processes and on Dask workers.
    """
    from evalkit.runner import error_summary, execute

    t = dict(task)
    t["started"] = now()
    t["worker"] = f"{platform.node()}:{os.getpid()}"
    t0 = time.perf_counter()
    try:
        km = _kernel(reuse_kernel)
        kwargs = {"km": km} if km is not None else {}
        execute(NOTEBOOKS / f"{t['notebook']}.ipynb", Path(t["output"]), t["parameters"], **kwargs)
        export_html(Path(t["output"]), Path(t["html"]))
        t["status"] = "ok"
        t["error"] = ""
    except Exception as err:  # noqa: BLE001 - isolate failures: report, never raise
        t["status"] = "failed"
        t["error"] = error_summary(err)
        if "DeadKernel" in type(err).__name__ or "dead" in str(err).lower():
            shutdown_worker_kernel()
    t["ended"] = now()
    t["seconds"] = round(time.perf_counter() - t0, 3)
    return t


def _init_worker() -> None:
    """Set up a worker process: one BLAS thread per kernel, so parallel workers do not
    oversubscribe the cores, and shut the warm kernel down when the worker exits."""
    import atexit

    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = "1"
    atexit.register(shutdown_worker_kernel)


# ----------------------------------------------------------------------------- the batch


@dataclass
class BatchResult:
    run_dir: Path
    tasks: list[Task]

    @property
    def failed(self) -> list[Task]:
        return [t for t in self.tasks if t.status != "ok"]

    def failure_table(self) -> str:
        rows = [(t.la, t.notebook, t.status, t.error.splitlines()[0] if t.error else "") for t in self.failed]
        if not rows:
            return "all tasks succeeded"
        w = [max(len(r[i]) for r in rows + [("LA", "notebook", "status", "")]) for i in range(3)]
        lines = [f"{'LA':<{w[0]}}  {'notebook':<{w[1]}}  {'status':<{w[2]}}  why"]
        for r in rows:
            lines.append(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")
        return "\n".join(lines)


def _latest_run(base: Path) -> Path | None:
    runs = sorted((p for p in base.iterdir() if (p / MANIFEST).exists()), key=lambda p: p.stat().st_mtime) if base.exists() else []
    return runs[-1] if runs else None


def run_batch(
    las: Sequence[str] | None = None,
    *,
    all_las: bool = False,
    notebooks: Sequence[str] | None = None,
    workers: int = 1,
    resume: bool = False,
    run_id: str | None = None,
    out: Path | None = None,
    scheduler: str | None = None,
    reuse_kernel: bool = True,
    base: Path | None = None,
    progress: bool = True,
) -> BatchResult:
    """Run notebooks for local authorities; see the module docstring.

    Returns
    -------
    BatchResult
        The run folder and every task with its status.
    """
    from evalkit.runner import new_run_dir

    out = resolve(out) if out else RUNS
    out.mkdir(parents=True, exist_ok=True)
    previous: dict[str, dict[str, Any]] = {}
    if resume:
        run_dir = out / run_id if run_id else _latest_run(out)
        if run_dir is None or not (run_dir / MANIFEST).exists():
            raise FileNotFoundError(f"--resume: no earlier run with a {MANIFEST} in {out}")
        manifest = json.loads((run_dir / MANIFEST).read_text())
        previous = {f"{t['slug']}/{t['notebook']}": t for t in manifest["tasks"]}
        if not las and not all_las:
            las = list(dict.fromkeys(t["slug"] for t in manifest["tasks"]))
        if not notebooks:
            notebooks = None
    else:
        run_dir = new_run_dir(out, run_id)
        manifest = {}

    if all_las:
        las = [p.name for p in la_folders(base)]
    if not las:
        raise ValueError("name at least one LA (--la NAME) or use --all")

    configs: list[LAConfig] = []
    tasks: list[Task] = []
    invalid: dict[str, list[str]] = {}
    hashes: dict[str, dict[str, str]] = {}
    for name in las:
        try:
            cfg = load_la(name, base)
        except (FileNotFoundError, ValueError, yaml.YAMLError) as err:
            slug = slugify(name)
            invalid[slug] = [str(err)]
            for stem in notebooks or ["(all)"]:
                tasks.append(Task(name, slug, stem, {}, "", "", status="invalid", error=str(err)))
            continue
        configs.append(cfg)
        nbs = list(notebooks) if notebooks else list(cfg.notebooks) or list(CATALOG)
        try:
            nbs = [entry(n).stem for n in nbs]
        except KeyError as err:
            invalid[cfg.slug] = [str(err)]
            tasks.append(Task(cfg.name, cfg.slug, ",".join(nbs), {}, "", "", status="invalid", error=str(err)))
            continue
        la_tasks = plan_tasks(cfg, nbs, run_dir)
        by_nb = validate_la(cfg, nbs)
        hashes[cfg.slug] = input_hashes(cfg, nbs)
        problems = [p for ps in by_nb.values() for p in ps]
        if problems:
            invalid[cfg.slug] = list(dict.fromkeys(problems))
        for t in la_tasks:
            mine = by_nb.get(t.notebook, [])
            if mine:
                more = f" (+{len(mine) - 3} more; see {cfg.slug}/VALIDATION_FAILED.txt)" if len(mine) > 3 else ""
                t.status, t.error = "invalid", "; ".join(mine[:3]) + more
        tasks += la_tasks

    # Resume: keep what finished well and still has its outputs.
    for t in tasks:
        old = previous.get(t.key)
        if old and old.get("status") == "ok" and Path(old["output"]).exists() and Path(old["html"]).exists():
            for k in ("status", "error", "started", "ended", "seconds", "worker"):
                setattr(t, k, old.get(k, getattr(t, k)))
            t.status = "ok"

    manifest = {
        "run_id": run_dir.name,
        "created": manifest.get("created") or now(),
        "resumed": [*manifest.get("resumed", []), now()] if resume else [],
        "evalkit_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "command": {
            "las": list(las),
            "notebooks": list(notebooks) if notebooks else None,
            "workers": workers,
            "scheduler": scheduler,
        },
        "inputs": hashes,
        "validation": invalid,
        "tasks": [asdict(t) for t in tasks],
        "started": now(),
        "ended": None,
    }
    atomic_json(run_dir / MANIFEST, manifest)
    for slug, problems in invalid.items():
        from evalkit.outputs import atomic_write_text

        atomic_write_text(run_dir / slug / "VALIDATION_FAILED.txt", "\n".join(problems) + "\n")

    todo = [t for t in tasks if t.status == "pending"]
    by_key = {t.key: t for t in tasks}

    def record(done: dict[str, Any]) -> None:
        t = by_key[f"{done['slug']}/{done['notebook']}"]
        for k in ("status", "error", "started", "ended", "seconds", "worker"):
            setattr(t, k, done[k])
        manifest["tasks"] = [asdict(x) for x in tasks]
        atomic_json(run_dir / MANIFEST, manifest)

    try:
        _dispatch(todo, record, workers=workers, scheduler=scheduler, reuse_kernel=reuse_kernel, progress=progress)
    except KeyboardInterrupt:
        for t in tasks:
            if t.status == "pending":
                t.status, t.error = "interrupted", "the batch was interrupted before this task finished"
        manifest["tasks"] = [asdict(x) for x in tasks]
        manifest["ended"] = now()
        atomic_json(run_dir / MANIFEST, manifest)
        raise
    manifest["ended"] = now()
    manifest["tasks"] = [asdict(x) for x in tasks]
    atomic_json(run_dir / MANIFEST, manifest)
    return BatchResult(run_dir, tasks)


def _dispatch(todo: list[Task], record, *, workers: int, scheduler: str | None, reuse_kernel: bool, progress: bool) -> None:
    from tqdm import tqdm

    if not todo:
        return
    bar = tqdm(total=len(todo), desc="LA x notebook", unit="run", disable=not progress)
    payloads = [asdict(t) for t in todo]
    try:
        if scheduler:
            from dask.distributed import Client, as_completed

            with Client(scheduler) as client:
                futures = [client.submit(run_task, p, reuse_kernel, pure=False, key=f"evalkit-{p['slug']}-{p['notebook']}-{time.time_ns()}") for p in payloads]
                for fut in as_completed(futures):
                    done = fut.result()
                    record(done)
                    bar.set_postfix_str(f"{done['slug']}/{done['notebook']}: {done['status']}")
                    bar.update()
        elif workers <= 1:
            _init_worker()
            try:
                for p in payloads:
                    done = run_task(p, reuse_kernel)
                    record(done)
                    bar.set_postfix_str(f"{done['slug']}/{done['notebook']}: {done['status']}")
                    bar.update()
            finally:
                shutdown_worker_kernel()
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            ctx = mp.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker) as pool:
                futs = {pool.submit(run_task, p, reuse_kernel): p for p in payloads}
                try:
                    for fut in as_completed(futs):
                        p = futs[fut]
                        try:
                            done = fut.result()
                        except Exception as err:  # noqa: BLE001 - a worker process died
                            done = {**p, "status": "failed", "error": f"worker died: {type(err).__name__}: {err}",
                                    "started": "", "ended": now(), "seconds": 0.0, "worker": ""}
                        record(done)
                        bar.set_postfix_str(f"{done['slug']}/{done['notebook']}: {done['status']}")
                        bar.update()
                except KeyboardInterrupt:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    finally:
        bar.close()


# ----------------------------------------------------------------------------- CLI


def _cmd_new_la(args: argparse.Namespace) -> int:
    folder = new_la(args.name, notebooks=args.notebooks or None, synthetic=args.synthetic, seed=args.seed)
    print(f"created {_show(folder)}")
    for p in sorted(folder.iterdir()):
        print(f"  {p.name}")
    print("Fill the CSVs (see README.md), then: evalkit validate " + _show(folder))
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    result = run_batch(
        args.la,
        all_las=args.all,
        notebooks=args.notebooks,
        workers=args.workers,
        resume=args.resume,
        run_id=args.run_id,
        out=Path(args.out) if args.out else None,
        scheduler=args.scheduler,
        reuse_kernel=not args.fresh_kernels,
    )
    ok = sum(t.status == "ok" for t in result.tasks)
    print(f"\nrun folder: {_show(result.run_dir)}  ({ok}/{len(result.tasks)} ok)")
    if result.failed:
        print("\nFailed:")
        print(result.failure_table())
        print(f"\nRerun what failed with: evalkit batch --resume --run-id {result.run_dir.name}")
        return 1
    return 0


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    n = sub.add_parser("new-la", help="scaffold data/raw/las/<slug>/ for a new local authority")
    n.add_argument("name", help="the LA's name, e.g. Newtown")
    n.add_argument("--notebooks", nargs="*", help="notebooks to include (default: all that take LA data)")
    n.add_argument("--synthetic", action="store_true", help="fill the templates with seeded synthetic data")
    n.add_argument("--seed", type=int, default=0, help="seed for --synthetic")
    n.set_defaults(func=_cmd_new_la)

    b = sub.add_parser("batch", help="run notebooks for one or more LAs, in parallel, resumably")
    who = b.add_mutually_exclusive_group()
    who.add_argument("--la", action="append", metavar="NAME", help="an LA (repeatable): name, slug or folder")
    who.add_argument("--all", action="store_true", help="every folder in data/raw/las with a params.yaml")
    b.add_argument("--notebooks", nargs="*", help="notebook stems (default: those in each LA's params.yaml)")
    b.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)), help="parallel worker processes")
    b.add_argument("--resume", action="store_true", help="rerun only what failed or did not finish in a run")
    b.add_argument("--run-id", help="name of the run folder (with --resume: the run to resume; default latest)")
    b.add_argument("--out", help="folder for runs (default papermill_runs/)")
    b.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed scheduler at ADDRESS")
    b.add_argument("--fresh-kernels", action="store_true", help="start a new kernel for every notebook")
    b.set_defaults(func=_cmd_batch)
