"""The bad-input corpus: every fault gets a clear, specific message, and the batch still finishes the good LA."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evalkit import batch, schemas

CORPUS = Path(__file__).parent / "bad_inputs"
FAULTS = sorted(d.name for d in CORPUS.iterdir() if d.is_dir() and d.name != "good")


def test_corpus_has_at_least_15_distinct_faults():
    rules = {(CORPUS / f / "expected.txt").read_text().splitlines()[1] for f in FAULTS}
    assert len(FAULTS) >= 15 and len(rules) >= 15


def _messages(folder: Path) -> list[str]:
    try:
        cfg = batch.load_la(str(folder))
    except Exception as err:  # noqa: BLE001 - load_la's own clear errors are the message
        return [f"params.yaml: [params] {err}"]
    found = batch.validate_la(cfg, list(cfg.notebooks))
    return [p for ps in found.values() for p in ps]


def test_good_folder_is_clean():
    assert _messages(CORPUS / "good") == []


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_names_file_and_rule(fault):
    file, rule = (CORPUS / fault / "expected.txt").read_text().splitlines()[:2]
    msgs = _messages(CORPUS / fault)
    assert msgs, f"{fault}: no problem reported"
    hits = [m for m in msgs if file in m and rule in m]
    assert hits, f"{fault}: expected {file} and {rule!r} in {msgs}"
    assert all("Traceback" not in m for m in msgs)
    assert all(len(m.splitlines()) == 1 for m in msgs), "one line per problem"


def test_huge_file_is_refused_before_reading(tmp_path):
    folder = tmp_path / "huge"
    shutil.copytree(CORPUS / "good", folder)
    row = "1,75,1730,CIN plan no longer required,cin_plan\n"
    with (folder / "yst_case_costs.csv").open("w") as fh:
        fh.write("case_id,yst_hours,yst_cost_gbp,potential_saving,saving_basis\n")
        fh.write(row * (schemas.DEFAULT_MAX_BYTES // len(row) + 10))
    msgs = _messages(folder)
    assert any("yst_case_costs.csv" in m and "[file-too-large]" in m for m in msgs)


def test_cli_validate_on_corpus_never_shows_a_traceback(capfd):
    from evalkit.cli import main

    # each fault through the command's own entry point, in this process (a new interpreter per
    # fault cost 20 imports of the stack) ...
    for fault in FAULTS:
        code = main(["validate", str(CORPUS / fault)])
        out, err = capfd.readouterr()
        assert code in (0, 1) and "Traceback" not in out + err, fault
    # ... and once as a real command over the whole corpus
    res = subprocess.run([sys.executable, "-m", "evalkit.cli", "validate", *(str(CORPUS / f) for f in FAULTS)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 1 and "Traceback" not in res.stdout + res.stderr


@pytest.mark.slow
def test_batch_over_corpus_finishes_the_good_la(tmp_path):
    base = tmp_path / "las"
    shutil.copytree(CORPUS, base, ignore=shutil.ignore_patterns("*.py", "expected.txt", "__pycache__"))
    # Validation alone decides a faulty LA: keep in each one's params.yaml only the notebooks its
    # fault holds back, so the batch starts kernels for the good LA and nothing else. (That the
    # other notebooks of a faulty LA still run is tested in test_batch.py.)
    for folder in sorted(base.iterdir()):
        if folder.name == "good":  # one notebook is enough to show the good LA finishes
            cfg = batch.load_la(str(folder))
            first = next(iter(cfg.notebooks))
            (folder / "params.yaml").write_text(yaml.safe_dump({"la_name": cfg.name,
                                                                "notebooks": {first: cfg.notebooks[first]}}))
            continue
        try:
            cfg = batch.load_la(str(folder))
        except Exception:  # noqa: BLE001 - a params.yaml the batch itself must reject
            continue
        held = [nb for nb, found in batch.validate_la(cfg, list(cfg.notebooks)).items() if found and nb in cfg.notebooks]
        if held:
            keep = {nb: cfg.notebooks[nb] for nb in held}
            (folder / "params.yaml").write_text(yaml.safe_dump({"la_name": cfg.name, "notebooks": keep}))
    raw_before = {p: p.read_bytes() for p in base.rglob("*") if p.is_file()}
    result = batch.run_batch(all_las=True, base=base, out=tmp_path / "runs", workers=2, progress=False)
    assert {t.slug for t in result.tasks if t.status != "invalid"} == {"good"}
    by_la: dict[str, set[str]] = {}
    for t in result.tasks:
        by_la.setdefault(t.slug, set()).add(t.status)
    assert by_la.pop("good") == {"ok"}
    for fault, statuses in by_la.items():
        assert statuses & {"invalid", "failed"}, f"{fault} was not reported: {statuses}"
    table = result.failure_table()
    assert "Traceback" not in table
    for fault in FAULTS:
        assert fault.replace("_", " ").title() in table or fault in table
    assert {p: p.read_bytes() for p in base.rglob("*") if p.is_file()} == raw_before
