"""Schema validation with malformed inputs: one clear line per problem, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evalkit import schemas
from evalkit.schemas import InputError

GOOD = "case_id,yst_hours,yst_cost_gbp,potential_saving,saving_basis\n1,75,1730,x,cin_plan\n2,45,1050,y,none\n"


def _write(tmp_path: Path, text: str | bytes, name: str = "yst_case_costs.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def _problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        schemas.read_table(path)
    lines = str(info.value).splitlines()
    assert lines and all(str(path.name) in line for line in lines)
    return lines


def test_shipped_seed000_tables_are_valid(seed000):
    tables, problems = schemas.validate_folder(seed000)
    assert problems == []
    assert {"yst_case_costs.csv", "unit_costs.csv", "stated_figures.csv"} <= set(tables)


def test_good_table_types(tmp_path):
    df = schemas.read_table(_write(tmp_path, GOOD))
    assert df["case_id"].dtype.kind == "i" and df["yst_hours"].dtype.kind == "f"


def test_missing_column(tmp_path):
    lines = _problems(_write(tmp_path, "case_id,yst_hours,potential_saving,saving_basis\n1,75,x,none\n"))
    assert any("column 'yst_cost_gbp'" in ln and "missing-column" in ln for ln in lines)


def test_text_in_numeric_column(tmp_path):
    lines = _problems(_write(tmp_path, GOOD.replace("1,75,1730", "1,seventy,1730")))
    assert len(lines) == 1
    assert lines[0].endswith("yst_case_costs.csv: row 2: column 'yst_hours': [wrong-type] 'seventy' is not a number")  # no follow-on noise from the failed conversion


def test_negative_hours(tmp_path):
    lines = _problems(_write(tmp_path, GOOD.replace("2,45,", "2,-45,")))
    assert len(lines) == 1 and "row 3: column 'yst_hours'" in lines[0] and "greater_than_or_equal_to(0)" in lines[0]


def test_duplicate_case_id(tmp_path):
    lines = _problems(_write(tmp_path, GOOD + "2,10,200,z,none\n"))
    assert any("row 4" in ln and "duplicate-key" in ln and "row 3" in ln for ln in lines)


def test_empty_file_and_header_only(tmp_path):
    lines = _problems(_write(tmp_path, ""))
    assert "[file-empty]" in lines[0]
    lines = _problems(_write(tmp_path, "case_id,yst_hours,yst_cost_gbp,potential_saving,saving_basis\n"))
    assert "[no-rows]" in lines[0]


def test_bom_and_crlf_excel_export_is_accepted(tmp_path):
    text = "\ufeff" + GOOD.replace("\n", "\r\n") + ",,,,\r\n"
    df = schemas.read_table(_write(tmp_path, text))
    assert list(df["case_id"]) == [1, 2]
    assert df.columns[0] == "case_id"


def test_excel_trailing_empty_columns_are_dropped(tmp_path):
    text = "case_id,yst_hours,yst_cost_gbp,potential_saving,saving_basis,,\n1,75,1730,x,cin_plan,,\n"
    assert len(schemas.read_table(_write(tmp_path, text))) == 1


def test_excel_formula_and_error_values(tmp_path):
    lines = _problems(_write(tmp_path, GOOD.replace("2,45,1050", '2,=SUM(B2:B3),#REF!')))
    assert any("[excel-formula]" in ln and "row 3" in ln for ln in lines)
    assert any("[excel-error]" in ln and "column 'yst_cost_gbp'" in ln for ln in lines)


def test_non_utf8(tmp_path):
    lines = _problems(_write(tmp_path, GOOD.replace("x,", "£x,").encode("cp1252")))
    assert "[encoding]" in lines[0] and "row 2" in lines[0]


def test_semicolon_delimited(tmp_path):
    lines = _problems(_write(tmp_path, GOOD.replace(",", ";")))
    assert "[delimiter]" in lines[0]


def test_too_many_fields(tmp_path):
    lines = _problems(_write(tmp_path, GOOD + "3,1,2,a,b,extra\n"))
    assert "row 4" in lines[0] and "[csv-structure]" in lines[0]


def test_boolean_words_not_truthiness(tmp_path, seed000):
    src = (seed000 / "yst_case_profiles.csv").read_text(encoding="utf-8")
    df = schemas.read_table(_write(tmp_path, src, "yst_case_profiles.csv"))
    assert df["closed_to_social_care"].tolist() == [True, True, False, False, True]
    bad = src.replace(",closed,true,", ",closed,maybe,", 1)
    lines = _problems(_write(tmp_path, bad, "yst_case_profiles.csv"))
    assert any("'maybe' is not true or false" in ln for ln in lines)


UK_DATES = "phase,start_month,end_month\nA,2015-05,2015-10\n"


def test_months_and_uk_dates(tmp_path):
    df = schemas.read_table(_write(tmp_path, UK_DATES, "project_phases.csv"))
    assert df["start_month"].iloc[0].month == 5
    lines = _problems(_write(tmp_path, "phase,start_month,end_month\nA,05/2015,2015-10\n", "project_phases.csv"))
    assert "[month-format]" in lines[0]


def test_date_parser_uk_iso_and_mixed():
    import pandas as pd

    from evalkit.schemas._core import _parse_dates

    ok, probs = _parse_dates(pd.Series(["31/03/2016", "01/04/2016"]), "d", "f.csv")
    assert not probs and ok.iloc[0] == pd.Timestamp("2016-03-31")  # day first, UK style
    _, probs = _parse_dates(pd.Series(["2016-03-31", "01/04/2016", "2016-05-01"]), "d", "f.csv")
    assert [p.rule for p in probs] == ["date-mixed-formats"] and probs[0].row == 3
    _, probs = _parse_dates(pd.Series(["31/02/2016", "March 2016"]), "d", "f.csv")
    assert [p.rule for p in probs] == ["date-invalid", "date-format"]


def test_unknown_table_and_folder_check(tmp_path, seed000):
    shutil.copytree(seed000, tmp_path / "la", ignore=shutil.ignore_patterns("*.yaml"))
    (tmp_path / "la" / "mystery.csv").write_text("a\n1\n")
    act = tmp_path / "la" / "yst_case_activities.csv"
    act.write_text(act.read_text(encoding="utf-8") + "9,meetings,ghost meetings,1,,\n", encoding="utf-8")
    _, problems = schemas.validate_folder(tmp_path / "la")
    rules = sorted(p.rule for p in problems)
    assert rules == ["unknown-case", "unknown-table"]
    _, problems = schemas.validate_folder(tmp_path / "la", strict=False)
    assert [p.rule for p in problems] == ["unknown-case"]
    # limited to some tables: only their CSVs are read, and the cross-table check sees only them
    found, problems = schemas.validate_folder(tmp_path / "la", only=["yst_case_activities", "yst_case_costs"])
    assert sorted(Path(k).stem for k in found) == ["yst_case_activities", "yst_case_costs"]
    assert [p.rule for p in problems] == ["unknown-case"]
    found, problems = schemas.validate_folder(tmp_path / "la", only=["unit_costs"])
    assert list(found) == ["unit_costs.csv"] and problems == []


def test_cli_validate_exit_codes_and_no_traceback(tmp_path, seed000, capsys):
    """In-process (`evalkit.cli.main`); the real `python -m evalkit.cli` process, its exit code
    and output, is tested in test_bad_inputs.py::test_cli_validate_in_a_real_process."""
    from evalkit.cli import main

    assert main(["validate", str(seed000)]) == 0, capsys.readouterr()
    capsys.readouterr()
    bad = tmp_path / "bad"
    shutil.copytree(seed000, bad)
    costs = bad / "yst_case_costs.csv"
    costs.write_text(costs.read_text(encoding="utf-8").replace("\n3,105,2680", "\n3,-105,abc"), encoding="utf-8")
    code = main(["validate", str(bad)])
    res = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in res.out + res.err
    lines = res.out.strip().splitlines()
    assert len(lines) == 2
    assert all("yst_case_costs.csv: row 4: column '" in ln for ln in lines)
    code = main(["validate", str(tmp_path / "nowhere")])
    assert code == 1 and "[folder-missing]" in capsys.readouterr().out
