"""Seed 001 (Sefton CAS): the reproduction under the status rules, and the extension, recomputed independently."""

from __future__ import annotations

import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from evalkit import paths  # noqa: E402
from evalkit.studies import sefton  # noqa: E402

FOLDER = paths.RAW / "001_sefton_cas"


@pytest.fixture(scope="module")
def tables():
    return sefton.load(FOLDER)


@pytest.fixture(scope="module")
def rep(tables):
    return sefton.reproduce(tables)


def _kv(name: str) -> dict[str, float]:
    with open(FOLDER / f"{name}.csv", newline="", encoding="utf-8") as f:
        return {r["key"]: float(r["value"]) for r in csv.DictReader(f)}


@pytest.mark.parametrize("outcome", ["missing_episodes", "cp_plans", "stepped_down", "child_looked_after"])
def test_back_solved_totals_are_circular(rep, outcome):
    t = rep.table().set_index("figure_id")
    row = t.loc[f"cba_{outcome}_value"]
    assert row["status"] == "not_reproducible"
    assert row["note"].startswith("circular")


def test_repeat_of_table3_in_the_text(rep):
    t = rep.table().set_index("figure_id")
    assert t.loc["missing_saving_text", "mentions"] == "2"
    assert t.loc["missing_saving_text", "mentions_agree"] == "yes"
    assert t.loc["missing_saving_text", "status"] == "not_reproducible"


def test_short_break_figures_recomputed(rep):
    c = _kv("sefton_costs")
    t = rep.table().set_index("figure_id")
    assert float(t.loc["sb_max_nights", "reproduced"]) == c["short_break_capacity_per_day"] * 365
    assert t.loc["sb_max_nights", "status"] == "discrepancy"  # 1,440 needs a 360-day year
    per_night = c["short_break_unit_cost"] / c["short_break_overnight_stays"]
    assert float(t.loc["sb_cost_per_night", "reproduced"]) == pytest.approx(per_night, abs=1e-4)
    assert t.loc["sb_cost_per_night", "status"] == "discrepancy"  # £889.88 is truncated to £889


def test_cohort_split_sums(rep):
    k = _kv("sefton_cohort_counts")
    t = rep.table().set_index("figure_id")
    assert float(t.loc["cohort_worked_with", "reproduced"]) == k["cas_practitioner_only"] + k["co_worked_with_csc"]
    assert t.loc["cohort_worked_with", "status"] == "exact"


def test_reasons_are_specific(rep):
    assert rep.problems() == []
    t = rep.table().set_index("figure_id")
    assert "Figure 2" not in t.loc["cohort_phase1", "note"]
    assert rep.counts() == {"exact": 17, "rounding": 5, "discrepancy": 6, "not_reproducible": 77}


def test_extension_adds_up(tables):
    ext = sefton.extend(tables, n_draws=200)
    lines = ext.adjusted.lines
    assert ext.adjusted.npv == pytest.approx(lines["pv"].sum(), rel=1e-9)
    # the report's own figures, unadjusted: 22,040 + 7,045 + 9,240 - 18,270 within rounding of the unit costs
    assert ext.as_reported.npv == pytest.approx(22040 + 7045 + 9240 - 18270, abs=1.0)
    assert ext.break_even_report.value < ext.break_even_report.base_value == 6
    ax = ext.plot()
    assert ax.get_ylabel() == "Present value (£)"
    lo, hi = ax.get_ylim()
    assert hi > max(p.get_y() + p.get_height() for p in ax.patches)
    assert len(ax.patches) == len(lines) + 1
    plt.close("all")
