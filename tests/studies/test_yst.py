"""Seed 000 (Gloucestershire YST): the reproduction, recomputed independently, and its figures."""

from __future__ import annotations

import csv
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from evalkit import paths  # noqa: E402
from evalkit.studies import yst  # noqa: E402
from evalkit.studies.yst import plots  # noqa: E402

FOLDER = paths.RAW / "000_gloucestershire_yst"


@pytest.fixture(scope="module")
def tables():
    return yst.load(FOLDER)


@pytest.fixture(scope="module")
def res(tables):
    return yst.analyse(tables)


def _cases() -> list[dict[str, str]]:
    with open(FOLDER / "yst_case_costs.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_case_costs_recomputed_at_the_median_rate(res):
    rows = _cases()
    rates = {int(r["case_id"]): float(r["yst_cost_gbp"]) / float(r["yst_hours"]) for r in rows}
    median = statistics.median(rates.values())
    t = res.reproduction.table().set_index("figure_id")
    for r in rows:
        cid = int(r["case_id"])
        if rates[cid] == median:
            assert t.loc[f"t2_case{cid}_cost", "status"] == "not_reproducible"
            assert t.loc[f"t2_case{cid}_cost", "note"].startswith("circular")
        else:
            assert float(t.loc[f"t2_case{cid}_cost", "reproduced"]) == pytest.approx(
                float(r["yst_hours"]) * median, abs=1e-4)
    # case 3 implies a rate over 10% above the median: a discrepancy
    assert rates[3] / median > 1.1
    assert t.loc["t2_case3_cost", "status"] == "discrepancy"


def test_unit_costs_and_savings(res):
    t = res.reproduction.table().set_index("figure_id")
    assert t.loc["cin_plan_12m", "reproduced"] == str(393 * 12)
    assert t.loc["cin_plan_12m", "status"] == "discrepancy"
    assert float(t.loc["cin_plan_monthly", "reproduced"]) == pytest.approx(4714 / 12, abs=1e-4)
    assert t.loc["cin_plan_monthly", "status"] == "rounding"
    total_cost = sum(float(r["yst_cost_gbp"]) for r in _cases())
    assert res.total["cost"] == total_cost
    # three CIN cases at 393 x 12 plus one CP case at 2,200 + 1,147 x 12
    assert res.total["saving"] == 3 * 393 * 12 + 2200 + 1147 * 12
    assert "bound" in t.loc["savings_offset_costs", "note"]


def test_repeated_mentions_are_not_a_status(res):
    t = res.reproduction.table().set_index("figure_id")
    assert t.loc["box_case1_hours", "status"] == "not_reproducible"
    assert t.loc["box_case1_hours", "mentions"] == "2"
    assert t.loc["box_case1_hours", "mentions_agree"] == "yes"


def test_counts_and_rules(res):
    c = res.reproduction.counts()
    assert sum(c.values()) == len(res.reproduction.stated) == 40
    assert res.reproduction.problems() == []
    assert str(res.summary()).splitlines()[1].startswith(f"- Reproduction: {c['exact']} exact")


def test_new_la_without_stated_figures(tables):
    t = dict(tables)
    t["stated_figures"] = t["stated_figures"].iloc[0:0]
    rep = yst.reproduce(t)
    assert rep.table().empty
    assert "cin_plan_12m" in rep.skipped


def test_implied_rate_bars_start_at_zero(res):
    ax = res.plot_rates()
    assert ax.get_ylim()[0] == 0
    assert len(ax.patches) == 5
    assert "£ per hour" in ax.get_ylabel()
    plt.close("all")


def test_scatter_labels_do_not_overlap(res):
    ax = res.plot_savings()
    fig = ax.figure
    fig.canvas.draw()
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    # the label text itself, without its leader line
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts if t.get_text().startswith("Case")]
    assert len(boxes) == 5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    assert ax.get_xlabel() == "YST staff cost of the case"
    assert ax.xaxis.get_major_formatter()(1500, 0) == "£1,500"  # the unit is on the ticks
    legend = ax.get_legend()
    assert legend.get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1
    plt.close("all")


def test_ratings_figure_says_values_are_lost(res):
    ax = res.plot_ratings()
    assert not ax.images
    assert any("lost" in t.get_text() for t in ax.texts)
    plt.close("all")


def test_spread_labels_keeps_a_gap():
    import numpy as np

    y = plots.spread_labels(np.array([5.0, 5.0, 5.1, 0.0]), 1.0)
    assert sorted(np.diff(np.sort(y))) [0] >= 1.0 - 1e-12
