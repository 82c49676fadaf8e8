"""Seed 004 (Ofsted, Edging away from care): the reproduction table, recomputed independently."""

from __future__ import annotations

import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from evalkit import paths  # noqa: E402
from evalkit.studies import ofsted  # noqa: E402

FOLDER = paths.RAW / "004_ofsted_edging_away"


@pytest.fixture(scope="module")
def res():
    return ofsted.analyse(ofsted.load(FOLDER), sim_draws=500)


def _rows(name: str) -> list[dict[str, str]]:
    with open(FOLDER / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_list_counts_are_recomputed(res):
    t = res.reproduction.table().set_index("figure_id")
    munro = [r for r in _rows("ofsted_lists") if r["list_id"] == "munro_reasons_for_early_help"]
    assert t.loc["munro_reasons", "reproduced"] == str(len(munro)) == "3"
    assert t.loc["munro_reasons", "status"] == "exact"


def test_mean_against_requested_range_is_a_bound_check(res):
    t = res.reproduction.table().set_index("figure_id")
    n = {r["group"]: int(r["n"]) for r in _rows("ofsted_sample")}
    mean = n["families"] / n["local_authorities"]
    assert 3 <= mean <= 4
    for fid in ("families_per_la_min", "families_per_la_max"):
        assert t.loc[fid, "status"] == "exact"
        assert "bound" in t.loc[fid, "note"]
        assert float(t.loc[fid, "reproduced"]) == pytest.approx(mean, abs=1e-4)


def test_rules_hold_and_counts(res):
    assert res.reproduction.problems() == []
    assert res.reproduction.counts() == {"exact": 5, "rounding": 0, "discrepancy": 0, "not_reproducible": 54}


def test_savings_in_weeks_of_care(res):
    eq = res.savings_in_placement_terms().set_index("item")
    assert eq.loc["saving_one_family", "weeks_at_low"] == pytest.approx(93000 / 1500)
    assert eq.loc["saving_one_family", "weeks_at_high"] == pytest.approx(93000 / 6000)


def test_key_chart_has_labels_and_outside_legend(res):
    a0, a1 = res.plot()
    assert a0.get_xscale() == "log" and a0.get_xlabel() == "£ (log scale)"
    assert a1.get_ylabel() == "Net saving per young person (£)"
    assert a1.get_legend().get_bbox_to_anchor() is not None
    assert len(a1.get_lines()) >= 4  # two weekly costs, two stated savings
    plt.close("all")
