"""Reproduction-status rules, including the rounding boundary."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import report
from evalkit.report import Reproduction, classify, format_value, resolution


@pytest.mark.parametrize(
    ("reported", "expected"),
    [("4714", "1"), ("1.6", "0.1"), ("1.65", "0.01"), ("26", "1"), ("0.5", "0.1"), ("1,730", "1")],
)
def test_resolution(reported, expected):
    assert str(resolution(reported)) == expected


@pytest.mark.parametrize(
    ("reported", "reproduced", "status"),
    [
        ("4714", 4714, "exact"),
        ("4714", 4714.0000000001, "exact"),
        ("4714", 4714.5, "rounding"),  # exactly half the last unit: rounding (inclusive)
        ("4714", 4713.5, "rounding"),
        ("4714", 4714.5000001, "discrepancy"),  # just past the boundary
        ("4714", 4716, "discrepancy"),
        ("1.6", 1.65, "rounding"),  # float 1.65 must not be read as 1.6499999
        ("1.6", 1.55, "rounding"),
        ("1.6", 1.6500001, "discrepancy"),
        ("889", 889.58, "discrepancy"),  # truncated where rounding gives 890
        ("890", 889.58, "rounding"),
        ("26", 34.8, "discrepancy"),
        ("0", 0.4, "rounding"),
        ("-3", -3.6, "discrepancy"),
    ],
)
def test_classify_numbers(reported, reproduced, status):
    assert classify(reported, reproduced).status == status


def test_classify_bounds_and_text():
    assert classify("160", 168, ">").status == "exact"
    assert classify("160", 156, ">").status == "discrepancy"
    assert classify("160", 160, ">").status == "discrepancy"
    assert classify("160", 160, ">=").status == "exact"
    assert classify("5", 4, "<").status == "exact"
    assert classify("no change", "No Change ").status == "exact"
    assert classify("no change", "CP -> CLA").status == "discrepancy"
    assert classify("12", None).status == "not_reproducible"
    assert classify("12", float("nan")).status == "not_reproducible"
    with pytest.raises(TypeError, match="'twelve' is not a number"):
        classify("12", "twelve")


def test_format_value_is_fixed():
    assert format_value(4716.0) == "4716"
    assert format_value(23.066666666) == "23.0667"
    assert format_value(2.5) == "2.5"
    assert format_value(-0.00001) == "0"
    assert format_value(None) == ""


def _stated():
    return pd.DataFrame(
        {
            "figure_id": ["a", "b", "c", "d"],
            "description": ["A", "B", "C", "D"],
            "reported": ["4714", "160", "1.6", "7"],
            "unit": ["GBP", "persons", "GBP_m", "n"],
            "comparator": ["=", ">", None, "="],
        }
    )


def test_reproduction_table_and_notes():
    rep = Reproduction(_stated())
    rep.check("a", 393 * 12, reason="unrounded monthly cost")
    rep.check("b", 156, reason="partners excluded")
    rep.check("c", 1.64)
    t = rep.table()
    assert list(t.columns) == report.COLUMNS
    s = dict(zip(t["figure_id"], t["status"], strict=True))
    assert s == {"a": "discrepancy", "b": "discrepancy", "c": "rounding", "d": "not_reproducible"}
    notes = dict(zip(t["figure_id"], t["note"], strict=True))
    assert "differs from the reported 4714 by +2" in notes["a"] and "unrounded monthly cost" in notes["a"]
    assert notes["d"] == report.NO_ATTEMPT
    assert t.loc[t.figure_id == "b", "reported"].item() == ">160"
    assert rep.counts() == {"exact": 0, "rounding": 1, "discrepancy": 2, "not_reproducible": 1}


def test_discrepancy_without_reason_is_flagged():
    rep = Reproduction(_stated())
    rep.check("a", 1)
    assert report.NO_REASON in rep.table().set_index("figure_id").loc["a", "note"]


def test_strict_and_lenient_unknown_figures():
    with pytest.raises(KeyError, match="not in stated_figures"):
        Reproduction(_stated(), strict=True).check("zzz", 1)
    rep = Reproduction(_stated(), strict=False)
    rep.check("zzz", 1)
    assert rep.skipped == ["zzz"]
    assert "zzz" not in set(rep.table()["figure_id"])


def test_not_reproducible_needs_reason():
    rep = Reproduction(_stated())
    with pytest.raises(ValueError, match="needs its reason"):
        rep.not_reproducible("d", "")
    rep.not_reproducible("d", "inputs missing")
    assert rep.status("d") == "not_reproducible"


def test_write_and_text(tmp_path):
    rep = Reproduction(_stated())
    rep.check("a", 4714)
    path = rep.write(tmp_path / "nb")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == report.COLUMNS
    assert report.summarise_file(path)["exact"] == 1
    text = rep.to_text()
    assert text.splitlines()[0].startswith("figure_id")
    assert "exact: 1, rounding: 0, discrepancy: 0, not_reproducible: 3" in text


def test_from_folder_without_stated_figures(tmp_path):
    rep = Reproduction.from_folder(tmp_path)
    assert rep.table().empty
