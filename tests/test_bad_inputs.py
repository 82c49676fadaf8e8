"""The bad-input corpus: every fault gets a clear, specific message, and the batch still finishes the good LA.

``tests/bad_inputs/<fault>/`` holds an LA folder that is valid except for one
fault, and ``expected.txt`` (the file and the rule the message must name).
``tests/bad_inputs/<name>/accepted.txt`` marks inputs accepted on purpose, with
the warning they must give. Faults that git cannot hold (a folder or a symlink
where a file should be, an unreadable file, a 60 MB file) are built here.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from evalkit import batch, cli, params_schema, schemas
from evalkit.errors import EvalkitWarning

CORPUS = Path(__file__).parent / "bad_inputs"
FAULTS = sorted(d.name for d in CORPUS.iterdir() if (d / "expected.txt").exists())
ACCEPTED = sorted(d.name for d in CORPUS.iterdir() if (d / "accepted.txt").exists())
RAW_EXCEPTIONS = ("Traceback", "KeyError", "IndexError", "TypeError", "AttributeError", "PermissionError",
                  "FileNotFoundError", "UnicodeDecodeError", "IsADirectoryError")


def test_corpus_has_the_faults_a_spreadsheet_user_makes():
    rules = {(CORPUS / f / "expected.txt").read_text().splitlines()[1] for f in FAULTS}
    assert len(FAULTS) >= 38 and len(rules) >= 25
    for rule in ("encoding", "percent-sign", "title-row", "duplicate-column", "delimiter", "placeholder",
                 "date-invalid", "start-after-end", "count-over-denominator", "duplicate-key-case",
                 "params-unknown-key", "params-type", "params-path", "params-la-name", "file-empty"):
        assert rule in rules, rule


def _messages(folder: Path) -> list[str]:
    """What `evalkit batch` would report for the folder before running anything."""
    problems = params_schema.validate_params(folder / "params.yaml")
    if problems:
        return problems
    return [p for ps in _validation(folder).values() for p in ps]


def _validation(folder: Path) -> dict[str, list[str]]:
    cfg = batch.load_la(str(folder))
    return batch.validate_la(cfg, list(cfg.notebooks))


@functools.cache
def _corpus_validation(fault: str) -> dict[str, list[str]] | None:
    """:func:`_validation` of a corpus folder, computed once for the tests that read it (None if
    its params.yaml is rejected before validation)."""
    try:
        return _validation(CORPUS / fault)
    except Exception:  # noqa: BLE001 - a params.yaml the batch itself must reject
        return None


def _check_clean_lines(msgs: list[str]) -> None:
    for m in msgs:
        assert len(m.splitlines()) == 1, f"one line per problem: {m!r}"
        assert not any(x in m for x in RAW_EXCEPTIONS), m


def test_good_folder_is_clean():
    with warnings.catch_warnings():
        warnings.simplefilter("error", EvalkitWarning)
        assert _messages(CORPUS / "good") == []


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_names_file_and_rule(fault):
    file, rule = (CORPUS / fault / "expected.txt").read_text().splitlines()[:2]
    msgs = params_schema.validate_params(CORPUS / fault / "params.yaml")
    if not msgs:
        msgs = [p for ps in (_corpus_validation(fault) or {}).values() for p in ps]
    assert msgs, f"{fault}: no problem reported"
    hits = [m for m in msgs if file in m and f"[{rule}" in m]
    assert hits, f"{fault}: expected {file} and [{rule}] in {msgs}"
    _check_clean_lines(msgs)


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_inputs_pass_with_their_warning(name):
    file, rule = ((CORPUS / name / "accepted.txt").read_text().splitlines() + [""])[:2]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        msgs = _messages(CORPUS / name)
    assert msgs == [], f"{name} is accepted on purpose, but: {msgs}"
    said = [str(w.message) for w in caught if issubclass(w.category, EvalkitWarning)]
    if rule:
        assert any(file in s and f"[{rule}]" in s for s in said), said
    else:
        assert said == []


def test_pound_and_thousands_are_read_as_numbers():
    with pytest.warns(EvalkitWarning, match=r"\[number-format\].*2 value"):
        df = schemas.read_table(CORPUS / "pound_and_thousands" / "yst_case_costs.csv")
    assert df["yst_cost_gbp"].tolist() == [1730.0, 1050.0, 2680.0]


def test_quoted_boolean_is_accepted_and_parsed():
    from evalkit.disclosure import as_bool

    assert params_schema.validate_params(CORPUS / "params_bool_quoted" / "params.yaml") == []
    assert as_bool("false") is False and as_bool("No") is False and as_bool("0") is False
    assert as_bool("true") is True and as_bool(True) is True
    with pytest.raises(ValueError, match="not true or false"):
        as_bool("maybe")


def _copy_good(tmp_path: Path, name: str = "lab") -> Path:
    folder = tmp_path / name
    shutil.copytree(CORPUS / "good", folder)
    return folder


def test_folder_where_a_file_should_be(tmp_path):
    folder = _copy_good(tmp_path)
    (folder / "unit_costs.csv").unlink()
    (folder / "unit_costs.csv").mkdir()
    msgs = _messages(folder)
    assert any("unit_costs.csv" in m and "[file-is-folder]" in m and "folder, not a file" in m for m in msgs), msgs
    _check_clean_lines(msgs)


def test_symlink_leaving_the_folder_is_refused(tmp_path):
    folder = _copy_good(tmp_path)
    outside = tmp_path / "elsewhere.csv"
    shutil.move(folder / "unit_costs.csv", outside)
    (folder / "unit_costs.csv").symlink_to(outside)
    msgs = _messages(folder)
    assert any("unit_costs.csv" in m and "[symlink-outside]" in m for m in msgs), msgs
    _check_clean_lines(msgs)


def test_symlink_inside_the_folder_is_read(tmp_path):
    folder = _copy_good(tmp_path)
    (folder / "keep").mkdir()
    shutil.move(folder / "unit_costs.csv", folder / "keep" / "units.txt")
    (folder / "unit_costs.csv").symlink_to(Path("keep") / "units.txt")
    assert _messages(folder) == []


def test_dangling_symlink_is_a_missing_file(tmp_path):
    folder = _copy_good(tmp_path)
    (folder / "unit_costs.csv").unlink()
    (folder / "unit_costs.csv").symlink_to(tmp_path / "gone.csv")
    msgs = _messages(folder)
    assert any("unit_costs.csv" in m and "[file-missing]" in m for m in msgs), msgs


def test_unreadable_file(tmp_path, monkeypatch):
    # The tests run as root, for whom chmod 000 does not stop a read: simulate the
    # operating system's refusal instead.
    folder = _copy_good(tmp_path)
    real = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self.name == "unit_costs.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    msgs = _messages(folder)
    assert any("unit_costs.csv" in m and "[file-unreadable]" in m and "Permission denied" in m for m in msgs), msgs
    _check_clean_lines(msgs)


def test_huge_file_is_refused_before_reading(tmp_path):
    folder = _copy_good(tmp_path, "huge")
    row = "1,75,1730,CIN plan no longer required,cin_plan\n"
    with (folder / "yst_case_costs.csv").open("w") as fh:
        fh.write("case_id,yst_hours,yst_cost_gbp,potential_saving,saving_basis\n")
        fh.write(row * (schemas.DEFAULT_MAX_BYTES // len(row) + 10))
    msgs = _messages(folder)
    assert any("yst_case_costs.csv" in m and "[file-too-large]" in m for m in msgs)


@pytest.mark.parametrize("name, why", [
    ("Bar/town", "'/'"), ("Bartown; rm -rf ~", "';'"), ("$(reboot)", "'$'"), ("", "empty"),
    ("..", "letter or a digit"), ("_-_", "letter or a digit"), ("x" * 81, "at most 80"), ("Bar\ntown", "'\\n'"),
])
def test_la_name_refused(name, why):
    msg = params_schema.check_la_name(name)
    assert msg is not None and why in msg


@pytest.mark.parametrize("name", ["Bartown", "St. Helens", "Bristol, City of", "Southend-on-Sea", "King's Lynn"])
def test_la_name_accepted(name):
    assert params_schema.check_la_name(name) is None


def test_new_la_refuses_a_bad_name(capsys):
    from evalkit.paths import LAS

    before = sorted(p.name for p in LAS.iterdir())
    code = cli.main(["new-la", "Bar/town"])
    err = capsys.readouterr().err
    assert code == 2 and "'/'" in err and "Error" not in err
    assert sorted(p.name for p in LAS.iterdir()) == before


def test_shipped_params_files_are_valid():
    from evalkit.paths import LAS

    for p in sorted(LAS.glob("*/params.yaml")):
        assert params_schema.validate_params(p) == [], p


def test_cli_validate_exit_codes_and_lines(capsys):
    assert cli.main(["validate", str(CORPUS / "good")]) == 0
    assert "OK" in capsys.readouterr().out
    for fault in FAULTS:
        file, rule = (CORPUS / fault / "expected.txt").read_text().splitlines()[:2]
        code = cli.main(["validate", str(CORPUS / fault)])
        out = capsys.readouterr()
        assert code == 1, f"{fault}: exit code {code}"
        assert f"[{rule}" in out.out and file in out.out, (fault, out.out)
        _check_clean_lines(out.out.splitlines() + out.err.splitlines())


def test_cli_validate_in_a_real_process():
    """One real `python -m evalkit.cli` process: its exit code and what reaches a real stdout.
    Everything else about `validate` is decided in-process (above and below)."""
    res = subprocess.run([sys.executable, "-m", "evalkit.cli", "validate", str(CORPUS / "utf16_file")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert "[encoding]" in res.stdout and "UTF-16" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr


def test_cli_validate_accepts_with_a_warning(capsys):
    assert cli.main(["validate", str(CORPUS / "pound_and_thousands")]) == 0
    out = capsys.readouterr()
    assert "[number-format]" in out.out + out.err


@pytest.mark.slow
def test_batch_over_corpus_finishes_the_good_la(tmp_path):
    base = tmp_path / "las"
    # the inputs accepted on purpose (with a warning) are valid LAs: they are tested elsewhere
    skip = shutil.ignore_patterns("*.py", "expected.txt", "__pycache__", *ACCEPTED)
    shutil.copytree(CORPUS, base, ignore=lambda d, names: skip(d, names) if Path(d) == CORPUS else
                    shutil.ignore_patterns("*.py", "expected.txt", "__pycache__")(d, names))
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
        found_by_nb = _corpus_validation(folder.name)  # the same folder as in the corpus
        if found_by_nb is None:
            continue
        cfg = batch.load_la(str(folder))
        held = [nb for nb, found in found_by_nb.items() if found and nb in cfg.notebooks]
        if held:
            keep = {nb: cfg.notebooks[nb] for nb in held}
            (folder / "params.yaml").write_text(yaml.safe_dump({"la_name": cfg.name, "notebooks": keep}))
    raw_before = {p: p.read_bytes() for p in base.rglob("*") if p.is_file()}
    # one worker: a single task runs (the good LA's), so a second worker would only start a kernel
    # for nothing; parallel workers among invalid LAs are tested in test_batch.py
    result = batch.run_batch(all_las=True, base=base, out=tmp_path / "runs", workers=1, progress=False)
    assert {t.slug for t in result.tasks if t.status != "invalid"} == {"good"}
    by_la: dict[str, set[str]] = {}
    for t in result.tasks:
        by_la.setdefault(t.slug, set()).add(t.status)
    assert by_la.pop("good") == {"ok"}
    for fault, statuses in by_la.items():
        if fault in FAULTS:
            assert statuses & {"invalid", "failed"}, f"{fault} was not reported: {statuses}"
    table = result.failure_table()
    assert "Traceback" not in table
    assert {p: p.read_bytes() for p in base.rglob("*") if p.is_file()} == raw_before


def test_params_empty_value_only_where_the_notebook_allows_it(tmp_path):
    yml = tmp_path / "params.yaml"
    yml.write_text("la_name: Nulltown\nnotebooks:\n  02_sefton_cas:\n    report_prices_in: null\n    n_draws: null\n"
                   "    placement_cost_range: [1000, 2000, 3000]\n    deadweight: 0.4\n")
    msgs = params_schema.validate_params(yml)
    assert len(msgs) == 2, msgs
    assert any("n_draws: [params-type] is empty" in m for m in msgs)
    assert any("placement_cost_range: [params-type]" in m and "expected 2" in m for m in msgs)


def test_input_outside_the_repository_is_refused(tmp_path, monkeypatch):
    folder = _copy_good(tmp_path)
    monkeypatch.setenv("EVALKIT_INPUT_ROOTS", "")
    with pytest.raises(schemas.InputError, match=r"\[outside-repository\]"):
        schemas.read_table(folder / "unit_costs.csv")
    monkeypatch.setenv("EVALKIT_INPUT_ROOTS", str(tmp_path))
    assert len(schemas.read_table(folder / "unit_costs.csv")) == 3
