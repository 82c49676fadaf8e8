"""Tests of evalkit.surveys: scoring against hand-worked cases, RCI against a published
worked example, the attrition simulation, bad input, and suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit import schemas, surveys
from evalkit.schemas import surveys as survey_schemas
from evalkit.surveys import _resources as res
from evalkit.synthetic import surveys as synth

SDQ_COLS = [f"sdq_{i:02d}" for i in range(1, 26)]


def sdq_row(values: dict[int, float] | None = None, default: float = 0, rid: str = "A") -> pd.DataFrame:
    """One SDQ questionnaire: every item ``default`` (as ticked) except ``values``."""
    row = {c: default for c in SDQ_COLS}
    for k, v in (values or {}).items():
        row[f"sdq_{k:02d}"] = v
    return pd.DataFrame([{"respondent_id": rid, "wave": "baseline", **row}])


# ---------------------------------------------------------------- scoring rules as data


def test_sdq_keys_match_published_structure():
    keys = res.sdq_items()
    assert len(keys) == 25
    assert sorted(keys.loc[keys["reverse_scored"], "item"]) == [7, 11, 14, 21, 25]
    by = keys.groupby("subscale")["item"].apply(sorted).to_dict()
    assert by == {
        "emotional": [3, 8, 13, 16, 24],
        "conduct": [5, 7, 12, 18, 22],
        "hyperactivity": [2, 10, 15, 21, 25],
        "peer": [6, 11, 14, 19, 23],
        "prosocial": [1, 4, 9, 17, 20],
    }


def test_band_tables_cover_every_score_without_gaps():
    bands = res.sdq_bands()
    for (inf, scheme, score), g in bands.groupby(["informant", "scheme", "score"]):
        top = 40 if score == "total" else 10
        covered = sorted(v for _, r in g.iterrows() for v in range(int(r["low"]), int(r["high"]) + 1))
        assert covered == list(range(top + 1)), (inf, scheme, score)
        assert len(g) == (3 if scheme == "3band" else 4)
    assert set(bands["informant"]) == {"parent", "teacher", "self"}
    # every row says how far it was checked, in one of three words, and cites a source
    assert bands["checked"].str.match(r"^(verified|partly verified|unverified: source not found)").all()
    assert bands["source"].str.len().min() > 20


def test_reference_data_carries_no_session_notes():
    """Unverified values are worded as a property of the data, never as notes about how they were entered."""
    import pathlib

    for f in pathlib.Path(res.__file__).parent.parent.joinpath("resources", "scales").glob("*.csv"):
        text = f.read_text(encoding="utf-8").lower()
        for phrase in ("recalled", "this session", "not cross-checked", "verify before relying"):
            assert phrase not in text, (f.name, phrase)
    rel = res.reliabilities()
    assert rel["checked"].str.match(r"^(verified|unverified: source not found)").all()


def test_no_item_wording_ships():
    """Resources carry numbers and short variable names only, never questionnaire sentences."""
    files = sorted(res.SCALES_DIR.glob("*.csv"))
    assert len(files) >= 2, "no scale resources found: the check below would pass vacuously"
    for f in files:
        text = f.read_text(encoding="utf-8").lower()
        for phrase in ("considerate of other", "i worry a lot", "feeling optimistic", "been feeling"):
            assert phrase not in text, f.name


# ------------------------------------------------------------------- SDQ hand-worked


def test_sdq_all_zero_ticks_score_the_reversed_items():
    # Every item ticked "Not true" (0). Reversed items score 2: conduct gets item 7 (2),
    # hyperactivity items 21 and 25 (4), peer items 11 and 14 (4).
    s = surveys.score_sdq(sdq_row()).scores.iloc[0]
    assert (s["emotional"], s["conduct"], s["hyperactivity"], s["peer"], s["prosocial"]) == (0, 2, 4, 4, 0)
    assert s["total"] == 10
    assert s["internalising"] == 4  # emotional + peer
    assert s["externalising"] == 6  # conduct + hyperactivity


def test_sdq_reverse_item_certainly_true_scores_zero():
    # Item 7 ticked 2 ("certainly true" of a positive item) adds 0 to conduct; item 5 ticked 2 adds 2.
    s = surveys.score_sdq(sdq_row({7: 2, 5: 2})).scores.iloc[0]
    assert s["conduct"] == 2
    s = surveys.score_sdq(sdq_row({7: 0, 5: 0})).scores.iloc[0]
    assert s["conduct"] == 2
    s = surveys.score_sdq(sdq_row({7: 1})).scores.iloc[0]
    assert s["conduct"] == 1


def test_sdq_prorating_published_example_and_half_up():
    # sdqinfo: "a score of 4 based on 3 completed items can be scaled up to ... 7 (6.67 rounded up)".
    # Emotional items 3, 8, 13 answered 2, 1, 1; items 16 and 24 blank.
    s = surveys.score_sdq(sdq_row({3: 2, 8: 1, 13: 1, 16: np.nan, 24: np.nan}))
    assert s.scores.iloc[0]["emotional"] == 7
    assert s.scores.iloc[0]["emotional_items"] == 3
    assert any("prorated" in n for n in s.notes)
    # Four answered summing 2: 5 x 2/4 = 2.5 -> 3 (half up, not banker's rounding to 2).
    s = surveys.score_sdq(sdq_row({3: 1, 8: 1, 13: 0, 16: 0, 24: np.nan})).scores.iloc[0]
    assert s["emotional"] == 3
    # Four answered summing 3: 3.75 -> 4.
    s = surveys.score_sdq(sdq_row({3: 1, 8: 1, 13: 1, 16: 0, 24: np.nan})).scores.iloc[0]
    assert s["emotional"] == 4


def test_sdq_fewer_than_three_items_leaves_subscale_and_composites_missing():
    s = surveys.score_sdq(sdq_row({6: np.nan, 11: np.nan, 14: np.nan})).scores.iloc[0]
    assert np.isnan(s["peer"])
    assert np.isnan(s["total"]) and np.isnan(s["internalising"])
    assert s["externalising"] == 6  # does not use peer


def test_sdq_bands_hand_worked():
    # Self-report 3-band total: 0-15 normal, 16-19 borderline, 20-40 abnormal.
    # All-zero ticks give total 10; raise emotional items to move the total.
    def total_band(extra: dict[int, float], informant="self", bands="3band"):
        s = surveys.score_sdq(sdq_row(extra), informant=informant, bands=bands).scores.iloc[0]
        return s["total"], s["total_band"]

    assert total_band({3: 2, 8: 2, 13: 1}) == (15, "normal")
    assert total_band({3: 2, 8: 2, 13: 2}) == (16, "borderline")
    assert total_band({3: 2, 8: 2, 13: 2, 16: 2, 24: 2}) == (20, "abnormal")
    # Parent 3-band (cross-checked): 14-16 borderline.
    assert total_band({3: 2, 8: 2}, informant="parent") == (14, "borderline")
    # Teacher 4-band hyperactivity (cross-checked): 8 is "high". Reversed 21, 25 give 4;
    # ticking 2, 10 as 2 adds 4.
    s = surveys.score_sdq(sdq_row({2: 2, 10: 2}), informant="teacher", bands="4band").scores.iloc[0]
    assert (s["hyperactivity"], s["hyperactivity_band"]) == (8, "high")


# ---------------------------------------------------------------- WEMWBS / SWEMWBS


def test_swemwbs_conversion_published_values():
    assert surveys.swemwbs_metric(7) == 7.00
    assert surveys.swemwbs_metric(21) == 19.25
    assert surveys.swemwbs_metric(28) == 25.03
    assert surveys.swemwbs_metric(35) == 35.00
    table = res.swemwbs_conversion()
    assert list(table.index) == list(range(7, 36))
    assert table.is_monotonic_increasing
    with pytest.raises(ValueError, match="7 to 35"):
        surveys.swemwbs_metric(36)
    with pytest.raises(ValueError, match="whole numbers"):
        surveys.swemwbs_metric(20.5)


def test_swemwbs_from_own_items_and_from_wemwbs_items():
    own = pd.DataFrame([{"respondent_id": "A", "wave": "baseline", **{f"swemwbs_{i:02d}": 3 for i in range(1, 8)}}])
    s = surveys.score_swemwbs(own).scores.iloc[0]
    assert (s["raw"], s["metric"]) == (21, 19.25)
    # From WEMWBS: SWEMWBS uses items 1, 2, 3, 6, 7, 9, 11 only; others set to 5 must not count.
    w = {f"wemwbs_{i:02d}": (4 if i in (1, 2, 3, 6, 7, 9, 11) else 5) for i in range(1, 15)}
    wem = pd.DataFrame([{"respondent_id": "B", "wave": "baseline", **w}])
    s = surveys.score_swemwbs(wem)
    assert (s.scores.iloc[0]["raw"], s.scores.iloc[0]["metric"]) == (28, 25.03)
    assert surveys.score_wemwbs(wem).scores.iloc[0]["total"] == 4 * 7 + 5 * 7


def test_wemwbs_missing_items_complete_case_by_default():
    w = {f"wemwbs_{i:02d}": 4 for i in range(1, 15)}
    w["wemwbs_05"] = np.nan
    df = pd.DataFrame([{"respondent_id": "A", "wave": "baseline", **w}])
    assert np.isnan(surveys.score_wemwbs(df).scores.iloc[0]["total"])
    r = surveys.score_wemwbs(df, max_missing=1)
    assert r.scores.iloc[0]["total"] == 56
    assert any("filled with the person's item mean" in n for n in r.notes)


# ------------------------------------------------------------------- bad inputs


def test_out_of_range_response_names_respondent_and_item_and_is_not_clipped():
    df = sdq_row({7: 3}, rid="YP042")
    with pytest.raises(surveys.ScaleInputError) as err:
        surveys.score_sdq(df, source="survey_responses_wide.csv")
    msg = str(err.value)
    assert "YP042" in msg and "sdq_07" in msg and "out-of-range" in msg and "0-2" in msg


def test_text_in_numeric_item_names_respondent_and_item():
    df = sdq_row({12: "often"}, rid="YP007")
    with pytest.raises(surveys.ScaleInputError) as err:
        surveys.score_sdq(df)
    assert "YP007" in str(err.value) and "sdq_12" in str(err.value) and "not a number" in str(err.value)


def test_missing_item_columns_is_a_clear_error():
    with pytest.raises(surveys.ScaleInputError, match="sdq_25"):
        surveys.score_sdq(sdq_row().drop(columns=["sdq_25"]))


def _write(tmp_path, name: str, text: str):
    p = tmp_path / f"{name}.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_schema_out_of_range_and_text_name_respondent(tmp_path):
    p = _write(tmp_path, "survey_responses_wide",
               "respondent_id,wave,sex,sdq_01,swemwbs_01,likert_01\n"
               "A1,baseline,female,3,4,5\nA2,baseline,male,1,often,2\nA3,baseline,male,1,3,6\n")
    with pytest.raises(schemas.InputError) as err:
        schemas.read_table(p)
    msg = str(err.value)
    assert "row 2: column 'sdq_01': [out-of-range] respondent 'A1' (baseline), item sdq_01" in msg
    assert "respondent 'A2'" in msg and "text-in-numeric-item" in msg and "swemwbs_01" in msg
    assert "respondent 'A3'" in msg and "likert_01" in msg


def test_schema_item_checks_agree_cell_by_cell(tmp_path):
    """Plain digits in range pass without a message; every other way of writing an answer is decided
    cell by cell, as before the fast path (whole numbers such as "2.0" and " 2 " pass; "nan" and
    "inf" are answers outside the scale, not a crash)."""
    p = _write(tmp_path, "survey_responses_wide",
               "respondent_id,wave,sdq_01,likert_01\n"
               "A1,baseline,2.0, 2 \nA2,baseline,,5\nA3,baseline,nan,1\nA4,baseline,0,inf\n"
               "A5,baseline,02,2.5\nA6,baseline,-0,1e0\n")
    with pytest.raises(schemas.InputError) as err:
        schemas.read_table(p)
    flagged = {(x.row, x.column, x.rule) for x in err.value.problems}
    assert flagged == {(4, "sdq_01", "out-of-range"), (5, "likert_01", "out-of-range"),
                       (6, "likert_01", "out-of-range")}


def test_schema_duplicate_respondent(tmp_path):
    p = _write(tmp_path, "survey_responses_wide",
               "respondent_id,wave,likert_01\nA1,baseline,3\nA1,baseline,4\n")
    with pytest.raises(schemas.InputError, match=r"row 3.*duplicate-key.*respondent_id='A1'"):
        schemas.read_table(p)


def test_schema_follow_up_without_baseline(tmp_path):
    p = _write(tmp_path, "survey_responses_wide",
               "respondent_id,wave,likert_01\nA1,baseline,3\nB9,follow_up,4\n")
    with pytest.raises(schemas.InputError, match=r"follow-up-without-baseline.*'B9'"):
        schemas.read_table(p)


def test_schema_missing_wave_column(tmp_path):
    p = _write(tmp_path, "survey_responses_wide", "respondent_id,likert_01\nA1,3\n")
    with pytest.raises(schemas.InputError, match=r"column 'wave'.*missing"):
        schemas.read_table(p)


def test_schema_long_layout_checks(tmp_path):
    p = _write(tmp_path, "survey_responses_long",
               "respondent_id,wave,item,response\nA1,baseline,sdq_01,2\nA1,baseline,sdq_02,5\n"
               "A1,baseline,favourite_colour,3\n")
    with pytest.raises(schemas.InputError) as err:
        schemas.read_table(p)
    assert "respondent 'A1' (baseline), item sdq_02: '5' is outside" in str(err.value)
    assert "unknown-item" in str(err.value)


def test_link_waves_errors():
    ok = pd.DataFrame({"respondent_id": ["a", "b", "a"], "wave": ["baseline", "baseline", "follow_up"], "s": [1, 2, 3]})
    linked = surveys.link_waves(ok, ["s"])
    assert linked.loc["a", "s_follow_up"] == 3 and not linked.loc["b", "followed_up"]
    with pytest.raises(surveys.WaveError, match="'wave' is missing"):
        surveys.link_waves(ok.drop(columns=["wave"]), ["s"])
    with pytest.raises(surveys.WaveError, match=r"\['c'\] have a follow-up but no baseline"):
        surveys.link_waves(pd.concat([ok, pd.DataFrame({"respondent_id": ["c"], "wave": ["follow_up"], "s": [1]})]), ["s"])
    with pytest.raises(surveys.WaveError, match="more than once"):
        surveys.link_waves(pd.concat([ok, ok.iloc[[0]]]), ["s"])


def test_load_responses_with_other_id_column_and_long_layout(tmp_path):
    (tmp_path / "survey_responses_wide.csv").write_text(
        "child_ref,wave,likert_01\nA1,baseline,3\nA1,follow_up,4\n", encoding="utf-8")
    df = surveys.load_responses(tmp_path, id_column="child_ref")
    assert list(df["respondent_id"]) == ["A1", "A1"] and df["likert_01"].dtype.kind in "if"
    with pytest.raises(schemas.InputError, match="respondent_id"):
        surveys.load_responses(tmp_path)  # the default id column is absent
    long = tmp_path / "long"
    long.mkdir()
    (long / "survey_responses_long.csv").write_text(
        "respondent_id,wave,item,response,sex\nA1,baseline,likert_01,3,f\nA1,baseline,likert_02,,f\n"
        "A1,follow_up,likert_01,4,f\n", encoding="utf-8")
    wide = surveys.load_responses(long)
    assert set(wide.columns) >= {"respondent_id", "wave", "sex", "likert_01", "likert_02"}
    assert wide.loc[wide["wave"] == "follow_up", "likert_01"].iloc[0] == 4


def test_templates_header_match_schemas():
    from evalkit.paths import ROOT

    tdir = ROOT / "evalkit" / "resources" / "templates"
    wide = (tdir / "survey_responses_wide.csv").read_text().strip().split(",")
    assert wide[:2] == ["respondent_id", "wave"]
    assert all(survey_schemas.item_range(c) is not None for c in wide if c.startswith(("sdq_", "swemwbs_", "likert_")))
    long = (tdir / "survey_responses_long.csv").read_text().strip().split(",")
    assert set(schemas.get_spec("survey_responses_long").required_columns()) <= set(long)
    ratings = (tdir / "case_study_ratings.csv").read_text().strip().split(",")
    if "case_study_ratings" in schemas.REGISTRY:
        assert set(schemas.get_spec("case_study_ratings").required_columns()) <= set(ratings)


# -------------------------------------------------------------------- change


def test_paired_change_matches_scipy_and_hodges_lehmann_inverts_wilcoxon():
    rng = np.random.default_rng(4)
    b = rng.normal(20, 5, 25)
    f = b + rng.normal(-1.5, 3, 25)
    pc = surveys.paired_change(b, f, higher_is_better=False)
    tt = stats.ttest_rel(f, b)
    assert pc.t == pytest.approx(tt.statistic) and pc.p_t == pytest.approx(tt.pvalue)
    assert pc.ci_t[0] == pytest.approx(tt.confidence_interval().low)
    d = f - b
    walsh = [(d[i] + d[j]) / 2 for i in range(25) for j in range(i, 25)]
    assert pc.hodges_lehmann == pytest.approx(np.median(walsh))
    lo, hi = pc.ci_hodges_lehmann
    # The interval inverts the exact signed-rank test: just inside, p >= 0.05; just outside, p < 0.05.
    eps = 1e-6
    assert stats.wilcoxon(d - (lo + eps)).pvalue >= 0.05
    assert stats.wilcoxon(d - (hi - eps)).pvalue >= 0.05
    assert stats.wilcoxon(d - (lo - eps)).pvalue < 0.05
    assert stats.wilcoxon(d - (hi + eps)).pvalue < 0.05
    assert pc.dz == pytest.approx(d.mean() / d.std(ddof=1))
    assert pc.ci_dz[0] < pc.dz < pc.ci_dz[1]


def test_rci_published_worked_example():
    """Wodrich, 'How to calculate reliable change indexes (RCIs)' (University of Arizona open
    textbook, Appendix E): Piers-Harris-2 total, SEM 3.07 (Piers & Herzberg 2002); S_diff = 4.34,
    criterion 1.96 x 4.34 = 8.51; pretest 24, posttest 35, change 11 > 8.51: reliable change."""
    r = surveys.reliable_change([24], [35], sem=3.07, higher_is_better=True)
    assert round(r.s_diff, 2) == 4.34
    assert round(r.criterion, 2) == 8.51
    assert r.category[0] == "reliably improved"
    # Jacobson & Truax's own form, SEM = s1 * sqrt(1 - r_xx), gives the same index.
    sd = 10.0
    rel = 1 - (3.07 / sd) ** 2
    r2 = surveys.reliable_change([24], [35], reliability=rel, sd=sd)
    assert r2.rci[0] == pytest.approx(r.rci[0])
    # Direction: for a difficulty score the same rise is a reliable deterioration.
    r3 = surveys.reliable_change([24], [35], sem=3.07, higher_is_better=False)
    assert r3.category[0] == "reliably deteriorated"
    assert surveys.reliable_change([24], [30], sem=3.07).category[0] == "no reliable change"


def test_published_reliability_lookup_refuses_to_invent():
    row = surveys.published_reliability("WEMWBS", "total", "self")
    assert row["value"] in (0.89, 0.91, 0.87)
    with pytest.raises(ValueError, match="no verified published reliability"):
        surveys.published_reliability("SDQ", "internalising")
    # an unverified value stays in the file but is not used unless asked for
    with pytest.raises(ValueError, match="no verified published reliability"):
        surveys.published_reliability("SDQ", "total", "self")
    assert surveys.published_reliability("SDQ", "total", "self", verified_only=False)["value"] == 0.80


def test_change_without_a_verified_reliability_uses_the_sample_alpha_and_says_so():
    from evalkit.surveys.analysis import analyse_change, scale_item_alpha

    wide = synth.survey_folder(11)["survey_responses_wide"]
    alpha = scale_item_alpha(wide, "SDQ", "total")
    assert 0.5 < alpha < 1
    yp = wide[wide["respondent_group"] == "young_person"]
    ch = analyse_change(wide, "SDQ", informant="self", respondent_group="young_person")
    assert ch.rci.reliability == pytest.approx(scale_item_alpha(yp, "SDQ", "total"))
    assert "sample at baseline" in ch.rci.reliability_source and "unverified" not in ch.rci.reliability_source


# ------------------------------------------------------------------- attrition


def test_attrition_simulation_weighting_removes_bias_and_covers():
    """Follow-up depends on the baseline score, and change depends on it too. The weighted
    estimate must have much smaller bias than completers-only, and its 95% interval must
    cover the true mean change close to 95% of the time (40 seeded replicates: completers-only
    bias 0.57, weighted 0.09, coverage 0.975 with these seeds; the benchmark
    benchmarks/bench_survey_attrition.py runs 300 and the 52 -> 20 shape)."""
    est, cover = [], []
    for s in range(40):
        sim = synth.attrition_sample(2000 + s, n=200)
        d = sim.data
        w = surveys.nonresponse_weights(d, ["score_baseline", "group"], diagnostics=False).weights
        c = d[d["followed_up"]]
        change = (c["score_follow_up"] - c["score_baseline"]).to_numpy()
        un = surveys.weighted_mean(change)
        wm = surveys.weighted_mean(change, w.reindex(c.index).to_numpy())
        est.append((un.mean, wm.mean))
        cover.append(wm.ci[0] <= sim.truth["population_change"] <= wm.ci[1])
    est = np.array(est)
    bias_un, bias_w = est[:, 0].mean() + 2.0, est[:, 1].mean() + 2.0
    assert bias_un > 0.3  # the scenario really is biased for completers-only
    assert abs(bias_w) < 0.25 * abs(bias_un)
    assert 0.87 <= np.mean(cover) <= 0.995


def test_attrition_table_and_verdict_on_52_to_20():
    sim = synth.professionals_survey(11)
    assert sim.data["wave"].value_counts().to_dict() == {"baseline": 52, "follow_up": 20}
    a = surveys.analyse_change(sim.data, "LIKERT")
    assert a.verdict.level == "too heavy to trust"
    assert "only 20 of 52" in a.verdict.text and "not the 52 who started" in a.verdict.text
    t = a.attrition_table()
    assert {"covariate", "followed_up", "lost", "asmd"} <= set(t.columns)
    est = a.estimates()
    assert list(est["estimate"])[:3] == ["everyone at baseline", "completers, unweighted", "completers, weighted (ipw)"]
    v = surveys.attrition_verdict(100, 92, pd.Series({"x": 0.03}), pd.Series({"x": 0.01}), 90)
    assert v.level == "acceptable"


def test_young_people_truth_matches_monte_carlo():
    big = synth.young_people_cohort(3, n=12000, blank_rate=0)
    assert big.truth["sdq_total_cohort_change"] == pytest.approx(big.truth["sdq_total_population_change"], abs=0.15)
    assert big.truth["swemwbs_metric_cohort_change"] == pytest.approx(
        big.truth["swemwbs_metric_population_change"], abs=0.15)


# ------------------------------------------------------------ ratings, suppression


def test_likert_summary_intervals_and_suppression():
    long = pd.DataFrame({"respondent_group": ["parent"] * 12, "item": ["overall"] * 12,
                         "rating": [5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 1]})
    ls = surveys.likert_summary(long, value="rating", by=["respondent_group"], labels=surveys.RATING5)
    cat = ls.categories().iloc[0]
    assert cat["n_5"] == 6 and cat["n_4"] == "c" and cat["n"] == 12  # five answers: suppressed (DfE: 1-5)
    assert cat["n_1"] == "c" and cat["pct_1"] == "c"  # one answer: suppressed with its share
    st = ls.statistics().iloc[0]
    lo, hi = surveys.proportion_ci(11, 12, method="wilson")
    assert st["pct_positive_low"] == round(100 * lo, 1) and st["pct_positive_high"] == round(100 * hi, 1)
    assert st["median"] == 4.5  # 12 answers: mean of the 6th (4) and 7th (5)
    ex = surveys.likert_summary(long, value="rating", by=["respondent_group"], method="exact")
    assert float(ex.statistics().iloc[0]["pct_positive_low"]) < float(st["pct_positive_low"])  # exact is wider
    small = surveys.likert_summary(long.iloc[:3], value="rating", by=["respondent_group"])
    assert small.statistics().iloc[0]["mean"] == "c"  # fewer than 5 answers: statistics hidden
    with pytest.raises(schemas.InputError, match="not one of the scale values"):
        surveys.likert_summary(long.assign(rating=[6] + [5] * 11), value="rating")


def test_tables_leaving_the_module_are_suppressed():
    from evalkit import disclosure

    yp = synth.young_people_cohort(11)
    a = surveys.analyse_change(yp.data, "SDQ")
    for t, counts in [(a.rci_table(), ["n_improved", "n_no_change", "n_deteriorated", "n"]),
                      (a.baseline_bands(), ["count", "n"]), (a.change_table(), ["n"]),
                      (a.estimates(), ["n"]), (a.baseline_profile(), ["n"])]:
        assert disclosure.unsuppressed_small_counts(t, counts) == []
        assert disclosure.id_like_columns(t) == []


def test_slope_chart_aggregates_real_data_into_groups_of_five():
    """With min_group, no line is an individual: each joins means of >= 5 respondents."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from evalkit.surveys.plots import slope_chart

    rng = np.random.default_rng(0)
    b = rng.normal(20, 4, 23)
    f = b + rng.normal(1, 2, 23)
    ax = slope_chart(b, f, min_group=5)
    thin = [ln for ln in ax.get_lines() if ln.get_linewidth() == 1]
    assert len(thin) == 23 // 5  # 4 group lines, not 23 individual ones
    starts = sorted(ln.get_ydata()[0] for ln in thin)
    first = np.array_split(np.argsort(b, kind="stable"), 4)[0]  # sizes 6, 6, 6, 5
    assert starts[0] == pytest.approx(b[first].mean()) and len(first) >= 5
    assert "groups of >= 5" in ax.get_title()


@pytest.mark.parametrize(("t", "n"), [(-4.5, 2), (-1.2, 30), (0.7, 12), (6.0, 4)])
def test_dz_interval_inverts_the_noncentral_t_even_where_its_tails_are_nan(t, n):
    # the bracket reaches noncentralities where scipy >= 1.15 returns NaN for the cdf (e.g.
    # t=-4.5, df=1 at nc=9); the interval's ends must still be where the cdf is 1 - a/2 and a/2
    from evalkit.surveys.change import _dz_interval

    low, high = _dz_interval(t, n, 0.05)
    assert np.isfinite(low) and np.isfinite(high) and low < t / np.sqrt(n) < high
    assert stats.nct.cdf(t, n - 1, low * np.sqrt(n)) == pytest.approx(0.975, abs=1e-9)
    assert stats.nct.cdf(t, n - 1, high * np.sqrt(n)) == pytest.approx(0.025, abs=1e-9)
