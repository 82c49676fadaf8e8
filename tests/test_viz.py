"""evalkit.viz: labels, axis titles, tick text, zero-based bars, legends outside, no overprinted text."""

from __future__ import annotations

import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from evalkit import viz  # noqa: E402
from evalkit.paths import ROOT  # noqa: E402


@pytest.fixture(autouse=True)
def _style():
    with matplotlib.rc_context():  # the style must not leak into other test modules
        viz.use_style()
        yield
    plt.close("all")


def _tick_texts(ax, axis="x"):
    ax.figure.canvas.draw()
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks if t.get_text()]


# --------------------------------------------------------------------------- labels


def test_every_panel_measure_has_a_label():
    from evalkit import la_panel

    names = set(la_panel.MEASURE_LABELS) | set(la_panel.DERIVED_MEASURES)
    missing = sorted(n for n in names if not viz.known(n))
    assert not missing, f"no label for la_panel measures {missing}"


def test_every_matching_covariate_and_outcome_has_a_label():
    from evalkit.schemas import child_records

    names = set(child_records.BASE_COVARIATES) | set(child_records.RISK_FLAGS) | set(child_records.OUTCOMES)
    missing = sorted(n for n in names if not viz.known(n))
    assert not missing, f"no label for child_records columns {missing}"


def test_every_survey_score_has_a_label():
    with open(ROOT / "evalkit/resources/scales/scores.csv", encoding="utf-8") as fh:
        scores = {r["score"] for r in csv.DictReader(fh)}
    missing = sorted(s for s in scores if not viz.known(s))
    assert not missing, f"no label for survey scores {missing}"


@pytest.mark.parametrize("name", ["programme_cost_per_yp", "placement_cost_per_month", "deadweight",
                                  "attribution", "displacement", "discount_rate", "cin_plan", "case_id",
                                  "unit_missing_episodes", "unit_child_looked_after"])
def test_cba_and_costing_names_have_labels(name):
    assert viz.known(name)
    assert "_" not in viz.label(name)


def test_label_text_and_units():
    assert viz.label("programme_cost_per_yp") == "programme cost per young person (£)"
    assert viz.label("months_in_care") == "months in care during follow-up (months)"
    assert viz.label("months_in_care", units=False) == "months in care during follow-up"
    assert viz.label("entered_care") == "entered care during follow-up"  # a share: no unit repeated
    assert viz.label("year") == "year ending 31 March"
    assert viz.label("prior_cin_plans_total") == "prior CIN plans total"  # fallback: readable, flagged unknown
    assert not viz.known("prior_cin_plans_total")


def test_label_csv_has_no_duplicates_or_code_names_in_labels():
    rows = list(csv.DictReader(open(ROOT / "evalkit/resources/labels.csv", encoding="utf-8")))
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    assert not [r["name"] for r in rows if "_" in r["label"]]


# --------------------------------------------------------------------------- axes


def test_year_axis_title_and_whole_year_ticks():
    fig, ax = plt.subplots()
    ax.plot([2011, 2012, 2013, 2014], [1, 2, 3, 4])
    viz.year_axis(ax)
    assert ax.get_xlabel() == "year ending 31 March"
    texts = _tick_texts(ax)
    assert texts and all(t.lstrip("-").isdigit() for t in texts), texts


def test_value_axis_money_ticks_have_no_offset_text():
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [1_200_000, 2_400_000])
    viz.value_axis(ax, "npv")
    texts = _tick_texts(ax, "y")
    assert ax.get_ylabel() == "net present value (£)"
    assert "£2m" in texts and all(t.startswith(("£", "-£")) for t in texts), texts
    assert ax.yaxis.get_offset_text().get_text() == ""


def test_gbp_formatter_scales():
    assert viz.gbp_formatter("k")(-1750) == "-£1.75k"
    assert viz.gbp_formatter("m")(1_500_000) == "£1.5m"
    assert viz.gbp_formatter("£")(4714) == "£4,714"
    assert viz.gbp_formatter("auto", vmax=2e6)(500_000) == "£0.5m"
    with pytest.raises(ValueError):
        viz.gbp_formatter("bn")


def test_percent_formatter():
    assert viz.percent_formatter(share=True)(0.25) == "25%"
    assert viz.percent_formatter(decimals=1)(12.34) == "12.3%"


def test_tornado_like_negative_money_ticks_do_not_overprint():
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh(["a", "b", "c"], [-1_750_000, -900_000, 400_000])
    viz.money_axis(ax, axis="x")
    assert viz.overlapping_texts(fig) == []


def test_bars_from_zero():
    fig, ax = plt.subplots()
    ax.bar(["1", "2", "3"], [20.5, 23.0, 27.0])
    ax.set_ylim(19, 28)
    viz.bars_from_zero(ax)
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 27
    fig, ax = plt.subplots()
    ax.bar(["1", "2"], [-5, -3])
    ax.set_ylim(-6, -2)
    viz.bars_from_zero(ax)
    assert ax.get_ylim()[1] == 0


def test_legend_outside_does_not_cover_the_axes():
    fig, ax = plt.subplots()
    for k in range(3):
        ax.plot(range(10), np.arange(10) * (k + 1), label=f"series {k}")
    ax.set_xlabel("absolute standardised mean difference (SMD)")
    for where in ("right", "below"):
        leg = viz.legend_outside(ax, where=where)
        assert viz.overlapping_texts(fig) == [], where  # not over the axis title either
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        lb, ab = leg.get_window_extent(r), ax.get_window_extent(r)
        overlap_x = min(lb.x1, ab.x1) - max(lb.x0, ab.x0)
        overlap_y = min(lb.y1, ab.y1) - max(lb.y0, ab.y0)
        assert overlap_x <= 0 or overlap_y <= 0, where


def test_overlapping_texts_detects_overprint():
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "case 1")
    ax.text(0.5, 0.5, "case 2")
    assert ("case 1", "case 2") in viz.overlapping_texts(fig)


def test_label_points_leaves_no_overlapping_labels():
    fig, ax = plt.subplots(figsize=(5, 4))
    rng = np.random.default_rng(3)
    x = np.r_[rng.normal(1000, 20, 6), 5000]
    y = np.r_[rng.normal(1000, 20, 6), 400]
    ax.scatter(x, y)
    viz.label_points(ax, x, y, [f"case {i + 1}" for i in range(len(x))])
    overlaps = viz.overlapping_texts(fig)
    assert not [p for p in overlaps if p[0].startswith("case") and p[1].startswith("case")], overlaps


def test_dominant_and_log_or_highlight():
    assert viz.dominant([30, 40, 35, 1200])
    assert not viz.dominant([30, 40, 35, 60])
    fig, ax = plt.subplots()
    ax.bar(list("abcd"), [30, 40, 35, 1200])
    ax.set_ylabel("starts")
    assert viz.log_or_highlight(ax, [30, 40, 35, 1200])
    assert ax.get_yscale() == "symlog" and ax.get_ylabel() == "starts (log scale)"
    fig, ax = plt.subplots()
    ax.bar(list("abcd"), [30, 40, 35, 1200])
    assert viz.log_or_highlight(ax, [30, 40, 35, 1200], mode="clip")
    assert ax.get_ylim()[1] < 100
    assert not viz.log_or_highlight(ax, [30, 40, 35, 50])


def test_nothing_to_draw_says_why_and_draws_nothing():
    fig, ax = plt.subplots()
    ax.imshow(np.zeros((2, 2)))
    viz.nothing_to_draw(ax, "No ratings survive: the figure's values were lost in the text extraction.")
    assert not ax.axison and not ax.images
    assert [t.get_text() for t in ax.texts] == ["No ratings survive: the figure's values were lost in the text extraction."]


# --------------------------------------------------------------------------- result text as Markdown


def test_text_markdown_keeps_tables_aligned_and_makes_prose_of_the_rest():
    text = ("figure_id  reported  status\n---------  --------  ------\ncase_1     1730      exact\n\n"
            "exact: 1, rounding: 0\n\nNotes\n- case_1: 75 hours x the median rate £23.07")
    md = viz.text_markdown(text)
    assert "```text\nfigure_id  reported  status\n---------  --------  ------\ncase_1     1730      exact\n```" in md
    assert "\n\nexact: 1, rounding: 0\n\n" in md
    assert md.endswith("**Notes**\n\n- case\\_1: 75 hours x the median rate £23.07")


def test_text_markdown_escapes_markup_and_maths():
    md = viz.text_markdown("P(npv > 0) = 0.3 for unit_cost; ~25 and ~30 cost $5 *each*")
    assert md == "P(npv &gt; 0) = 0.3 for unit\\_cost; \\~25 and \\~30 cost \\$5 \\*each\\*"


def test_text_markdown_lines_of_statements_become_a_list():
    md = viz.text_markdown("fieldwork: April 2011\ncase studies: 9 boxes")
    assert md == "- fieldwork: April 2011\n- case studies: 9 boxes"
    assert viz.as_markdown("a\n\nb").data == "a\n\nb"
    assert viz.markdown("**x**", "", "y").data == "**x**\n\ny"


def test_text_markdown_takes_sentences_above_a_table_out_of_the_code_block():
    md = viz.text_markdown("NPV at the central values: £-1,430,008\nrate  0 to 1  swing 5\ncost  1 to 2  swing 3")
    assert md == "NPV at the central values: £-1,430,008\n\n```text\nrate  0 to 1  swing 5\ncost  1 to 2  swing 3\n```"
    header = viz.text_markdown("fin_year do_nothing\n 2017/18      8.018\n 2018/19      8.241")
    assert header.startswith("```text\nfin_year do_nothing")


def test_table_labels_columns_and_code_name_values_but_leaves_text_and_the_input():
    import pandas as pd

    df = pd.DataFrame({
        "parameter": ["programme_cost_per_yp", "n_cp_plans"],
        "value": [6473.28, 126.0],
        "source": ["(£1080000 DfE spend + £1464000 LA match) / 393", "l.1606"],
    })
    shown = viz.table(df)
    assert shown.columns.tolist() == ["parameter", "value", "source"]
    assert shown["parameter"].tolist() == ["programme cost per young person", "number of CP plans"]
    assert shown["source"].tolist() == df["source"].tolist()  # free text is not a code name
    assert df["parameter"].tolist() == ["programme_cost_per_yp", "n_cp_plans"]  # the input is untouched
    assert viz.table(pd.DataFrame({"yst_cost_gbp": [1.0]})).columns.tolist() == ["YST cost of the case (£)"]


def test_table_of_nothing_shows_nothing():
    assert viz.table(None) is None
