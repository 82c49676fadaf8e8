"""Plots and findings of notebooks 08 and 09: human labels, legends outside the data, no overprint, Markdown findings."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from evalkit import matching, viz  # noqa: E402
from evalkit.results import Summary  # noqa: E402
from evalkit.schemas import child_records  # noqa: E402
from evalkit.synthetic.cohort import make_cohort  # noqa: E402


@pytest.fixture(scope="module")
def matched():
    coh = make_cohort(seed=0, n_comparison=600)
    cov = child_records.covariates_present(coh.data)
    res = matching.match(coh.data, "received_service", cov, outcome=child_records.outcomes_present(coh.data),
                         distance="mahalanobis", caliper=None, seed=0)
    return coh, res


@pytest.fixture(autouse=True)
def _style():
    with matplotlib.rc_context():  # the style must not leak into other test modules
        viz.use_style()
        yield
    plt.close("all")


def _legend_clear_of_axes(fig, ax, leg):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    lb, ab = leg.get_window_extent(r), ax.get_window_extent(r)
    return min(lb.x1, ab.x1) <= max(lb.x0, ab.x0) or min(lb.y1, ab.y1) <= max(lb.y0, ab.y0)


def test_love_plot_has_human_labels_legend_outside_and_no_overprint(matched):
    _, res = matched
    fig = res.love_plot()
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks and not [t for t in ticks if "_" in t or "[" in t], ticks
    assert "edge of care" in ticks and "sex: male" in ticks
    assert _legend_clear_of_axes(fig, ax, ax.get_legend())
    assert viz.overlapping_texts(fig) == []


def test_effects_plot_one_panel_per_outcome_with_truth(matched):
    coh, res = matched
    fig = res.effects_plot(coh.truth)
    assert len(fig.axes) == len(res.outcomes)
    assert [a.get_title(loc="left") for a in fig.axes] == [viz.label(o, units=False) for o in res.outcomes]
    assert all(any(ln.get_linestyle() == "--" for ln in a.lines) for a in fig.axes)  # the truth line
    assert viz.overlapping_texts(fig) == []


def test_findings_are_markdown_with_stable_text(matched):
    coh, res = matched
    f = res.findings(coh.truth)
    assert isinstance(f, Summary)
    md, text = f._repr_markdown_(), str(f)
    assert md.startswith("### Findings") and "**entered care during follow-up**" in md
    assert "**" not in text and "entered care during follow-up" in text
    r = res.effects.set_index(["outcome", "estimator"]).loc[("months_in_care", "regression_adjusted")]
    assert f"{r['estimate']:+.3f}" in text
    assert text.count("True effect") == len(res.outcomes)
    assert "True effect" not in str(res.findings())


def test_survey_plots_and_findings():
    from evalkit import surveys
    from evalkit.synthetic import surveys as synth

    wide = synth.survey_folder(11)["survey_responses_wide"]
    rep = surveys.survey_baselines(wide, la_name="Testshire", truth=synth.truths(11), seed=11)
    ax = rep.plot_balance("professionals")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "mean rating at baseline" in ticks and not [t for t in ticks if "_" in t]
    assert _legend_clear_of_axes(ax.figure, ax, ax.get_legend())
    assert viz.overlapping_texts(ax.figure) == []
    ax = rep.plot_likert()
    assert not [t.get_text() for t in ax.get_yticklabels() if "likert_" in t.get_text()]
    f = rep.findings()
    md = f._repr_markdown_()
    assert "**Young people.**" in md and "Testshire" in md
    for phrase in ("recalled", "not cross-checked", "unverified", "verify before"):
        assert phrase not in md.lower()
    assert "sample at baseline" in rep.analysis_text("young_people")
