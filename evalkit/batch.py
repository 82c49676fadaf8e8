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
   (``--workers``, default: the usable cores), each worker keeping one warm
   ``evalkit`` kernel (one BLAS thread, IPC transport) that is reset between
   notebooks (so pandas, statsmodels and evalkit are imported once per
   worker, not once per notebook), or on a Dask cluster (``--scheduler``)
   through the same task function; when there are at least two tasks per
   worker, the workers start (and warm their kernels) while step 1 runs, and
   each worker makes its notebooks' dashboard thumbnails itself; with one
   worker the notebooks run in this process, whose warm kernel is kept for a
   later run here (a script calling :func:`run_batch` again) and stopped at exit;
3. **writes** ``papermill_runs/<run id>/<la>/<notebook>.ipynb``, an HTML
   report with the code hidden, the notebook's derived CSVs under
   ``<la>/derived/``, and ``manifest.json`` (parameters, package version,
   SHA-256 of every input file, start and end times, each task's status,
   its reproduction counts and peak memory, and the engine's peak memory);
   every file is written to a temporary name and renamed into place;
4. **isolates failures**: a bad LA (a broken ``params.yaml``, an unreadable
   CSV), a raising notebook or a dead worker does not stop the others; the
   batch ends with a table of failures and exits non-zero; ``--resume``
   reruns only what failed or did not finish.

``evalkit reproduce`` (``make reproduce``) runs the shipped notebooks on the
shipped data through the same engine (:func:`reproduce`).

Raw data are only read. ``new-la`` creates a new folder and refuses to touch
an existing one.
"""

from __future__ import annotations

import argparse
import atexit
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
from evalkit.paths import LAS, NOTEBOOKS, ROOT, RUNS, resolve

MANIFEST = "manifest.json"
KERNEL = "evalkit"

# ----------------------------------------------------------------------------- helpers


def entry(stem: str):
    """The catalogue entry of a notebook (:func:`evalkit.catalog.entry`).

    The catalogue imports every study module (pandas, scipy, the CBA code); it is imported on
    first use, so a batch worker, which only executes notebooks, starts without it."""
    from evalkit.catalog import entry as _entry

    return _entry(stem)


def _catalog() -> dict:
    from evalkit.catalog import CATALOG

    return CATALOG


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
    entries = [entry(n) for n in notebooks] if notebooks else list(_catalog().values())
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
    source: str = ""  # notebook file (default notebooks/<notebook>.ipynb)
    counts: dict[str, int] = field(default_factory=dict)  # reproduction-table statuses
    kernel_peak_rss_mb: float | None = None
    worker_peak_rss_mb: float | None = None
    title: str = ""  # the analysis, for the HTML report's title (from the catalogue)

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
    problems = params_problems(cfg_path, cfg)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValueError(problems[0] + more)
    nbs = cfg.get("notebooks") or {}
    return LAConfig(
        name=str(cfg.get("la_name") or folder.name),
        slug=folder.name,
        folder=folder,
        notebooks={str(k): dict(v or {}) for k, v in nbs.items()},
    )


def params_problems(cfg_path: Path, cfg: dict[str, Any]) -> list[str]:
    """One line per structural problem in a parsed ``params.yaml`` (an empty list: usable).

    This is the minimal check the batch needs to plan an LA without a Python
    error: ``la_name`` is text, ``notebooks`` maps notebook names to mappings
    of parameter names. A fuller schema check (types of each parameter,
    unknown keys) plugs in here as one more ``problems += ...`` line.

    Parameters
    ----------
    cfg_path
        The ``params.yaml`` file (named in every message).
    cfg
        Its parsed content.

    Returns
    -------
    list of str
        Messages of the form ``"<file>: [params] <key>: <problem>"``.
    """
    where = _show(cfg_path)
    problems: list[str] = []
    name = cfg.get("la_name")
    if name is not None and not isinstance(name, str):
        problems.append(f"{where}: [params] la_name: must be text, not {type(name).__name__} ({name!r})")
    nbs = cfg.get("notebooks")
    if nbs is not None and not isinstance(nbs, dict):
        problems.append(f"{where}: [params] notebooks: must map notebook names to parameters, "
                        f"not {type(nbs).__name__}")
        nbs = {}
    for stem, values in (nbs or {}).items():
        if values is not None and not isinstance(values, dict):
            problems.append(f"{where}: [params] notebooks.{stem}: must be a mapping of parameter names "
                            f"to values (or {{}}), not {type(values).__name__} ({values!r})")
            continue
        for key in values or {}:
            if not isinstance(key, str):
                problems.append(f"{where}: [params] notebooks.{stem}: parameter name {key!r} is not text")
    if _validate_params is not None and cfg_path.is_file():  # the file's own schema (types, keys, paths)
        problems += [str(p) for p in _validate_params(cfg_path)]
    return problems


try:  # the full params.yaml schema, where this version of evalkit has it
    from evalkit.params_schema import validate_params as _validate_params
except ImportError:  # pragma: no cover - depends on the installed version
    _validate_params = None


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
        if e.stem == "06_its_adolescent_entries" and (cfg.folder / "params.yaml").exists():
            from evalkit.params_schema import data_problems

            probs += data_problems(cfg.folder / "params.yaml")
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
                title=e.title,
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
_KERNEL_ENV: dict[str, str] | None = None  # the environment the warm kernel was started in
# Each kernel computes with one BLAS/OpenMP thread: workers run side by side, one per core.
ONE_BLAS_THREAD = {var: "1" for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                        "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
_KERNEL_SOCKETS: str | None = None
_WARM_UP = """
import os, warnings
import numpy, pandas, scipy, matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot, seaborn, statsmodels.api
import evalkit, evalkit.paths, evalkit.report, evalkit.schemas, evalkit.outputs, evalkit.viz
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


def start_kernel():
    """Start an ``evalkit`` kernel in the repository root.

    On POSIX systems the kernel talks over IPC (Unix sockets in a private
    temporary folder) rather than TCP on localhost: nothing listens on a
    port, and ipykernel does not print its "running over TCP without
    encryption" warning into the progress output.

    Returns
    -------
    jupyter_client.KernelManager
        A started kernel manager.
    """
    import tempfile

    from jupyter_client import KernelManager

    if os.name == "posix":
        sockets = tempfile.mkdtemp(prefix="evalkit-kernel-")
        km = KernelManager(kernel_name=KERNEL, transport="ipc", ip=os.path.join(sockets, "k"))
        km._evalkit_sockets = sockets  # removed with the kernel
    else:  # pragma: no cover - Windows has no IPC transport
        km = KernelManager(kernel_name=KERNEL)
    km.start_kernel(cwd=str(ROOT), env={**os.environ, **ONE_BLAS_THREAD})
    return km


def stop_kernel(km) -> None:
    """Shut a kernel down now and remove its socket folder."""
    import shutil

    try:
        km.shutdown_kernel(now=True)
    finally:
        sockets = getattr(km, "_evalkit_sockets", None)
        if sockets:
            shutil.rmtree(sockets, ignore_errors=True)


def _kernel(reuse: bool):
    """This process's warm kernel (started once, reset between notebooks), or a fresh one.

    The warm kernel outlives a batch run in the process that started it, so a later run there
    (a script or a session calling :func:`run_batch` again) starts warm; it is stopped when the
    process exits, or by :func:`shutdown_worker_kernel`. A kernel inherits the environment it
    was started in, so if this process's environment has changed since, a new one is started.
    """
    global _KERNEL_MANAGER, _KERNEL_ENV
    if not reuse:
        return start_kernel()
    km = _KERNEL_MANAGER
    if km is not None and km.is_alive() and _KERNEL_ENV == _kernel_env():
        _run_in_kernel(km, _RESET % str(ROOT))
        return km
    if km is not None:
        shutdown_worker_kernel()
    km = start_kernel()
    _KERNEL_MANAGER, _KERNEL_ENV = km, _kernel_env()
    _run_in_kernel(km, _WARM_UP)
    return km


def _kernel_env() -> dict[str, str]:
    """This process's environment as a new kernel would inherit it (less pytest's per-test marker)."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def shutdown_worker_kernel() -> None:
    """Stop this worker's warm kernel, if it has one."""
    global _KERNEL_MANAGER
    if _KERNEL_MANAGER is not None:
        try:
            stop_kernel(_KERNEL_MANAGER)
        finally:
            _KERNEL_MANAGER = None


# The warm kernel of whichever process this is (the engine, a local worker, a Dask worker) stops
# when that process exits.
atexit.register(shutdown_worker_kernel)


def _kernel_pid(km) -> int | None:
    prov = getattr(km, "provisioner", None)
    proc = getattr(prov, "process", None)
    return getattr(proc, "pid", None) or getattr(prov, "pid", None)


def _proc_status_mb(pid: int, field_name: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_peak(pid: int | None) -> None:
    """Restart a process's peak-RSS counter (Linux ``clear_refs``), so each notebook gets its own."""
    if pid is None:
        return
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


def kernel_peak_rss_mb(km) -> float | None:
    """Peak resident memory (MB) of a kernel process since its counter was last reset.

    Linux: ``VmHWM`` from ``/proc``. Elsewhere: the current RSS (psutil), a lower bound.
    """
    pid = _kernel_pid(km)
    if pid is None:
        return None
    peak = _proc_status_mb(pid, "VmHWM")
    if peak is not None:
        return peak
    try:
        import psutil

        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except Exception:  # noqa: BLE001 - memory figures are informative only
        return None


def self_peak_rss_mb() -> float:
    """Peak resident memory (MB) of this process over its life."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 1024), 1)


def export_html(notebook_path: Path, html_path: Path, *, la: str | None = None, notebook: str | None = None,
                title: str | None = None) -> None:
    """Offline HTML report of an executed notebook (code hidden, images embedded, mode 0644).

    The page title names the LA and the analysis, and the text names the folders the run
    really wrote (:func:`evalkit.html_report.to_html`).
    """
    from evalkit.html_report import to_html

    analysis = title
    if not analysis:
        analysis = notebook or notebook_path.stem
        try:
            analysis = entry(analysis).title
        except KeyError:
            pass
    to_html(notebook_path, html_path, la=la, analysis=analysis)


def _write_thumbnail(task: dict[str, Any]) -> None:
    """The dashboard's thumbnail of this task's key chart, made here in the worker, in parallel
    (a batch task's notebook is ``<run>/<slug>/<notebook>.ipynb``); never raises."""
    from evalkit.html_report import thumbnail_path, write_thumbnail

    out = Path(task["output"])
    try:
        write_thumbnail(out, thumbnail_path(out.parent.parent, task["slug"], task["notebook"]))
    except Exception:  # noqa: BLE001 - the dashboard makes it again if it is missing
        pass


def _reproduction_counts(task: dict[str, Any], since: float) -> dict[str, int]:
    """Status counts of the reproduction table this task wrote (empty if it wrote none)."""
    from evalkit.paths import DERIVED
    from evalkit.report import summarise_file

    out_dir = task["parameters"].get("out_dir")
    path = (resolve(out_dir) if out_dir else DERIVED) / task["notebook"] / "reproduction.csv"
    if path.exists() and path.stat().st_mtime >= since - 1:
        return summarise_file(path)
    return {}


def run_task(task: dict[str, Any], reuse_kernel: bool = True) -> dict[str, Any]:
    """Execute one LA x notebook task; never raises, returns the task with its status.

    The same function runs in local worker processes and on Dask workers. It
    records the task's status, a one-line reason if it failed, the counts of
    its reproduction table, and the peak memory of the kernel (during this
    notebook) and of the worker process.
    """
    from evalkit.runner import error_summary, execute

    t = dict(task)
    t["started"] = now()
    t["worker"] = f"{platform.node()}:{os.getpid()}"
    wall0 = time.time()
    t0 = time.perf_counter()
    km = None
    try:
        km = _kernel(reuse_kernel)
        _reset_peak(_kernel_pid(km))
        source = Path(t["source"]) if t.get("source") else NOTEBOOKS / f"{t['notebook']}.ipynb"
        execute(source, Path(t["output"]), t["parameters"], km=km)
        if t.get("html"):
            export_html(Path(t["output"]), Path(t["html"]), la=t.get("la"), notebook=t.get("notebook"),
                        title=t.get("title"))
            _write_thumbnail(t)
        t["counts"] = _reproduction_counts(t, wall0)
        t["status"] = "ok"
        t["error"] = ""
    except Exception as err:  # noqa: BLE001 - isolate failures: report, never raise
        t["status"] = "failed"
        t["error"] = error_summary(err)
        if "DeadKernel" in type(err).__name__ or "dead" in str(err).lower():
            shutdown_worker_kernel()
            km = None
    finally:
        if km is not None:
            t["kernel_peak_rss_mb"] = kernel_peak_rss_mb(km)
            if not reuse_kernel:
                stop_kernel(km)
        t["worker_peak_rss_mb"] = self_peak_rss_mb()
    t["ended"] = now()
    t["seconds"] = round(time.perf_counter() - t0, 3)
    return t


def _init_worker() -> None:
    """Set up a worker process: one BLAS thread for it (its kernels get theirs from
    :func:`start_kernel`), so parallel workers do not oversubscribe the cores, and shut the
    warm kernel down when the worker exits."""
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.update(ONE_BLAS_THREAD)
    # numpy (and its BLAS) was loaded when this function was unpickled, before the line above
    # could take effect: limit the thread pools already running, too.
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)
    except Exception:  # noqa: BLE001 - an optional nicety
        pass


def _init_warm_worker() -> None:
    """:func:`_init_worker`, then start this worker's warm kernel and load the HTML exporter at
    once, while the engine is still validating the LAs (started before planning, see
    :func:`run_batch`), instead of when the first task arrives."""
    _init_worker()
    try:
        _kernel(True)
        import nbconvert  # noqa: F401 - the HTML export's import, paid before the first task
    except Exception:  # noqa: BLE001 - the first task starts the kernel again and reports why
        shutdown_worker_kernel()


def default_workers() -> int:
    """The number of cores this process may use (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


# ----------------------------------------------------------------------------- the batch

_RESULT_FIELDS = ("status", "error", "started", "ended", "seconds", "worker", "counts",
                  "kernel_peak_rss_mb", "worker_peak_rss_mb")


@dataclass
class BatchResult:
    """A finished (or interrupted) run: its folder, its tasks and its manifest."""

    run_dir: Path
    tasks: list[Task]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[Task]:
        return [t for t in self.tasks if t.status != "ok"]

    def failure_table(self) -> str:
        rows = [(t.la, t.notebook, t.status, _one_line(t.error)) for t in self.failed]
        if not rows:
            return "all tasks succeeded"
        w = [max(len(r[i]) for r in rows + [("LA", "notebook", "status", "")]) for i in range(3)]
        lines = [f"{'LA':<{w[0]}}  {'notebook':<{w[1]}}  {'status':<{w[2]}}  why"]
        for r in rows:
            lines.append(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")
        return "\n".join(lines)

    def summary_lines(self) -> list[str]:
        """One line per task: LA (when there are several), notebook, seconds, and its counts."""
        from evalkit.report import STATUSES

        several = len({t.slug for t in self.tasks}) > 1
        names = [f"{t.slug}/{t.notebook}" if several else t.notebook for t in self.tasks]
        width = max((len(n) for n in names), default=10)
        lines = []
        for name, t in zip(names, self.tasks, strict=True):
            if t.status != "ok":
                what = f"{t.status.upper()}  {_one_line(t.error)}"
            elif t.counts:
                what = ", ".join(f"{s} {t.counts.get(s, 0)}" for s in STATUSES)
            else:
                what = "ok (no reproduction table)"
            lines.append(f"{name:<{width}}  {t.seconds:6.1f}s  {what}")
        return lines


def _dashboard(run_dir: Path, manifest: dict[str, Any]) -> Path | None:
    """Write the run's ``index.html`` (one row per LA, one column per notebook); never raises."""
    from evalkit.html_report import write_dashboard

    try:
        return write_dashboard(run_dir, manifest)
    except Exception as err:  # noqa: BLE001 - a dashboard problem must not lose the run
        print(f"evalkit: the run's index.html could not be written: {type(err).__name__}: {err}", file=sys.stderr)
        return None


def _one_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text and text.strip() else ""


def _latest_run(base: Path) -> Path | None:
    runs = sorted((p for p in base.iterdir() if (p / MANIFEST).exists()), key=lambda p: p.stat().st_mtime) if base.exists() else []
    return runs[-1] if runs else None


def _open_run(out: Path, run_id: str | None, resume: bool) -> tuple[Path, dict[str, Any], dict[str, dict[str, Any]]]:
    """The run folder, the earlier manifest (when resuming) and its tasks by key."""
    from evalkit.runner import new_run_dir

    out.mkdir(parents=True, exist_ok=True)
    if not resume:
        return new_run_dir(out, run_id), {}, {}
    run_dir = out / run_id if run_id else _latest_run(out)
    if run_dir is None or not (run_dir / MANIFEST).exists():
        raise FileNotFoundError(f"--resume: no earlier run with a {MANIFEST} in {out}")
    manifest = json.loads((run_dir / MANIFEST).read_text())
    return run_dir, manifest, {f"{t['slug']}/{t['notebook']}": t for t in manifest["tasks"]}


def _plan_la(name: str, notebooks: Sequence[str] | None, run_dir: Path, base: Path | None,
             tasks: list[Task], invalid: dict[str, list[str]], hashes: dict[str, dict[str, str]]) -> None:
    """Plan one LA's tasks; any problem with the LA (its params.yaml, its CSVs, even an unreadable
    file) marks that LA's tasks ``invalid`` with a one-line reason and never reaches the caller."""
    try:
        slug = slugify(name) if not Path(name).is_dir() else Path(name).name
    except ValueError:
        slug = re.sub(r"\W+", "_", name) or "unnamed"
    try:
        cfg = load_la(name, base)
        slug = cfg.slug
        nbs = list(notebooks) if notebooks else list(cfg.notebooks) or list(_catalog())
        try:
            nbs = [entry(n).stem for n in nbs]
        except KeyError as err:
            raise ValueError(f"{_show(cfg.folder / 'params.yaml')}: [params] {str(err).strip(chr(34) + chr(39))}") from None
        la_tasks = plan_tasks(cfg, nbs, run_dir)
        by_nb = validate_la(cfg, nbs)
        la_hashes = input_hashes(cfg, nbs)
    except Exception as err:  # noqa: BLE001 - one bad LA never stops the others
        reason = _one_line(err.args[0] if isinstance(err, ValueError | FileNotFoundError) and err.args
                           else f"{type(err).__name__}: {err}")
        invalid[slug] = [reason]
        for stem in notebooks or ["(all)"]:
            tasks.append(Task(name, slug, stem, {}, "", "", status="invalid", error=reason))
        return
    hashes[cfg.slug] = la_hashes
    problems = [p for ps in by_nb.values() for p in ps]
    if problems:
        invalid[cfg.slug] = list(dict.fromkeys(problems))
    for t in la_tasks:
        mine = by_nb.get(t.notebook, [])
        if mine:
            more = f" (+{len(mine) - 3} more; see {cfg.slug}/VALIDATION_FAILED.txt)" if len(mine) > 3 else ""
            t.status, t.error = "invalid", "; ".join(_one_line(m) for m in mine[:3]) + more
    tasks += la_tasks


def run_batch(
    las: Sequence[str] | None = None,
    *,
    all_las: bool = False,
    notebooks: Sequence[str] | None = None,
    workers: int | None = None,
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
    out = resolve(out) if out else RUNS
    run_dir, manifest, previous = _open_run(out, run_id, resume)
    if resume and not las and not all_las:
        las = list(dict.fromkeys(t["slug"] for t in manifest["tasks"]))
    if all_las:
        las = [p.name for p in la_folders(base)]
    if not las:
        raise ValueError("name at least one LA (--la NAME) or use --all")

    # With several local workers and enough work for each, start them (and their kernels) now,
    # so they warm up while this process validates and hashes every LA's inputs.
    workers = workers or default_workers()
    pool = None
    if workers > 1 and not scheduler and reuse_kernel and not resume:
        n = _planned_tasks(las, notebooks, base)
        if n >= 2 * workers:
            pool = _new_pool(workers, warm=True)
    tasks: list[Task] = []
    invalid: dict[str, list[str]] = {}
    hashes: dict[str, dict[str, str]] = {}
    try:
        for name in las:
            _plan_la(name, notebooks, run_dir, base, tasks, invalid, hashes)
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    for slug, problems in invalid.items():
        from evalkit.outputs import atomic_write_text

        atomic_write_text(run_dir / slug / "VALIDATION_FAILED.txt", "\n".join(problems) + "\n")
    command = {"las": list(las), "notebooks": list(notebooks) if notebooks else None}
    return execute_run(run_dir, tasks, command=command, inputs=hashes, validation=invalid, previous=previous,
                       earlier=manifest, workers=workers, scheduler=scheduler, reuse_kernel=reuse_kernel,
                       progress=progress, pool=pool)


def reproduce(
    notebooks: Sequence[str] | None = None,
    *,
    run_id: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    out: Path | None = None,
    progress: bool = True,
) -> BatchResult:
    """Run the shipped studies on the shipped data: what ``make reproduce`` does.

    The same engine as :func:`run_batch` (warm kernels, parallel workers, a
    manifest, ``--resume``), with each notebook's default parameters, so the
    notebooks write their derived tables to ``data/derived/<notebook>/`` and the
    executed notebooks go to a new ``papermill_runs/<run id>/``.

    Parameters
    ----------
    notebooks
        Notebook stems or paths (default: every numbered notebook in ``notebooks/``).
    run_id
        Name of the run folder (with ``resume``: the run to resume; default the latest).
    workers
        Parallel worker processes (default: the usable cores).
    resume
        Rerun only what failed or did not finish in an earlier run.
    scheduler
        Address of a Dask scheduler to run on instead of local workers.
    out
        Folder of runs (default ``papermill_runs/``).
    progress
        Show the progress bar.
    """
    from evalkit.paths import RAW
    from evalkit.runner import list_notebooks

    out = resolve(out) if out else RUNS
    run_dir, manifest, previous = _open_run(out, run_id, resume)
    if resume and not notebooks:
        notebooks = [t["notebook"] for t in manifest["tasks"]]
    nbs = list_notebooks(list(notebooks) if notebooks else None)
    tasks = [
        Task(la="shipped data", slug="shipped", notebook=nb.stem, parameters={},
             output=str(run_dir / nb.name), html="", source=str(nb))
        for nb in nbs
    ]
    raw = [p for p in RAW.rglob("*") if p.is_file() and LAS not in p.parents]
    inputs = {"shipped": {_show(p): sha256(p) for p in sorted({*nbs, *raw})}}
    command = {"reproduce": True, "notebooks": [nb.stem for nb in nbs]}
    return execute_run(run_dir, tasks, command=command, inputs=inputs, validation={}, previous=previous,
                       earlier=manifest, workers=workers, scheduler=scheduler, reuse_kernel=True,
                       progress=progress, longest_first=True)


def _expected_seconds(out: Path) -> dict[str, float]:
    """Each notebook's time in the latest earlier run under ``out`` (to start the longest first)."""
    latest = _latest_run(out)
    if latest is None:
        return {}
    try:
        tasks = json.loads((latest / MANIFEST).read_text())["tasks"]
    except (OSError, ValueError, KeyError):
        return {}
    return {t["notebook"]: float(t.get("seconds") or 0) for t in tasks if t.get("status") == "ok"}


def execute_run(
    run_dir: Path,
    tasks: list[Task],
    *,
    command: dict[str, Any],
    inputs: dict[str, dict[str, str]],
    validation: dict[str, list[str]],
    previous: dict[str, dict[str, Any]],
    earlier: dict[str, Any],
    workers: int | None,
    scheduler: str | None,
    reuse_kernel: bool,
    progress: bool,
    longest_first: bool = False,
    pool=None,
) -> BatchResult:
    """The engine shared by ``evalkit batch`` and ``evalkit reproduce``.

    Keeps what an earlier run (``previous``) finished well, runs the pending
    tasks on local workers or a Dask scheduler, and rewrites ``manifest.json``
    atomically after every task, so an interrupted run can be resumed.
    """
    workers = workers or default_workers()
    for t in tasks:
        old = previous.get(t.key)
        if (old and old.get("status") == "ok" and Path(old["output"]).exists()
                and (not t.html or Path(t.html).exists())):
            for k in _RESULT_FIELDS:
                if k in old:
                    setattr(t, k, old[k])

    manifest = {
        "run_id": run_dir.name,
        "created": earlier.get("created") or now(),
        "resumed": [*earlier.get("resumed", []), now()] if earlier else [],
        "evalkit_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "command": {**command, "workers": workers, "scheduler": scheduler},
        "inputs": inputs,
        "validation": validation,
        "tasks": [asdict(t) for t in tasks],
        "memory": {},
        "started": now(),
        "ended": None,
    }
    atomic_json(run_dir / MANIFEST, manifest)

    todo = [t for t in tasks if t.status == "pending"]
    if longest_first:
        hint = _expected_seconds(run_dir.parent)
        todo.sort(key=lambda t: -hint.get(t.notebook, 0.0))
    by_key = {t.key: t for t in tasks}

    def record(done: dict[str, Any]) -> None:
        t = by_key[f"{done['slug']}/{done['notebook']}"]
        for k in _RESULT_FIELDS:
            if k in done:
                setattr(t, k, done[k])
        manifest["tasks"] = [asdict(x) for x in tasks]
        atomic_json(run_dir / MANIFEST, manifest)

    def finish() -> None:
        manifest["ended"] = now()
        manifest["tasks"] = [asdict(x) for x in tasks]
        manifest["memory"] = memory_summary(tasks)
        atomic_json(run_dir / MANIFEST, manifest)
        _dashboard(run_dir, manifest)

    try:
        _dispatch(todo, record, workers=workers, scheduler=scheduler, reuse_kernel=reuse_kernel,
                  progress=progress, pool=pool)
    except KeyboardInterrupt:
        for t in tasks:
            if t.status == "pending":
                t.status, t.error = "interrupted", "the batch was interrupted before this task finished"
        finish()
        raise
    finish()
    return BatchResult(run_dir, tasks, manifest)


def memory_summary(tasks: Sequence[Task]) -> dict[str, Any]:
    """Peak resident memory (MB) of the engine, of each worker process and of each worker's kernel.

    ``total_peak_mb_upper_bound`` adds the engine's peak to every worker's and
    every kernel's peak, as if all peaked at the same moment: the most the run
    can have held at once.
    """
    workers: dict[str, float] = {}
    kernels: dict[str, float] = {}
    for t in tasks:
        if t.worker and t.worker_peak_rss_mb:
            workers[t.worker] = max(workers.get(t.worker, 0.0), t.worker_peak_rss_mb)
        if t.worker and t.kernel_peak_rss_mb:
            kernels[t.worker] = max(kernels.get(t.worker, 0.0), t.kernel_peak_rss_mb)
    engine = self_peak_rss_mb()
    here = f"{platform.node()}:{os.getpid()}"
    extra = sum(v for k, v in workers.items() if k != here)  # in-process worker = the engine itself
    return {
        "engine_peak_mb": engine,
        "worker_peak_mb": workers,
        "kernel_peak_mb": kernels,
        "total_peak_mb_upper_bound": round(engine + extra + sum(kernels.values()), 1),
    }


def _dead_worker(payload: dict[str, Any], err: BaseException) -> dict[str, Any]:
    """The task record of a task whose worker process died (or whose future failed)."""
    return {**payload, "status": "failed",
            "error": _one_line(f"worker died: {type(err).__name__}: {err}") or f"worker died: {type(err).__name__}",
            "started": payload.get("started") or "", "ended": now(), "seconds": 0.0}


def _new_pool(workers: int, *, warm: bool):
    """A pool of ``workers`` spawned worker processes (one BLAS thread each). ``warm``: start the
    processes now, each starting its kernel at once (:func:`_init_warm_worker`)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               initializer=_init_warm_worker if warm else _init_worker)
    if warm:
        for _ in range(workers):  # a spawn pool starts one process per task submitted
            pool.submit(os.getpid)
    return pool


def _planned_tasks(las: Sequence[str], notebooks: Sequence[str] | None, base: Path | None) -> int:
    """How many tasks the LAs' params.yaml files ask for (before validation); cheap, never raises."""
    n = 0
    for name in las:
        try:
            n += len(notebooks) if notebooks else max(1, len(load_la(name, base).notebooks))
        except Exception:  # noqa: BLE001 - planning reports it
            continue
    return n


def _dispatch(todo: list[Task], record, *, workers: int, scheduler: str | None, reuse_kernel: bool, progress: bool,
              pool=None) -> None:
    from tqdm import tqdm

    if not todo:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    bar = tqdm(total=len(todo), desc="LA x notebook", unit="run", disable=not progress)
    payloads = [asdict(t) for t in todo]

    def done_one(done: dict[str, Any]) -> None:
        record(done)
        bar.set_postfix_str(f"{done['slug']}/{done['notebook']}: {done['status']}")
        bar.update()

    try:
        if scheduler:
            from dask.distributed import Client, as_completed

            with Client(scheduler) as client:
                futures = {
                    client.submit(run_task, p, reuse_kernel, pure=False,
                                  key=f"evalkit-{p['slug']}-{p['notebook']}-{time.time_ns()}"): p
                    for p in payloads
                }
                for fut in as_completed(futures):
                    try:
                        done = fut.result()
                    except Exception as err:  # noqa: BLE001 - the worker died (KilledWorker) or was lost
                        done = _dead_worker(futures[fut], err)
                    done_one(done)
        elif workers <= 1 and pool is None:  # in this process, whose environment is left as it is
            # (its warm kernel stays for a later run in this process: see _kernel)
            for p in payloads:
                done_one(run_task(p, reuse_kernel))
        else:
            from concurrent.futures import as_completed

            with (pool or _new_pool(min(workers, len(payloads)), warm=False)) as pool:
                futs = {pool.submit(run_task, p, reuse_kernel): p for p in payloads}
                try:
                    for fut in as_completed(futs):
                        try:
                            done = fut.result()
                        except Exception as err:  # noqa: BLE001 - a worker process died
                            done = _dead_worker(futs[fut], err)
                        done_one(done)
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
    return report(result, f"evalkit batch --resume --run-id {result.run_dir.name}")


def report(result: BatchResult, rerun: str) -> int:
    """Print a run's summary (one line per task, memory, failures); 0 if every task succeeded."""
    ok = sum(t.status == "ok" for t in result.tasks)
    print(f"\nrun folder: {_show(result.run_dir)}  ({ok}/{len(result.tasks)} ok)")
    if (result.run_dir / "index.html").exists():
        print(f"dashboard:  {_show(result.run_dir / 'index.html')}")
    invalid = sorted({t.slug for t in result.tasks if t.status == "invalid"})
    for slug in invalid:
        where = result.run_dir / slug / "VALIDATION_FAILED.txt"
        extra = f"; every problem is listed in {_show(where)}" if where.exists() else ""
        print(f"{slug}: failed validation, its notebooks did not run{extra}")
    for line in result.summary_lines():
        print(line)
    mem = result.manifest.get("memory") or {}
    if mem.get("kernel_peak_mb"):
        kernels = mem.get("kernel_peak_mb") or {}
        print(f"peak memory: engine {mem['engine_peak_mb']:.0f} MB, kernels "
              f"{', '.join(f'{v:.0f}' for v in kernels.values()) or '-'} MB; "
              f"at most {mem['total_peak_mb_upper_bound']:.0f} MB in all")
    if result.failed:
        print(f"\n{len(result.failed)} of {len(result.tasks)} task(s) did not succeed:")
        print(result.failure_table())
        print(f"\nRerun what failed with: {rerun}")
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
    b.add_argument("--workers", type=int, default=None, help="parallel worker processes (default: usable cores)")
    b.add_argument("--resume", action="store_true", help="rerun only what failed or did not finish in a run")
    b.add_argument("--run-id", help="name of the run folder (with --resume: the run to resume; default latest)")
    b.add_argument("--out", help="folder for runs (default papermill_runs/)")
    b.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed scheduler at ADDRESS")
    b.add_argument("--fresh-kernels", action="store_true", help="start a new kernel for every notebook")
    b.set_defaults(func=_cmd_batch)
