"""Reproduction-status rules, including the rounding boundary."""

from __future__ import annotations

import numpy as np
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


# --------------------------------------------------------------------------- status rules (docs/conventions.md)


def test_a_figure_recomputed_from_itself_is_circular():
    rep = Reproduction(_stated())
    rep.check("a", 4714.0, uses=["a"], note="unit cost 4714 / 12 back-solved, then x 12")
    row = rep.table().set_index("figure_id").loc["a"]
    assert row["status"] == "not_reproducible"
    assert row["note"].startswith("circular: unit cost")
    with pytest.raises(ValueError, match="say how the figure was derived"):
        rep.circular("a", "")


def test_mentions_are_columns_not_a_status():
    rep = Reproduction(_stated())
    rep.mentions("c", [1.6, "1.6", 1.6])
    rep.mentions("a", [4714, 4741])
    rep.not_reproducible("c", "an input stated three times")
    t = rep.table().set_index("figure_id")
    assert (t.loc["c", "mentions"], t.loc["c", "mentions_agree"], t.loc["c", "status"]) == ("3", "yes", "not_reproducible")
    assert (t.loc["a", "mentions"], t.loc["a", "mentions_agree"]) == ("2", "no")
    assert "mentions: 3 (all agree)" in rep.to_text()


def test_outside_data_do_not_change_the_status():
    rep = Reproduction(_stated())
    rep.check("c", 1.64)
    rep.external("c", 1.9, "DfE", classify("1.6", 1.9).status)
    t = rep.table().set_index("figure_id")
    assert t.loc["c", "status"] == "rounding"
    assert (t.loc["c", "external_value"], t.loc["c", "external_status"]) == ("1.9", "discrepancy")
    with pytest.raises(ValueError, match="external status 'close'"):
        rep.external("c", 1.9, "DfE", "close")


def test_problems_find_shared_reasons_and_silent_bounds():
    rep = Reproduction(_stated())
    rep.not_reproducible("a", "stated once")
    rep.not_reproducible("c", "stated once")
    assert any("share one reason" in p for p in rep.problems())
    rep.not_reproducible("c", "stated once", locate=True)
    assert sorted(rep.problems()) == [f"b: never checked ({report.NO_ATTEMPT})", f"d: never checked ({report.NO_ATTEMPT})"]
    assert rep.table().set_index("figure_id").loc["c", "note"] == "stated once (C)"


def test_bound_checks_say_so():
    rep = Reproduction(_stated())
    rep.check("b", 170)
    row = rep.table().set_index("figure_id").loc["b"]
    assert row["status"] == "exact" and "bound" in row["note"]


def test_reproduction_is_a_result():
    rep = Reproduction(_stated())
    rep.check("c", 1.64)
    s = str(rep.summary())
    assert s.splitlines()[0] == "Reproduction: 4 stated figures"
    assert "1 rounding" in s
    fig = rep.plot()
    ax = fig.axes[0]
    assert ax.get_xlim()[0] == 0 and len(ax.patches) == 4
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize(
    "reproduced",
    [np.float64(1.65), np.float32(1.65), np.int64(2), np.int32(2), np.float64(4714.5)],
    ids=["float64", "float32", "int64", "int32", "float64-half"],
)
def test_numpy_scalars_are_numbers(reproduced):
    # numpy 2 reprs its scalars as "np.float64(1.65)": the value, not that text, is compared
    as_python = reproduced.item()
    for reported in ("1.6", "2", "4714"):
        assert classify(reported, reproduced) == classify(reported, as_python)
    assert format_value(reproduced) == format_value(as_python)
    assert classify("12", np.float32("nan")).status == "not_reproducible"
    assert format_value(np.float64("nan")) == ""
    with pytest.raises(TypeError, match="not a number"):  # a truth value is not a count, as for bool
        classify("1", np.bool_(True))
