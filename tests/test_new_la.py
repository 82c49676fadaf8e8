"""A new LA never meets a raw Python exception.

``evalkit new-la`` writes templates holding one example row each. An evaluator
fills them row by row, so every notebook must either run or stop at its load
step with a validation message naming the file, the missing item and what to
add: never a bare ``KeyError``, ``IndexError``, ``TypeError`` or
``AttributeError``.

The many row-removal cases drive the notebooks' load step directly (the
``schemas.load_table`` calls of each notebook's first cell, which check the
cross-row requirements declared in ``TableSpec.requires``); a small
representative set runs the real notebooks with papermill.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from evalkit import batch, params_schema, schemas
from evalkit.catalog import CATALOG, entry
from evalkit.errors import InputDataError
from evalkit.schemas import MinGroupSize, Ordered, RequiredValues

RAW_EXCEPTIONS = ("Traceback", "KeyError", "IndexError", "TypeError", "AttributeError", "NameError",
                  "ValueError:", "PermissionError", "FileNotFoundError")


@pytest.fixture(scope="module")
def las(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("las")
    batch.new_la("Bartown", base=base)
    batch.new_la("Synthtown", base=base, synthetic=True, seed=3)
    return base


def _notebooks(folder: Path) -> list[str]:
    return list(batch.load_la(str(folder)).notebooks)


def blocking(folder: Path, stem: str) -> list[str]:
    """What validation reports against one notebook of an LA folder (as `evalkit validate` does)."""
    e = entry(stem)
    yml = folder / "params.yaml"
    problems = [p for p in params_schema.validate_params(yml) + params_schema.missing_tables(yml)
                + params_schema.data_problems(yml)]
    _, found = schemas.validate_folder(folder, strict=False, only=e.tables)
    problems += [str(p) for p in found if Path(p.file).stem in e.tables]
    def mine(p: str) -> bool:
        file = p.split(": ", 1)[0]
        return stem in p or Path(file).name in {f"{t}.csv" for t in e.tables} or file.endswith("params.yaml")

    return [p for p in problems if mine(p)]


def load_step(folder: Path, stem: str) -> None:
    """What the notebook's first cell does with the LA folder: read every table it uses through its schema."""
    from evalkit import surveys

    e = entry(stem)
    if stem == "09_survey_baselines":
        surveys.responses_or_synthetic(folder, la_name="x")
        return
    for t in e.required:
        schemas.load_table(folder, t)
    for t in e.optional:
        schemas.load_optional(folder, t)


def _clean(msg: str) -> None:
    assert not any(x in msg for x in RAW_EXCEPTIONS), msg
    assert all(line.count("[") >= 1 for line in msg.splitlines()), f"every line names its rule: {msg!r}"


# ----------------------------------------------------------------------------- the complete synthetic folder


def test_synthetic_folder_is_valid_for_every_notebook(las):
    folder = las / "synthtown"
    for stem in _notebooks(folder):
        assert blocking(folder, stem) == [], stem
        load_step(folder, stem)


# ----------------------------------------------------------------------------- the bare templates


@pytest.mark.parametrize("stem", [s for s in CATALOG if s != "07_matching_la_level"])
def test_bare_templates_give_validation_messages(las, stem):
    folder = las / "bartown"
    if stem not in _notebooks(folder):
        pytest.skip(f"{stem} is not scaffolded for an LA the DfE panel does not know")
    problems = blocking(folder, stem)
    for p in problems:
        _clean(p)
        assert str(folder) in p or "bartown" in p, p
    try:
        load_step(folder, stem)
    except InputDataError as err:
        _clean(str(err))
        assert "bartown/" in str(err)
        assert problems, f"{stem}: the load step failed but validation said nothing: {err}"


def test_bare_templates_list_every_required_item(las):
    """The templates hold a row for every item a notebook needs, so a user fills values, not keys."""
    folder = las / "bartown"
    for stem in ("01_gloucestershire_yst", "02_sefton_cas", "03_gloucestershire_iis"):
        assert blocking(folder, stem) == [], stem
        load_step(folder, stem)
    units = pd.read_csv(folder / "unit_costs.csv")
    assert set(units["cost_item"]) == {"cin_plan_support", "cp_plan_setup", "cp_plan_support"}
    msgs = blocking(folder, "08_matching_child_level")
    assert any("child_records.csv" in m and "[no-rows]" in m for m in msgs), msgs
    msgs = blocking(folder, "06_its_adolescent_entries")
    assert any("la_timeseries.csv" in m and "[la-name-mismatch]" in m for m in msgs), msgs


def test_a_removed_item_names_the_file_and_what_to_add(las, tmp_path):
    folder = tmp_path / "la"
    shutil.copytree(las / "bartown", folder)
    units = pd.read_csv(folder / "unit_costs.csv", dtype=str, keep_default_na=False)
    units[units["cost_item"] != "cp_plan_support"].to_csv(folder / "unit_costs.csv", index=False)
    msgs = blocking(folder, "01_gloucestershire_yst")
    assert any("unit_costs.csv" in m and "'cp_plan_support'" in m and "add a row with cost_item=cp_plan_support" in m
               for m in msgs), msgs


# ----------------------------------------------------------------------------- one row or table removed


def _requirement_cases() -> list[tuple[str, str, object]]:
    """(notebook, table, requirement) for every cross-row requirement of a scaffolded table."""
    cases = []
    for stem, e in CATALOG.items():
        for t in e.scaffold_tables:
            for req in schemas.get_spec(t).requires:
                cases.append((stem, t, req))
    return cases


CASES = _requirement_cases()


def test_requirements_cover_the_items_the_notebooks_read():
    kinds = {(t, type(r).__name__) for _, t, r in CASES}
    for need in [("unit_costs", "RequiredValues"), ("sefton_cba_sample", "RequiredValues"),
                 ("sefton_cba_windows", "RequiredValues"), ("sefton_cba_windows", "Ordered"),
                 ("glos_iis_finance", "RequiredValues"), ("child_records", "MinGroupSize"),
                 ("la_timeseries", "NotGreater")]:
        assert need in kinds, need


def _break(df: pd.DataFrame, req) -> list[pd.DataFrame]:
    """Copies of ``df`` that break ``req`` in every way one removal (or one swap) can."""
    out = []
    if isinstance(req, RequiredValues):
        for v in req.values:
            out.append(df[df[req.column].astype(str) != str(v)])
    elif isinstance(req, MinGroupSize):
        for g in req.groups:
            keep = df[df[req.column].astype(str) == str(g)].index[: req.n - 1]
            out.append(df[(df[req.column].astype(str) != str(g)) | df.index.isin(keep)])
    elif isinstance(req, Ordered):
        d = df.copy()
        d.loc[d.index[0], [req.start, req.end]] = [d.loc[d.index[0], req.end], d.loc[d.index[0], req.start]]
        if d.loc[d.index[0], req.start] != d.loc[d.index[0], req.end]:
            out.append(d)
    return out


@pytest.mark.parametrize("stem, table, req", CASES, ids=[f"{t}-{type(r).__name__}" for _, t, r in CASES])
def test_one_required_row_removed(las, tmp_path, stem, table, req):
    src = las / "synthtown"
    variants = _break(pd.read_csv(src / f"{table}.csv", dtype=str, keep_default_na=False), req)
    if not variants:
        pytest.skip(f"{type(req).__name__} cannot be broken by removing a row")
    for i, df in enumerate(variants):
        folder = tmp_path / f"v{i}"
        shutil.copytree(src, folder)
        df.to_csv(folder / f"{table}.csv", index=False, lineterminator="\n")
        msgs = blocking(folder, stem)
        assert any(f"{table}.csv" in m for m in msgs), (table, msgs)
        for m in msgs:
            _clean(m)
        with pytest.raises(InputDataError, match=rf"{table}\.csv.*\[") as err:
            load_step(folder, stem)
        _clean(str(err.value))


@pytest.mark.parametrize("stem", [s for s, e in CATALOG.items() if e.required or s == "09_survey_baselines"])
def test_one_required_table_removed(las, tmp_path, stem):
    e = entry(stem)
    tables = e.required or ("survey_responses_wide",)
    for t in tables:
        folder = tmp_path / t
        shutil.copytree(las / "synthtown", folder)
        if stem not in _notebooks(folder):
            pytest.skip(f"{stem} is not in the scaffold")
        (folder / f"{t}.csv").unlink()
        if e.required:
            assert any(f"{t}.csv" in m and "[file-missing]" in m for m in blocking(folder, stem))
        with pytest.raises(InputDataError, match=r"\[file-missing\]") as err:
            load_step(folder, stem)
        _clean(str(err.value))


# ----------------------------------------------------------------------------- real notebooks (a few)


def _run(folder: Path, stem: str, tmp_path: Path, run_notebook) -> str | None:
    """Run one notebook as `evalkit batch` would (a warm kernel, reset between notebooks); the
    one-line error, or None if it ran."""
    from evalkit.paths import NOTEBOOKS
    from evalkit.runner import error_summary

    cfg = batch.load_la(str(folder))
    (task,) = batch.plan_tasks(cfg, [stem], tmp_path / "run")
    try:
        run_notebook(NOTEBOOKS / f"{stem}.ipynb", Path(task.output), task.parameters)
    except Exception as err:  # noqa: BLE001 - the error is what is tested
        return error_summary(err)
    return None


@pytest.mark.parametrize("case", ["bare-01", "no-cp-01", "no-after-02", "no-survey-09"])
def test_notebook_runs_or_stops_with_a_validation_message(las, tmp_path, case, run_notebook):
    kind, stem = case.rsplit("-", 1)
    stem = next(s for s in CATALOG if s.startswith(stem))
    folder = tmp_path / "la"
    shutil.copytree(las / ("bartown" if kind in {"bare", "no-cp"} else "synthtown"), folder)
    file = None
    if kind == "no-cp":
        file = "unit_costs.csv"
        u = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        u[u["cost_item"] != "cp_plan_support"].to_csv(folder / file, index=False)
    elif kind == "no-after":
        file = "sefton_cba_windows.csv"
        w = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        w[w["window"] != "after"].to_csv(folder / file, index=False)
    elif kind == "no-survey":
        file = "survey_responses_wide.csv"  # named in the message: no survey file in the folder
        (folder / file).unlink()
    err = _run(folder, stem, tmp_path, run_notebook)
    if file is None:
        assert err is None, f"{case}: the notebook failed on the bare templates: {err}"
        return
    assert err is not None, f"{case}: the notebook ran on incomplete data"
    assert err.startswith("InputError: ") or err.startswith("InputDataError: "), err
    assert file in err, err
    _clean(err.split(": ", 1)[1])
    assert "synthetic" not in err.lower()
