"""Seed 003 (Learning from Innovation): the reproduction table, recomputed independently."""

from __future__ import annotations

import csv

import pytest

from evalkit import paths
from evalkit.studies import innovation

FOLDER = paths.RAW / "003_learning_from_innovation"


@pytest.fixture(scope="module")
def rep():
    return innovation.reproduce(innovation.load(FOLDER), n_permutations=99)


def _rows(name: str) -> list[dict[str, str]]:
    with open(FOLDER / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_projects_counted_from_the_dashboards(rep):
    t = rep.table().set_index("figure_id")
    assert t.loc["round2_projects", "reproduced"] == str(len(_rows("innovation_projects"))) == "44"
    assert t.loc["round2_projects", "status"] == "discrepancy"  # the introduction says 50


@pytest.mark.parametrize("fid", ["p05_programmes", "p10_components", "p14_improvement_areas", "p38_parts"])
def test_counts_of_printed_lists_are_recomputations(rep, fid):
    items = [r for r in _rows("innovation_lists") if r["list_id"] == fid]
    assert items, f"no list transcribed for {fid}"
    t = rep.table().set_index("figure_id")
    assert t.loc[fid, "reproduced"] == str(len(items))
    assert t.loc[fid, "status"] == "exact"


def test_programme_parameters_without_a_list_stay_not_reproducible(rep):
    t = rep.table().set_index("figure_id")
    assert t.loc["p11_age_min", "status"] == "not_reproducible"
    assert "Inside Out" in t.loc["p11_age_min", "note"]


def test_rules_hold(rep):
    assert rep.problems() == []
    assert rep.counts() == {"exact": 4, "rounding": 0, "discrepancy": 3, "not_reproducible": 44}
