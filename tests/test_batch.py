"""evalkit new-la and evalkit batch: scaffold, validation first, isolation, resume, disclosure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evalkit import batch, disclosure, schemas, templates
from evalkit.catalog import CATALOG

NB = "01_gloucestershire_yst"


def test_every_template_example_row_is_valid(tmp_path):
    """What new-la writes must pass `evalkit validate` before anyone edits it."""
    for e in CATALOG.values():
        for t in e.tables:
            path = tmp_path / f"{t}.csv"
            path.write_text(templates.template_csv(t), encoding="utf-8")
            try:
                schemas.read_table(path)
            except schemas.InputError as err:
                # a table that needs several rows (e.g. both groups of a comparison) cannot be
                # valid with one example row; anything else is a broken template
                rules = {p.rule for p in err.problems}
                assert rules <= {"no-rows"} and schemas.get_spec(t).min_rows > 1, str(err)


def test_new_la_scaffold_and_refusal(tmp_path):
    folder = batch.new_la("Newtown-on-Sea", base=tmp_path, notebooks=[NB])
    assert folder.name == "newtown_on_sea"
    names = {p.name for p in folder.iterdir()}
    assert {"README.md", "params.yaml", "yst_case_costs.csv", "unit_costs.csv"} <= names
    params = yaml.safe_load((folder / "params.yaml").read_text())
    assert params["la_name"] == "Newtown-on-Sea" and NB in params["notebooks"]
    readme = (folder / "README.md").read_text()
    assert "| `yst_hours` | float64 | yes | hours | >= 0 |" in readme
    before = (folder / "yst_case_costs.csv").read_bytes()
    with pytest.raises(FileExistsError):
        batch.new_la("Newtown-on-Sea", base=tmp_path)
    assert (folder / "yst_case_costs.csv").read_bytes() == before


def test_validate_la_reports_missing_required_and_bad_values(tmp_path):
    folder = batch.new_la("Oldtown", base=tmp_path, notebooks=[NB])
    (folder / "unit_costs.csv").unlink()
    (folder / "yst_case_costs.csv").write_text(
        "case_id,yst_hours,yst_cost_gbp,potential_saving,saving_basis\n1,-3,10,x,none\n", encoding="utf-8"
    )
    problems = batch.validate_la(batch.load_la("Oldtown", tmp_path), [NB])[NB]
    assert any("unit_costs.csv: [file-missing] required by" in p for p in problems)
    assert any("yst_case_costs.csv: row 2: column 'yst_hours'" in p for p in problems)


@pytest.mark.slow
def test_batch_isolates_failures_resumes_and_writes_safe_outputs(tmp_path, monkeypatch):
    base, out = tmp_path / "las", tmp_path / "runs"
    batch.new_la("Goodtown", base=base, notebooks=[NB], synthetic=True, seed=1)
    batch.new_la("Goodville", base=base, notebooks=[NB], synthetic=True, seed=2)
    bad = batch.new_la("Badtown", base=base, notebooks=[NB], synthetic=True, seed=3)
    good_costs = (bad / "yst_case_costs.csv").read_text()
    (bad / "yst_case_costs.csv").write_text(good_costs.replace("\n1,", "\n1,=SUM(A1),", 1).replace(",=SUM(A1),", ",=SUM(A1):", 1))
    # a notebook parameter block given as `: 1` (was: TypeError, whole batch aborted)
    wrong = batch.new_la("Wrongtype", base=base, notebooks=[NB], synthetic=True, seed=4)
    (wrong / "params.yaml").write_text(f"la_name: Wrongtype\nnotebooks:\n  {NB}: 1\n")
    # a CSV the batch cannot read (was: PermissionError, whole batch aborted); as root no chmod
    # stops a read, so the read itself is made to fail
    locked = batch.new_la("Lockedtown", base=base, notebooks=[NB], synthetic=True, seed=5)
    real_validate = schemas.validate_folder

    def unreadable(folder, **kw):
        if Path(folder) == locked:
            raise PermissionError(13, "Permission denied", str(locked / "yst_case_costs.csv"))
        return real_validate(folder, **kw)

    monkeypatch.setattr(schemas, "validate_folder", unreadable)
    raw_before = {p: p.read_bytes() for p in base.rglob("*") if p.is_file()}

    result = batch.run_batch(["Goodtown", "Goodville", "Badtown", "Nowhere", "Wrongtype", "Lockedtown"],
                             base=base, out=out, workers=2, progress=False)
    status = {t.slug: t.status for t in result.tasks}
    assert status == {"goodtown": "ok", "goodville": "ok", "badtown": "invalid", "nowhere": "invalid",
                      "wrongtype": "invalid", "lockedtown": "invalid"}
    why = {t.slug: t.error for t in result.tasks}
    assert "params.yaml" in why["wrongtype"] and f"notebooks.{NB}" in why["wrongtype"] and "int" in why["wrongtype"]
    assert "PermissionError" in why["lockedtown"] and "yst_case_costs.csv" in why["lockedtown"]
    assert all(len(e.splitlines()) == 1 for slug, e in why.items() if status[slug] != "ok")
    table = result.failure_table()
    assert "Badtown" in table and "yst_case_costs.csv" in table and "Nowhere" in table
    assert "Wrongtype" in table and "Lockedtown" in table
    run = result.run_dir
    for slug in ("goodtown", "goodville"):
        assert (run / slug / f"{NB}.ipynb").exists() and (run / slug / f"{NB}.html").exists()
        assert (run / slug / "derived" / NB / "reproduction.csv").exists()
    html = (run / "goodtown" / f"{NB}.html").read_text()
    assert "rep.check(" not in html  # code hidden
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["evalkit_version"] and manifest["ended"]
    # memory: every task that ran records its kernel's and worker's peak; the run records the engine's
    ran = [t for t in manifest["tasks"] if t["status"] == "ok"]
    assert all(t["kernel_peak_rss_mb"] > 50 and t["worker_peak_rss_mb"] > 10 for t in ran)
    mem = manifest["memory"]
    assert mem["engine_peak_mb"] > 10 and len(mem["kernel_peak_mb"]) >= 1
    assert mem["total_peak_mb_upper_bound"] >= mem["engine_peak_mb"] + max(mem["kernel_peak_mb"].values())
    assert any(k.endswith("yst_case_costs.csv") for k in manifest["inputs"]["goodtown"])
    assert {t["status"] for t in manifest["tasks"]} == {"ok", "invalid"}
    assert not list(run.rglob("*.partial*"))
    # raw data untouched
    assert {p: p.read_bytes() for p in base.rglob("*") if p.is_file()} == raw_before
    # disclosure: nothing written carries an identifier column or an unsuppressed small count
    problems = [p for f in run.rglob("*") if f.suffix in {".csv", ".html"} for p in disclosure.scan_file(f)]
    assert problems == []

    # fix the broken LA; --resume reruns only it
    (bad / "yst_case_costs.csv").write_text(good_costs)
    again = batch.run_batch(base=base, out=out, resume=True, run_id=run.name, workers=1, progress=False,
                            las=["Goodtown", "Goodville", "Badtown"])
    by = {t.slug: t for t in again.tasks}
    assert by["badtown"].status == "ok"
    assert by["goodtown"].started == status_started(manifest, "goodtown")  # not rerun
    assert again.run_dir == run


def status_started(manifest: dict, slug: str) -> str:
    return next(t["started"] for t in manifest["tasks"] if t["slug"] == slug)


@pytest.mark.slow
def test_notebook_error_is_reported_not_raised(tmp_path):
    base, out = tmp_path / "las", tmp_path / "runs"
    folder = batch.new_la("Crashtown", base=base, notebooks=[NB], synthetic=True)
    # valid per the params schema (a CSV inside the repository), but not a ratings table: the
    # notebook itself raises, and the batch records that as this task's failure
    cfg = yaml.safe_load((folder / "params.yaml").read_text())
    cfg["notebooks"][NB]["ratings_file"] = "data/raw/000_gloucestershire_yst/unit_costs.csv"
    (folder / "params.yaml").write_text(yaml.safe_dump(cfg))
    result = batch.run_batch(["Crashtown"], base=base, out=out, workers=1, progress=False)
    t = result.tasks[0]
    assert t.status == "failed" and "unit_costs.csv" in t.error and "Traceback" not in t.error
    assert (result.run_dir / "crashtown" / f"{NB}.ipynb.failed").exists()
    assert not (result.run_dir / "crashtown" / f"{NB}.ipynb").exists()


def test_cli_batch_reports_every_bad_la_then_exits_1(tmp_path, monkeypatch, capsys):
    from evalkit.cli import main

    base = tmp_path / "las"
    monkeypatch.setattr(batch, "LAS", base)
    wrong = batch.new_la("Wrongtype", base=base, notebooks=[NB])
    (wrong / "params.yaml").write_text(f"la_name: Wrongtype\nnotebooks:\n  {NB}: 1\n")
    code = main(["batch", "--la", "Nowhere", "--la", "Wrongtype", "--out", str(tmp_path / "runs")])
    printed = capsys.readouterr()
    assert code == 1, printed.err
    assert "Traceback" not in printed.out + printed.err and "error:" not in printed.err
    assert "nowhere/(all)" in printed.out and "wrongtype/(all)" in printed.out
    assert f"notebooks.{NB}: must be a mapping" in printed.out
    (run,) = (tmp_path / "runs").iterdir()
    statuses = [t["status"] for t in json.loads((run / "manifest.json").read_text())["tasks"]]
    assert statuses == ["invalid", "invalid"]


def test_params_problems_name_the_file_and_key(tmp_path):
    cfg = tmp_path / "params.yaml"
    problems = batch.params_problems(cfg, {"la_name": 3, "notebooks": {NB: 1, "06_its_adolescent_entries": {2: "x"}}})
    assert len(problems) == 3 and all("params.yaml: [params]" in p for p in problems)
    assert "la_name: must be text" in problems[0]
    assert f"notebooks.{NB}: must be a mapping" in problems[1]
    assert batch.params_problems(cfg, {"la_name": "X", "notebooks": {NB: None}}) == []
    cfg.write_text(f"la_name: X\nnotebooks: [{NB}]\n")
    with pytest.raises(ValueError, match="notebooks: must map notebook names"):
        batch.load_la(str(tmp_path))


def test_default_workers_is_the_usable_cores():
    import os

    assert batch.default_workers() == len(os.sched_getaffinity(0))


def test_optional_tables_decide_whether_data_dir_is_passed(tmp_path):
    base = tmp_path / "las"
    (base / "panelonly").mkdir(parents=True)
    (base / "panelonly" / "params.yaml").write_text("la_name: Sefton\nnotebooks:\n  06_its_adolescent_entries: {}\n")
    t = batch.plan_tasks(batch.load_la("panelonly", base), ["06_its_adolescent_entries"], tmp_path / "run")[0]
    assert "data_dir" not in t.parameters  # no la_timeseries.csv: the notebook uses the DfE panel
    (base / "panelonly" / "la_timeseries.csv").write_text("la_name,year,measure,value\nSefton,2016,x,1\n")
    t = batch.plan_tasks(batch.load_la("panelonly", base), ["06_its_adolescent_entries"], tmp_path / "run")[0]
    assert t.parameters["data_dir"] == str(base / "panelonly")
    assert t.parameters["out_dir"] == str(tmp_path / "run" / "panelonly" / "derived")


def test_shipped_templates_match_their_schemas():
    """Static templates in evalkit/resources/templates must not drift from the schemas they document."""
    from evalkit.paths import ROOT

    checked = []
    for path in sorted((ROOT / "evalkit" / "resources" / "templates").glob("*.csv")):
        if path.stem not in schemas.REGISTRY:
            continue
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        spec = schemas.get_spec(path.stem)
        assert set(spec.required_columns()) <= set(header), f"{path.name} lacks required columns"
        checked.append(path.stem)
    assert checked, "no shipped template matched a registered schema: the check above checked nothing"


def test_warm_kernel_is_kept_for_later_runs_and_restarted_when_the_environment_changes(monkeypatch):
    """The in-process engine keeps its warm kernel after a run (reset before each notebook), but
    a kernel inherits its environment, so a changed one (other input roots, say) gets a new kernel."""

    class FakeKernel:
        def __init__(self):
            self.alive = True

        def is_alive(self):
            return self.alive

    resets = []
    monkeypatch.setattr(batch, "_KERNEL_MANAGER", None)
    monkeypatch.setattr(batch, "_KERNEL_ENV", None)
    monkeypatch.setattr(batch, "start_kernel", FakeKernel)
    monkeypatch.setattr(batch, "stop_kernel", lambda km: setattr(km, "alive", False))
    monkeypatch.setattr(batch, "_run_in_kernel", lambda km, code: resets.append(code))
    first = batch._kernel(True)
    assert batch._kernel(True) is first and len(resets) == 2  # warm-up, then a reset
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "another test")  # pytest's own marker does not count
    assert batch._kernel(True) is first
    monkeypatch.setenv("EVALKIT_INPUT_ROOTS", "/elsewhere")
    second = batch._kernel(True)
    assert second is not first and not first.is_alive()
    second.alive = False  # a kernel that died is replaced too
    assert batch._kernel(True) is not second
    monkeypatch.setattr(batch, "_KERNEL_MANAGER", None)  # nothing real to stop
