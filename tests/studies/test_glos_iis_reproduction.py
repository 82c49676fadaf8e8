"""Seed 002 (Gloucestershire IIS): the reproduction table under the status rules, recomputed independently."""

from __future__ import annotations

import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from evalkit import paths  # noqa: E402
from evalkit.studies import glos_iis  # noqa: E402
from evalkit.studies.glos_iis import business_case as bcm  # noqa: E402

FOLDER = paths.RAW / "002_gloucestershire_iis"


@pytest.fixture(scope="module")
def tables():
    return glos_iis.load(FOLDER)


@pytest.fixture(scope="module")
def rep(tables):
    return glos_iis.reproduce(tables, None, "DfE data withheld in this test")


def test_repeated_mentions_are_columns_not_a_status(rep):
    with open(FOLDER / "glos_iis_finance.csv", newline="", encoding="utf-8") as f:
        n = sum(1 for r in csv.DictReader(f) if r["item"] == "placement_spend_current")
    t = rep.table().set_index("figure_id")
    assert t.loc["placement_spend_current", "status"] == "not_reproducible"
    assert t.loc["placement_spend_current", "mentions"] == str(n) and n >= 2
    assert t.loc["placement_spend_current", "mentions_agree"] == "yes"


def test_increase_is_recomputed_from_the_two_counts(rep):
    t = rep.table().set_index("figure_id")
    assert float(t.loc["cic_increase_pct", "reproduced"]) == pytest.approx(100 * (627 - 465) / 465, abs=1e-4)
    assert t.loc["cic_increase_pct", "status"] == "discrepancy"


def test_outside_data_never_set_the_status(rep, tables):
    t = rep.table().set_index("figure_id")
    for fid in bcm.EXTERNAL_FIGURES:
        assert t.loc[fid, "status"] == "not_reproducible"
        assert t.loc[fid, "external_status"] == "not_available"
    assert rep.problems() == []


def test_status_is_the_same_with_the_dfe_data(rep, tables, need_external):
    need_external("dfe_cla_la_panel.csv")
    res = glos_iis.analyse(tables, mc_draws=100)
    with_dfe = res.reproduction.table().set_index("figure_id")
    assert (with_dfe["status"] == rep.table().set_index("figure_id")["status"]).all()
    assert with_dfe.loc["england_increase_pct", "external_status"] == "rounding"


def test_tornado_ticks_do_not_overprint(tables):
    res = glos_iis.analyse(tables, mc_draws=100)
    ax = res.plot_tornado()
    fig = ax.figure
    fig.canvas.draw()
    labels = [t for t in ax.get_xticklabels() if t.get_text()]
    boxes = [t.get_window_extent() for t in labels]
    assert len(boxes) >= 2
    for a, b in zip(boxes, boxes[1:], strict=False):
        assert not a.overlaps(b)
    assert all(t.get_text().startswith(("£", "-£")) for t in labels)
    ax2 = res.plot_monte_carlo()
    assert ax2.get_ylabel() == "Share of draws"
    assert ax2.yaxis.get_offset_text().get_text() == ""
    plt.close("all")
