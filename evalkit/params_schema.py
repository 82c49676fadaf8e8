"""The schema of an LA's ``params.yaml``, and the rule for LA names.

``params.yaml`` is small, but a wrong type in it used to reach a notebook as a
Python error (``comparators: 1`` gave ``'int' object is not iterable``), and a
quoted ``'false'`` was truthy. :func:`validate_params` checks the file before
anything runs and returns one line per problem, each naming the file and the
key::

    data/raw/las/newtown/params.yaml: notebooks.06_its_adolescent_entries.comparators: [params-type] 1 is a whole number; expected text or a list (default 'auto')

What is checked
---------------
* the file is UTF-8 YAML holding a mapping with only the keys ``la_name`` and
  ``notebooks`` (unknown keys are errors: a typo must not be ignored);
* ``la_name`` passes :func:`check_la_name`;
* ``notebooks`` maps notebook names from :data:`evalkit.catalog.CATALOG` to
  mappings of that notebook's parameters; a parameter must exist in the
  notebook's ``parameters`` cell, and its value must have the type of the
  default there (a whole number where a decimal is expected is fine; a
  parameter whose default is ``None`` takes any plain value);
* booleans: ``true``/``false`` are expected. The quoted words ``'true'``,
  ``'false'``, ``'yes'``, ``'no'``, ``'1'``, ``'0'`` are **accepted on
  purpose** (the notebooks parse them with :func:`evalkit.disclosure.as_bool`);
  any other text is an error;
* ``la_name`` and ``out_dir`` are set by ``evalkit batch`` and may not be set
  per notebook;
* parameters naming a folder or file (``*_dir``, ``*_file``, ``quality_ratings``)
  must stay inside the repository or ``../shared`` (``{la_dir}`` stands for the
  LA's own folder and must not be left with ``..``).
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError

#: Top-level keys of ``params.yaml``.
TOP_KEYS = ("la_name", "notebooks")
#: Parameters ``evalkit batch`` sets itself.
RESERVED = ("la_name", "out_dir")
#: Parameters holding paths (besides names ending in ``_dir`` or ``_file``).
PATH_PARAMS = {"quality_ratings"}
#: Parameters whose default has one type but which also take another (documented in the notebook).
ALSO = {("06_its_adolescent_entries", "comparators"): (list,)}

#: (notebook, parameter) pairs whose comment in the parameters cell says ``None`` is allowed.
NULLABLE: set[tuple[str, str]] = set()

#: Characters refused in an LA name: path separators, control characters and shell metacharacters.
_BAD_NAME = re.compile(r"[/\\;&|$<>`*?!\"{}\[\]#~=%^\x00-\x1f\x7f]")
MAX_NAME = 80


def check_la_name(name: Any) -> str | None:
    """Why ``name`` cannot be an LA name, or ``None`` if it can.

    An LA name becomes a folder name (``data/raw/las/<slug>``) and appears in
    reports, so it may hold letters, digits, spaces and ``- . , ' ( )`` only:
    no path separators (``/``, ``\\``), no shell metacharacters
    (``; & | $ < > ` * ? ! " { } [ ] # ~ = % ^``), no control characters, and
    at most :data:`MAX_NAME` characters, beginning with a letter or digit.
    """
    if not isinstance(name, str):
        return f"the LA name must be text, not {_kind(name)} ({name!r})"
    s = name.strip()
    if not s:
        return "the LA name is empty"
    if len(s) > MAX_NAME:
        return f"the LA name has {len(s)} characters; at most {MAX_NAME}"
    bad = sorted(set(_BAD_NAME.findall(s)))
    if bad:
        shown = " ".join(repr(c) for c in bad)
        return (f"the LA name {s!r} holds {shown}; use letters, digits, spaces and - . , ' ( ) only "
                "(the name becomes a folder name)")
    if not s[0].isalnum():
        return f"the LA name {s!r} must begin with a letter or a digit"
    if not re.sub(r"[^a-z0-9]+", "", s.lower()):
        return f"the LA name {s!r} has no letters or digits to make a folder name from"
    return None


def require_la_name(name: Any) -> str:
    """Return ``name`` stripped, or raise :class:`~evalkit.errors.ConfigError` saying why it is refused."""
    why = check_la_name(name)
    if why:
        raise ConfigError(why)
    return str(name).strip()


# ----------------------------------------------------------------------------- notebook parameters


@cache
def notebook_parameters(stem: str) -> dict[str, Any]:
    """Defaults of a notebook's ``parameters`` cell (name -> literal default; ``...`` if not a literal)."""
    from evalkit.paths import NOTEBOOKS

    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"])
            lines = source.splitlines()
            tree = ast.parse(source)
            out: dict[str, Any] = {}
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    name = node.targets[0].id
                    try:
                        out[name] = ast.literal_eval(node.value)
                    except ValueError:
                        out[name] = ...
                    # "None to skip" in the line's comment: the parameter also takes an empty value.
                    if "None" in lines[node.lineno - 1].partition("#")[2]:
                        NULLABLE.add((stem, name))
            return out
    return {}


def _kind(v: Any) -> str:
    if v is None:
        return "empty"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int):
        return "a whole number"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "text"
    if isinstance(v, list | tuple):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


_BOOL_WORDS = {"true", "false", "yes", "no", "1", "0"}


def _type_problem(stem: str, key: str, value: Any, default: Any) -> str | None:
    """Why ``value`` does not fit a parameter whose default is ``default`` (``None`` if it fits)."""
    if default is ... or default is None:
        if isinstance(value, dict):
            return f"{value!r} is a mapping; expected a plain value or a list"
        return None
    if value is None:
        if (stem, key) in NULLABLE:
            return None
        return f"is empty; expected {_kind(default)} (default {default!r})"
    also = ALSO.get((stem, key), ())
    if isinstance(value, also):
        return None
    if isinstance(default, bool):
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
            return None  # accepted on purpose; the notebook parses it with disclosure.as_bool
        return f"{value!r} is {_kind(value)}; expected true or false (default {default!r})"
    if isinstance(value, bool):
        return f"{value!r} is true/false; expected {_kind(default)} (default {default!r})"
    if isinstance(default, int) and isinstance(value, int):
        return None
    if isinstance(default, int) and isinstance(value, float):
        if value.is_integer():
            return None
        return f"{value!r} is a number with decimals; expected a whole number (default {default!r})"
    if isinstance(default, float) and isinstance(value, int | float):
        return None
    if isinstance(default, str) and isinstance(value, str):
        return None
    if isinstance(default, list | tuple) and isinstance(value, list | tuple):
        if len(default) and len(value) != len(default) and isinstance(default, tuple):
            return f"{value!r} has {len(value)} values; expected {len(default)} (default {list(default)!r})"
        return None
    want = _kind(default) + (" or a list" if list in also else "")
    return f"{value!r} is {_kind(value)}; expected {want} (default {default!r})"


def _is_path_param(key: str) -> bool:
    return key.endswith("_dir") or key.endswith("_file") or key in PATH_PARAMS


def _path_problem(value: Any, la_folder: Path) -> str | None:
    """Why a folder/file parameter points somewhere it must not (``None`` if it is fine)."""
    from evalkit.paths import ROOT, shared_dir

    if value is None:
        return None
    if not isinstance(value, str):
        return f"{value!r} is {_kind(value)}; expected a path as text"
    text = value.strip()
    if text.startswith("{la_dir}"):
        rest = text[len("{la_dir}"):].lstrip("/")
        target = (la_folder / rest).resolve() if rest else la_folder.resolve()
        try:
            target.relative_to(la_folder.resolve())
        except ValueError:
            return f"{text!r} leaves the LA folder"
        return None
    p = Path(text).expanduser()
    target = (p if p.is_absolute() else ROOT / p).resolve()
    for allowed in (ROOT.resolve(), shared_dir()):
        try:
            target.relative_to(allowed)
            return None
        except ValueError:
            continue
    return (f"{text!r} resolves to {target}, outside the repository and ../shared; "
            "inputs must live in data/raw (or ../shared/external)")


# ----------------------------------------------------------------------------- the file


def _show(path: Path) -> str:
    from evalkit.paths import ROOT

    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def read_params(path: str | Path) -> tuple[dict[str, Any] | None, list[str]]:
    """Parse ``params.yaml``: (mapping or ``None``, problems reading it)."""
    import yaml

    path = Path(path)
    shown = _show(path)
    if path.is_dir():
        return None, [f"{shown}: [params] is a folder, not a file"]
    if not path.is_file():
        return None, [f"{shown}: [params] the file does not exist; `evalkit new-la NAME` writes one"]
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, [f"{shown}: [params] cannot be read ({err.strerror or err})"]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return None, [f"{shown}: [params-encoding] not valid UTF-8 (byte 0x{raw[err.start]:02x}); save it as UTF-8"]
    try:
        cfg = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or type(err).__name__
        return None, [f"{shown}: [params] not valid YAML{where}: {problem}"]
    if cfg is None:
        return None, [f"{shown}: [params] the file is empty; it needs la_name and notebooks"]
    if not isinstance(cfg, dict):
        return None, [f"{shown}: [params] must be a mapping with la_name and notebooks, not {_kind(cfg)}"]
    return cfg, []


def series_names_la(folder: Path, la_name: str, params: Any) -> list[str]:
    """The LA's own time series must have rows for the LA itself (by the name in params.yaml)."""
    import csv

    if isinstance(params, dict) and params.get("data_dir"):
        return []
    f = folder / "la_timeseries.csv"
    if not f.is_file():
        return []
    try:
        with f.open(encoding="utf-8-sig", newline="") as fh:
            names = {(r.get("la_name") or "").strip() for r in csv.DictReader(fh)}
    except (OSError, UnicodeDecodeError, csv.Error):
        return []  # the table's own validation reports it

    def norm(x: str) -> str:
        return re.sub(r"[^a-z0-9]+", " ", x.lower()).strip()

    if norm(la_name) in {norm(n) for n in names}:
        return []
    shown = ", ".join(repr(n) for n in sorted(names) if n)[:120] or "none"
    return [f"{_show(f)}: column 'la_name': [la-name-mismatch] no row is for {la_name!r}, the la_name in "
            f"params.yaml (rows name {shown}); the time-series notebook analyses the LA by that name"]


def data_problems(path: str | Path) -> list[str]:
    """Problems between ``params.yaml`` and the LA's data that hold back one notebook only.

    Today: the LA's own time series (notebook 06) must have rows for the ``la_name`` given in
    ``params.yaml``. These are not problems of the file itself, so :func:`validate_params`
    leaves them out and the batch holds back only the notebook concerned.
    """
    path = Path(path)
    cfg, _ = read_params(path)
    if not isinstance(cfg, dict) or not isinstance(cfg.get("la_name"), str):
        return []
    nbs = cfg.get("notebooks")
    if isinstance(nbs, dict) and "06_its_adolescent_entries" in nbs:
        return series_names_la(path.parent, cfg["la_name"], nbs["06_its_adolescent_entries"])
    return []


def validate_params(path: str | Path) -> list[str]:
    """Problems with an LA's ``params.yaml``, one line each naming the file and the key.

    An empty list means the file may be used. See the module docstring for the rules.
    """
    from evalkit.catalog import CATALOG

    path = Path(path)
    shown = _show(path)
    cfg, problems = read_params(path)
    if cfg is None:
        return problems
    for key in cfg:
        if key not in TOP_KEYS:
            problems.append(f"{shown}: {key}: [params-unknown-key] unknown key; params.yaml takes "
                            f"{' and '.join(TOP_KEYS)} only")
    if "la_name" in cfg:
        why = check_la_name(cfg["la_name"])
        if why:
            problems.append(f"{shown}: la_name: [params-la-name] {why}")
    nbs = cfg.get("notebooks")
    if nbs is None:
        return problems
    if not isinstance(nbs, dict):
        problems.append(f"{shown}: notebooks: [params-type] must map notebook names to their parameters, "
                        f"not {_kind(nbs)}")
        return problems
    for stem, params in nbs.items():
        where = f"{shown}: notebooks.{stem}"
        if str(stem) not in CATALOG:
            problems.append(f"{where}: [params-unknown-notebook] no such notebook; have: {', '.join(CATALOG)}")
            continue
        if params is None:
            continue
        if not isinstance(params, dict):
            problems.append(f"{where}: [params-type] must be a mapping of parameters (or {{}}), not {_kind(params)}")
            continue
        try:
            defaults = notebook_parameters(str(stem))
        except (OSError, ValueError, SyntaxError):
            problems.append(f"{where}: [params] the notebook's parameters cannot be read")
            continue
        for key, value in params.items():
            kwhere = f"{where}.{key}"
            if key in RESERVED:
                problems.append(f"{kwhere}: [params-reserved] set by evalkit batch; "
                                + ("give la_name at the top of the file" if key == "la_name" else "remove it"))
                continue
            if key not in defaults:
                problems.append(f"{kwhere}: [params-unknown-key] {stem} has no parameter {key!r}; "
                                f"it takes: {', '.join(k for k in defaults if k not in RESERVED)}")
                continue
            why = _type_problem(str(stem), key, value, defaults[key])
            if why:
                problems.append(f"{kwhere}: [params-type] {why}")
                continue
            if _is_path_param(key):
                why = _path_problem(value, path.parent)
                if why:
                    problems.append(f"{kwhere}: [params-path] {why}")
    return problems


def missing_tables(path: str | Path) -> list[str]:
    """Tables that the notebooks named in ``params.yaml`` require and the LA folder lacks.

    One line each, naming the file and the notebook. A notebook whose ``data_dir``
    points elsewhere, or a ``params.yaml`` that cannot be read, gives nothing here
    (:func:`validate_params` reports the latter).
    """
    from evalkit.catalog import CATALOG

    path = Path(path)
    cfg, problems = read_params(path)
    if cfg is None or problems or not isinstance(cfg.get("notebooks"), dict):
        return []
    out = []
    for stem, params in cfg["notebooks"].items():
        e = CATALOG.get(str(stem))
        if e is None or (isinstance(params, dict) and e.data_param and params.get(e.data_param)):
            continue
        for t in e.required:
            f = path.parent / f"{t}.csv"
            if not f.exists() and not f.is_symlink():
                out.append(f"{_show(f)}: [file-missing] required by {e.stem}; "
                           f"`evalkit template {t}` prints a template")
    return out
