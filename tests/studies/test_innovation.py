"""Tests for the Learning from Innovation coding (seed 003) and evalkit.evidence."""

from __future__ import annotations

import re
import shutil
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import paths, schemas
from evalkit.report import Reproduction
from evalkit.schemas.innovation import derive_valence
from evalkit.studies.innovation import evidence as ev

DATA = paths.RAW / "003_learning_from_innovation"
TEMPLATE = ev.RATINGS_TEMPLATE
ILLUSTRATIVE = ev.ILLUSTRATIVE_RATINGS
TABLES = ("innovation_themes", "innovation_projects", "innovation_outcomes")


@pytest.fixture(scope="module")
def coding() -> ev.Coding:
    return ev.load_coding(DATA)


def _seed_lines() -> list[str] | None:
    p = paths.seed("003")
    return None if p is None else p.read_text(encoding="utf-8").split("\n")


def _span(spec: str) -> tuple[int, int]:
    a, _, b = spec.partition("-")
    return int(a), int(b or a)


# --------------------------------------------------------------------------- coding consistency


def test_folder_validates_without_problems():
    _, problems = schemas.validate_folder(DATA)
    assert problems == [], "\n".join(map(str, problems))


def test_every_outcome_project_exists(coding):
    assert set(coding.outcomes["project_id"]) <= set(coding.projects["project_id"])


def test_directions_from_fixed_set(coding):
    assert set(coding.outcomes["direction"]) <= set(ev.DIRECTIONS)


def test_pages_rise_within_each_theme_and_lie_inside_it(coding):
    starts = coding.themes.set_index("theme")["page"]
    for theme, sub in coding.projects.groupby("theme", sort=False):
        pages = list(sub["page"])
        assert all(b > a for a, b in pairwise(pages)), theme
        assert min(pages) > starts[theme]
    # themes themselves in page order
    assert coding.themes.sort_values("theme_order")["page"].is_monotonic_increasing


def test_outcome_pages_are_their_projects_pages(coding):
    merged = coding.outcomes.merge(coding.projects[["project_id", "page"]], on="project_id",
                                   suffixes=("", "_project"))
    assert (merged["page"] == merged["page_project"]).all()


def test_rating_fields_are_unknown_and_inference_is_labelled(coding):
    pr = coding.projects
    for c in ("impact_evaluation", "quality", "lacking_evidence", "cba", "cba_effect"):
        assert (pr[c] == "unknown").all(), c
    empty = pr["outcome_panel"] != "listed"
    assert set(pr.loc[empty, "project_id"]) == set(pr["project_id"]) - set(coding.outcomes["project_id"])
    assert (pr.loc[empty, "inference_impact_evaluation"] == "probably_no").all()
    assert pr.loc[~empty, "inference_impact_evaluation"].isna().all()
    assert pr.loc[empty, "inference_basis"].str.startswith("INFERENCE").all()


def test_valence_column_follows_rule(coding):
    assert (ev.code_valence(coding.outcomes) == coding.outcomes["valence"]).all()


def test_headline_counts_match_my_count_of_the_seed(coding):
    # Counted independently from the seed text (grep of direction lines after l.316 and of
    # '## ' dashboard headings): 44 dashboards, 11 themes, 105 findings 39/20/42/4, 10 empty panels.
    h = ev.headline_counts(coding)
    assert (h["projects"], h["themes"], h["findings"]) == (44, 11, 105)
    assert (h["findings_increase"], h["findings_decrease"], h["findings_no_change"],
            h["findings_inconclusive"]) == (39, 20, 42, 4)
    assert (h["projects_with_outcomes"], h["projects_empty_panel"]) == (34, 10)


# --------------------------------------------------------------------------- provenance against the seed


def test_outcome_rows_match_seed_lines(coding):
    lines = _seed_lines()
    if lines is None:
        pytest.skip("../shared/seeds/003_*.txt not present: cannot check provenance")
    for _, r in coding.outcomes.iterrows():
        a, b = _span(r["seed_lines"])
        assert lines[b - 1].strip() == r["direction"], (r["project_id"], r["outcome_order"])
        label = " ".join(x.strip() for x in lines[a - 1 : b - 1] if x.strip())
        assert label == r["outcome"], (r["project_id"], r["outcome_order"])


def test_every_direction_line_in_seed_is_coded(coding):
    lines = _seed_lines()
    if lines is None:
        pytest.skip("../shared/seeds/003_*.txt not present")
    # the key (l.29-93) uses the same words; dashboards start after 'UNDERSTANDING THE RATINGS'
    found = [i for i, x in enumerate(lines, 1) if i > 316 and x.strip() in ev.DIRECTIONS]
    coded = sorted(_span(s)[1] for s in coding.outcomes["seed_lines"])
    assert found == coded


def test_project_rows_match_contents_and_headings(coding):
    lines = _seed_lines()
    if lines is None:
        pytest.skip("../shared/seeds/003_*.txt not present")
    headings = [i for i, x in enumerate(lines, 1) if x.startswith("## ") and i > 316
                and x[3:].strip() not in {"OUTCOMES AND RESULTS:", "Was there an impact evaluation?",
                                          "Was there a cost benefit analysis?", "Conducted by:"}]
    assert len(headings) == len(coding.projects)
    for _, r in coding.projects.iterrows():
        toc, block = r["seed_lines"].split(";")
        toc_line = lines[int(toc) - 1]
        assert r["project"] in toc_line and re.search(rf"\b{r['page']}\s*$", toc_line), r["project_id"]
        start = _span(block)[0]
        assert start in headings and lines[start - 1] == f"## {r['heading']}"
        ev_a, ev_b = _span(r["evaluator_lines"])
        assert " ".join(x.strip() for x in lines[ev_a - 1 : ev_b]) == r["evaluator"]


def test_stated_figures_verbatim_on_their_lines():
    lines = _seed_lines()
    if lines is None:
        pytest.skip("../shared/seeds/003_*.txt not present")
    stated = schemas.load_table(DATA, "stated_figures")
    for _, r in stated.iterrows():
        a, b = _span(r["seed_lines"])
        text = re.sub(r"\s+", " ", " ".join(x.strip() for x in lines[a - 1 : b]))
        for part in r["verbatim"].split(" ... "):
            assert part.strip() in text, r["figure_id"]


# --------------------------------------------------------------------------- aggregates


def _tiny(tmp_path: Path | None = None) -> ev.Coding:
    themes = pd.DataFrame({"theme_order": [1, 2, 3], "theme": ["A", "B", "C"], "page": [1, 10, 20]})
    projects = pd.DataFrame({
        "project_id": ["P01", "P02", "P03", "P04"], "project": ["a", "b", "c", "d"],
        "theme": ["A", "A", "B", "C"], "page": [2, 4, 12, 22],
        "outcome_panel": ["listed", "listed", "listed", "empty_placeholder_boxes"],
    })
    outcomes = pd.DataFrame({
        "project_id": ["P01", "P01", "P02", "P03"], "outcome_order": [1, 2, 1, 1],
        "direction": ["Increase", "No change", "Decrease", "Increase"], "page": [2, 2, 4, 12],
        "domain": ["wellbeing", "wellbeing", "placements", "wellbeing"],
        "measure_level": ["child_or_family", "child_or_family", "la_aggregate", "practitioner_or_carer"],
        "desired_direction": ["increase", "increase", "increase", "unclear"],
    })
    outcomes["valence"] = ev.code_valence(outcomes)
    return ev.Coding(themes=themes, projects=projects, outcomes=outcomes)


def test_aggregates_on_constructed_coding():
    c = _tiny()
    t = ev.projects_by_theme(c).set_index("theme")
    assert list(t.loc["A", ["projects", "with_outcomes", "empty_panel", "findings"]]) == [2, 2, 0, 3]
    assert list(t.loc["C", ["projects", "with_outcomes", "empty_panel", "findings"]]) == [1, 0, 1, 0]
    assert list(t.loc["Total", ["projects", "findings"]]) == [4, 4]
    d = ev.directions_by(c, "theme")
    assert list(d.index) == ["A", "B", "C"]
    assert list(d.loc["A"]) == [1, 1, 1, 0, 3] and list(d.loc["C"]) == [0, 0, 0, 0, 0]
    dd = ev.directions_by(c, "domain")
    assert list(dd.index) == list(ev.DOMAINS)
    assert dd.loc["wellbeing", "Increase"] == 2 and dd.loc["cost", "total"] == 0
    v = ev.valence_by(c, "theme")
    assert list(v.loc["A", ["favourable", "unfavourable", "null"]]) == [1, 1, 1]
    assert v.loc["B", "ambiguous"] == 1
    assert ev.directions_used(c) == "increase; decrease; no change"


def test_aggregates_add_up_on_shipped_coding(coding):
    d = ev.directions_by(coding, "theme")
    assert d["total"].sum() == len(coding.outcomes)
    assert (d[ev.DIRECTIONS].sum() == coding.outcomes["direction"].value_counts().reindex(ev.DIRECTIONS)).all()
    assert ev.directions_by(coding, "domain")["total"].sum() == len(coding.outcomes)
    t = ev.projects_by_theme(coding)
    assert t.iloc[-1]["projects"] == len(coding.projects)
    assert ev.summary_page_span(coding) == coding.projects["page"].max() + 1 - coding.themes["page"].min() + 1


def test_valence_rules():
    assert derive_valence("Decrease", "decrease") == "favourable"
    assert derive_valence("Decrease", "increase") == "unfavourable"
    assert derive_valence("Increase", "unclear") == "ambiguous"
    assert derive_valence("No change", "increase") == "null"
    assert derive_valence("Inconclusive", "decrease") == "inconclusive"
    bad = pd.DataFrame({"direction": ["Increase", "Up"], "desired_direction": ["increase", "increase"]})
    with pytest.raises(ev.EvidenceError, match="row 3"):
        ev.code_valence(bad)
    with pytest.raises(ev.EvidenceError, match="desired_direction"):
        ev.code_valence(bad.drop(columns="desired_direction"))


def test_design_bridge(coding):
    b = ev.design_bridge(coding).set_index("project_id")
    assert (b["label"] == ev.BRIDGE_LABEL).all() and "NOT the designs" in ev.BRIDGE_LABEL
    assert b.loc["P03", "its_did_candidate"] and not b.loc["P03", "matching_candidate"]
    assert b.loc["P02", "matching_candidate"] and not b.loc["P02", "its_did_candidate"]
    empty = coding.projects.loc[coding.projects["outcome_panel"] != "listed", "project_id"]
    assert (b.loc[empty, "classification"] == "no outcomes summarised").all()
    assert (b[ev.MEASURE_LEVELS].sum(axis=1) == b["findings"]).all()
    assert b["findings"].sum() == len(coding.outcomes)


def test_gap_map_renders(coding):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = ev.evidence_gap_map(coding)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == len(coding.themes)
    assert len(ax.get_xticklabels()) == len(ev.DOMAINS)
    # one circle per (theme, domain, direction) combination present
    n_combos = len(coding.outcomes.merge(coding.projects[["project_id", "theme"]])
                   .groupby(["theme", "domain", "direction"]))
    circles = [p for p in ax.patches if type(p).__name__ == "Circle"]
    assert len(circles) == n_combos
    plt.close(fig)
    fig = ev.evidence_gap_map(coding, colour_by="valence")
    plt.close(fig)
    with pytest.raises(ev.EvidenceError, match="colour_by"):
        ev.evidence_gap_map(coding, colour_by="size")


# --------------------------------------------------------------------------- trend test


def _constructed(shares_by_level: dict[int, list[int]], per_level: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Projects at each level; each project's findings given as a list of 0/1 favourable flags."""
    out, rat, k = [], [], 0
    for level, flags in shares_by_level.items():
        for _ in range(per_level):
            k += 1
            pid = f"P{k:02d}"
            rat.append({"project_id": pid, "quality_level": level, "quality_scale_max": 5,
                        "impact_evaluation": "yes" if level >= 3 else "no"})
            for j, fav in enumerate(flags, 1):
                out.append({"project_id": pid, "outcome_order": j, "valence": "favourable" if fav else "null"})
    ratings = pd.DataFrame(rat)
    ratings["quality_level"] = ratings["quality_level"].astype("Int64")
    return pd.DataFrame(out), ratings


def test_trend_test_exact_small_case():
    # 4 projects, one finding each; favourable exactly at the two level-1 projects.
    # Of the 6 equally likely assignments of levels to projects, one is as extreme: p = 1/6.
    outcomes, ratings = _constructed({1: [1], 2: [0]}, per_level=2)
    r = ev.robustness_trend_test(outcomes, ratings, n_permutations=20000, seed=3)
    assert r.status == "tested"
    assert r.slope == pytest.approx(-1.0)
    assert r.perm_p_one_sided == pytest.approx(1 / 6, abs=0.015)
    assert r.gee is None  # perfect separation: GEE not estimable, reported as such
    assert "not estimable" in r.summary()


def test_trend_test_detects_constructed_negative_gradient():
    outcomes, ratings = _constructed(
        {1: [1, 1, 1], 2: [1, 1, 0], 3: [1, 0, 0], 4: [0, 0, 0], 5: [0, 0, 1]}, per_level=6
    )
    r = ev.robustness_trend_test(outcomes, ratings, n_permutations=2000, seed=1)
    assert r.verdict == "supported"
    assert r.slope < 0 and r.perm_p_one_sided < 0.005
    assert r.gee is not None and r.gee["slope_log_odds"] < 0 and r.gee["p_one_sided"] < 0.01
    ci = r.conf_int()
    assert ci.loc["robustness", "upper"] < 0
    assert list(r.by_level["findings"]) == [18] * 5
    assert ev.gradient_claim_value(r, "claim") == "claim"


def test_trend_test_reversed_gradient_is_not_support():
    outcomes, ratings = _constructed({1: [0, 0], 2: [0, 1], 3: [1, 1]}, per_level=6)
    r = ev.robustness_trend_test(outcomes, ratings, n_permutations=2000, seed=1)
    assert r.slope > 0
    assert r.verdict == "not supported"
    assert r.perm_p_one_sided > 0.9 and r.perm_p_two_sided < 0.05
    assert ev.gradient_claim_value(r, "claim") == "no evidence that claim"


def test_trend_test_no_gradient_gives_zero_slope_and_p_one():
    outcomes, ratings = _constructed({1: [1, 0], 2: [0, 1], 3: [1, 0]}, per_level=4)
    r = ev.robustness_trend_test(outcomes, ratings, n_permutations=999, seed=0)
    assert r.slope == pytest.approx(0.0, abs=1e-12)
    assert r.perm_p_two_sided == 1.0
    assert r.verdict == "not supported"


def test_gee_independence_equals_logistic_regression():
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    outcomes, ratings = _constructed({1: [1, 1, 0], 2: [1, 0, 0], 3: [0, 1, 0], 4: [0, 0, 1]}, per_level=5)
    # shuffle favourable flags so the data are not separable
    outcomes["valence"] = rng.permutation(outcomes["valence"].to_numpy())
    r = ev.robustness_trend_test(outcomes, ratings, cov_struct="independence", cov_type="robust",
                                 n_permutations=199)
    d = r.data
    logit = sm.Logit(d["favourable"], sm.add_constant(d["robustness"].to_numpy(float))).fit(disp=0)
    assert r.gee["slope_log_odds"] == pytest.approx(float(logit.params.iloc[1]), abs=1e-6)


def test_trend_test_is_seeded():
    outcomes, ratings = _constructed({1: [1, 0, 1], 2: [0, 1, 0], 3: [0, 0, 1]}, per_level=5)
    a = ev.robustness_trend_test(outcomes, ratings, n_permutations=499, seed=11)
    b = ev.robustness_trend_test(outcomes, ratings, n_permutations=499, seed=11)
    assert a.perm_p_one_sided == b.perm_p_one_sided and a.summary() == b.summary()


def test_trend_test_untestable_cases(coding):
    r = ev.robustness_trend_test(coding.outcomes, None)
    assert r.status == "untestable" and r.verdict == "untestable" and "lost" in r.reason
    assert ev.gradient_claim_value(r, "claim") is None
    assert "untestable" in r.summary()
    template = ev.load_ratings(TEMPLATE, coding)
    assert ev.robustness_trend_test(coding.outcomes, template).status == "untestable"
    outcomes, ratings = _constructed({3: [1, 0]}, per_level=4)
    one = ev.robustness_trend_test(outcomes, ratings)
    assert one.status == "untestable" and "one quality_level" in one.reason


def test_ambiguous_findings_excluded_by_default(coding):
    illus = ev.load_ratings(ILLUSTRATIVE, coding)
    r = ev.robustness_trend_test(coding.outcomes, illus, n_permutations=199)
    n_amb = int((coding.outcomes["valence"] == "ambiguous").sum())
    assert r.n_findings == len(coding.outcomes) - n_amb
    r2 = ev.robustness_trend_test(coding.outcomes, illus, exclude_valence=(), n_permutations=199)
    assert r2.n_findings == len(coding.outcomes)


# --------------------------------------------------------------------------- ratings files


def test_illustrative_file_is_flagged_and_regenerable(coding):
    illus = ev.load_ratings(ILLUSTRATIVE, coding)
    assert ev.is_illustrative(illus)
    assert (illus["illustrative"] == "yes").all()
    assert illus["notes"].str.contains("ILLUSTRATIVE").all()
    regen = ev.illustrative_ratings(coding, seed=2021)
    assert list(illus["project_id"]) == list(regen["project_id"])
    assert list(illus["quality_level"].astype(int)) == list(regen["quality_level"])
    # the illustrative file never lives in data/raw
    assert not any("illustrative" in p.name for p in paths.RAW.rglob("*.csv"))


def test_template_lists_every_project_and_is_empty(coding):
    t = ev.load_ratings(TEMPLATE, coding)
    assert list(t["project_id"]) == list(coding.projects["project_id"])
    assert t[["impact_evaluation", "quality_level", "quality_scale_max"]].isna().all().all()
    assert not ev.is_illustrative(t)


def test_opcit_proxy_counts():
    r = pd.DataFrame({"project_id": ["P01", "P02", "P03"], "impact_evaluation": ["yes", "no", None]})
    assert ev.opcit_proxy_counts(r) == {"with_impact_evaluation": 1, "without_impact_evaluation": 1, "rated": 2}
    assert ev.opcit_proxy_counts(None) is None


def test_record_programme_parameters_marks_all_p_ids():
    rep = Reproduction.from_folder(DATA)
    ids = ev.record_programme_parameters(rep)
    assert ids and all(re.match(r"^p\d{2}_", i) for i in ids)
    t = rep.table().set_index("figure_id")
    assert (t.loc[ids, "status"] == "not_reproducible").all()
    assert not t.loc[ids, "note"].str.contains("no reproduction attempted").any()


def test_record_rating_claims_statuses(coding):
    ids = ["opcit_stronger", "opcit_weaker", "robustness_gradient"]
    rep = Reproduction.from_folder(DATA)
    ev.record_rating_claims(rep, None, ev.robustness_trend_test(coding.outcomes, None))
    t = rep.table().set_index("figure_id").loc[ids]
    assert (t["status"] == "not_reproducible").all() and t["note"].str.contains("lost").all()

    illus = ev.load_ratings(ILLUSTRATIVE, coding)
    rep = Reproduction.from_folder(DATA)
    ev.record_rating_claims(rep, illus, ev.robustness_trend_test(coding.outcomes, illus, n_permutations=199))
    t = rep.table().set_index("figure_id").loc[ids]
    assert (t["status"] == "not_reproducible").all() and t["note"].str.contains("illustrative").all()

    # the same ratings presented as real: the claims are now checked, with computed statuses
    real = illus.assign(illustrative="no")
    res = ev.robustness_trend_test(coding.outcomes, real, n_permutations=199)
    rep = Reproduction.from_folder(DATA)
    ev.record_rating_claims(rep, real, res)
    t = rep.table().set_index("figure_id")
    n_yes = int((real["impact_evaluation"] == "yes").sum())
    assert t.loc["opcit_stronger", "reproduced"] == str(n_yes)
    assert t.loc["opcit_stronger", "status"] == ("exact" if n_yes == 12 else "discrepancy")
    expected = "exact" if res.verdict == "supported" else "discrepancy"
    assert t.loc["robustness_gradient", "status"] == expected


# --------------------------------------------------------------------------- bad input


def _copy(tmp_path: Path) -> Path:
    for t in (*TABLES, "stated_figures"):
        shutil.copy(DATA / f"{t}.csv", tmp_path / f"{t}.csv")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_outcome_with_unknown_project_is_reported(tmp_path):
    d = _copy(tmp_path)
    _edit(d / "innovation_outcomes.csv", "\nP44,1,", "\nP45,1,")
    with pytest.raises(schemas.InputError) as err:
        ev.load_coding(d)
    msg = str(err.value)
    assert "innovation_outcomes.csv" in msg and "unknown-project" in msg and "'P45'" in msg and "row 104" in msg


def test_direction_outside_fixed_set_is_reported(tmp_path):
    d = _copy(tmp_path)
    _edit(d / "innovation_outcomes.csv", "Placement moves,Decrease,", "Placement moves,Down,")
    with pytest.raises(schemas.InputError) as err:
        ev.load_coding(d)
    assert "column 'direction'" in str(err.value) and "row 7" in str(err.value)


def test_valence_breaking_rule_is_reported(tmp_path):
    d = _copy(tmp_path)
    _edit(d / "innovation_outcomes.csv", "decrease,favourable,fewer placement moves",
          "decrease,unfavourable,fewer placement moves")
    with pytest.raises(schemas.InputError, match="valence-rule"):
        ev.load_coding(d)


def test_pages_out_of_order_are_reported(tmp_path):
    d = _copy(tmp_path)
    _edit(d / "innovation_projects.csv", "Partners in Practice,20,", "Partners in Practice,16,")
    with pytest.raises(schemas.InputError) as err:
        ev.load_coding(d)
    msg = str(err.value)
    assert "page-order" in msg and "page-outside-theme" in msg and "row 3" in msg


def test_listed_panel_without_outcomes_is_reported(tmp_path):
    d = _copy(tmp_path)
    text = (d / "innovation_outcomes.csv").read_text(encoding="utf-8")
    kept = [ln for ln in text.split("\n") if not ln.startswith("P39,")]
    (d / "innovation_outcomes.csv").write_text("\n".join(kept), encoding="utf-8")
    with pytest.raises(schemas.InputError, match="panel-without-outcomes"):
        ev.load_coding(d)


def test_bad_ratings_file_is_reported(tmp_path, coding):
    p = tmp_path / "ratings.csv"
    p.write_text("project_id,impact_evaluation,quality_level,quality_scale_max\n"
                 "P01,yes,6,5\nP02,maybe,2,5\nP99,no,1,5\n", encoding="utf-8")
    with pytest.raises(schemas.InputError) as err:
        ev.load_ratings(p, coding)
    assert "column 'impact_evaluation'" in str(err.value) and "row 3" in str(err.value)
    p.write_text("project_id,impact_evaluation,quality_level,quality_scale_max\nP01,yes,6,5\nP99,no,1,5\n",
                 encoding="utf-8")
    with pytest.raises(schemas.InputError) as err:
        ev.load_ratings(p, coding)
    assert "level-on-scale" in str(err.value)
    p.write_text("project_id,impact_evaluation,quality_level,quality_scale_max\nP01,yes,4,5\nP99,no,1,5\n",
                 encoding="utf-8")
    with pytest.raises(schemas.InputError) as err:
        ev.load_ratings(p, coding)
    assert "unknown-project" in str(err.value) and "row 3" in str(err.value)
    assert ev.load_ratings(None, coding) is None and ev.load_ratings("", coding) is None


def test_bad_arguments_are_named(coding):
    outcomes, ratings = _constructed({1: [1], 2: [0]}, per_level=2)
    with pytest.raises(ev.EvidenceError, match="'robustness'"):
        ev.robustness_trend_test(outcomes, ratings, robustness="stars")
    with pytest.raises(ev.EvidenceError, match="'n_permutations'"):
        ev.robustness_trend_test(outcomes, ratings, n_permutations=5)
    with pytest.raises(ev.EvidenceError, match="'cov_struct'"):
        ev.robustness_trend_test(outcomes, ratings, cov_struct="ar1")
    with pytest.raises(ev.EvidenceError, match="'exclude_valence'"):
        ev.robustness_trend_test(outcomes, ratings, exclude_valence=("maybe",))
    with pytest.raises(ev.EvidenceError, match="'by'"):
        ev.directions_by(coding, by="evaluator")
