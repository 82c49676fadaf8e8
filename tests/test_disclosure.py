"""Small-number suppression (primary and secondary) and the aggregate-only rule."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import disclosure
from evalkit.disclosure import DisclosureError, suppress
from evalkit.outputs import OutputError, atomic_write_bytes, save_table


def test_primary_suppression_threshold():
    df = pd.DataFrame({"group": list("abcdef"), "n": [0, 1, 5, 6, 12, None]})
    out = suppress(df, ["n"])
    assert out["n"].tolist()[:5] == [0, "c", "c", 6, 12]  # DfE: 1-5 suppressed
    assert pd.isna(out["n"].iloc[5])
    out = suppress(df, ["n"], threshold=10)
    assert out["n"].tolist()[:5] == [0, "c", "c", "c", 12]
    assert disclosure.DEFAULT_THRESHOLD == 6


def test_secondary_suppression_on_row_totals():
    df = pd.DataFrame({"la": ["A", "B"], "boys": [3, 20], "girls": [10, 30], "total": [13, 50]})
    out = suppress(df, ["boys", "girls", "total"], totals=["total"])
    # A: boys=3 is hidden; girls would reveal it from the total, so girls is hidden too
    assert out.loc[0, "boys"] == "c" and out.loc[0, "girls"] == "c" and out.loc[0, "total"] == 13
    assert out.loc[1].tolist() == ["B", 20, 30, 50]


def test_secondary_suppression_down_columns():
    df = pd.DataFrame({"band": ["10-15", "16+", "total"], "starts": [2, 40, 42]})
    out = suppress(df, ["starts"], by_column_totals=True)
    assert out["starts"].tolist() == ["c", "c", 42]


def test_no_cell_recoverable_after_suppression():
    df = pd.DataFrame({"a": [1, 7, 9], "b": [6, 2, 8], "c": [8, 9, 3], "total": [15, 18, 20]})
    out = suppress(df, ["a", "b", "c", "total"], totals=["total"])
    hidden_rows = 0
    for (_, row), (_, orig) in zip(out.iterrows(), df.iterrows(), strict=True):
        hidden = [c for c in "abc" if row[c] == "c"]
        small = [c for c in "abc" if 0 < orig[c] < disclosure.DEFAULT_THRESHOLD]
        assert set(small) <= set(hidden), "every small count is hidden"
        assert len(hidden) != 1, "a single hidden part could be recovered from the total"
        hidden_rows += bool(hidden)
    assert hidden_rows == 3  # rows 1-3 each hold a count of 1-3


def test_assert_aggregate_and_save_table(tmp_path):
    with pytest.raises(DisclosureError, match="child_id"):
        disclosure.assert_aggregate(pd.DataFrame({"child_id": [1], "x": [2]}))
    disclosure.assert_aggregate(pd.DataFrame({"figure_id": ["a"], "la_name": ["X"]}))
    shown = save_table(pd.DataFrame({"g": ["x", "y"], "n": [3, 30]}), tmp_path, "t", counts=["n"])
    assert shown["n"].tolist() == ["c", 30]
    assert (tmp_path / "t.csv").read_text().splitlines() == ["g,n", "x,c", "y,30"]
    with pytest.raises(DisclosureError, match="respondent_id"):
        save_table(pd.DataFrame({"respondent_id": [1]}), tmp_path, "u")
    assert not (tmp_path / "u.csv").exists()


def test_unsuppressed_small_counts_scanner():
    df = pd.DataFrame({"n": [0, 3, "c", 8]})
    assert disclosure.unsuppressed_small_counts(df, ["n"]) == [(1, "n")]


def test_outputs_refuse_raw_and_leave_no_partial_file(tmp_path):
    from evalkit.paths import RAW

    with pytest.raises(OutputError, match="data/raw"):
        atomic_write_bytes(RAW / "x.csv", b"no")


    target = tmp_path / "out.csv"
    with pytest.raises(TypeError, match="bytes"):
        atomic_write_bytes(target, object())  # type: ignore[arg-type]
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_statistics_of_small_groups_are_hidden():
    df = pd.DataFrame({"g": ["a", "b", "c"], "n": [3, 12, 0], "mean": [4.0, 3.5, None], "max": [5, 5, None]})
    out = disclosure.suppress_statistics(df, "n", ["mean", "max"])
    assert out["mean"].tolist()[:2] == ["c", 3.5] and out["max"].tolist()[:2] == ["c", 5]


def test_count_like_columns_are_people_counts_only():
    df = pd.DataFrame(columns=["n", "n_followed_up", "respondents", "young_people", "n_pre", "n_years",
                               "n_donors_weight_over_1pct", "value", "share"])
    assert disclosure.count_like_columns(df) == ["n", "n_followed_up", "respondents", "young_people"]


def test_statistics_with_missing_group_sizes():
    df = pd.DataFrame({"n": pd.array([3, None, 20], dtype="Int64"), "mean": [1.0, 2.0, 3.0]})
    assert disclosure.suppress_statistics(df, "n", ["mean"])["mean"].tolist() == ["c", 2.0, 3.0]
