"""Ofsted, 'Edging away from care' (seed 004): cost-avoidance arithmetic against hand-worked values,
the sample profile, the success-feature checklist, bad input, and the transcription's consistency."""

from __future__ import annotations

import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from evalkit import paths, report, schemas
from evalkit.studies.ofsted import cost_avoidance as ca
from evalkit.studies.ofsted.cost_avoidance import CostAvoidance, CostAvoidanceError

from .test_glos_iis import verbatim_problems

FOLDER = paths.RAW / "004_ofsted_edging_away"


@pytest.fixture(scope="module")
def tables():
    return ca.load_tables(FOLDER)


# --------------------------------------------------------------------------- arithmetic


def test_annualise_hand_worked():
    assert ca.annualise(1500) == 78_000
    assert ca.annualise(6000) == 312_000
    assert ca.annualise(6000, 365 / 7) == pytest.approx(312_857.142857)
    assert ca.annualise([1500, 6000]).tolist() == [78_000, 312_000]


def test_cost_range_table(tables):
    low, high = ca.weekly_range(tables["ofsted_costs"])
    assert (low, high) == (1500, 6000)
    t = ca.cost_range_table(low, high).set_index("point")
    assert t.loc["midpoint", "weekly"] == 3750 and t.loc["geometric mean", "weekly"] == pytest.approx(3000)
    assert t.loc["geometric mean", "annual_52"] == pytest.approx(156_000)
    assert t.loc["low", "annual_365_7"] == pytest.approx(1500 * 365 / 7)


def test_calculator_hand_worked():
    c = CostAvoidance(weekly_low=1500, weekly_high=6000, weeks_in_care=26, p_care=0.5, intervention_cost=10_000)
    assert c.net_saving(1500) == pytest.approx(0.5 * 26 * 1500 - 10_000)  # 9,500
    assert c.break_even_weeks(1500) == pytest.approx(10_000 / 750)  # 13.33 weeks
    assert c.break_even_weeks(6000) == pytest.approx(10_000 / 3000)
    t = c.table().set_index("point")
    assert t.loc["high", "net_saving"] == pytest.approx(0.5 * 26 * 6000 - 10_000)
    assert t.loc["low", "annual"] == 78_000
    zero = CostAvoidance(p_care=0.0, intervention_cost=1.0)
    assert math.isinf(zero.break_even_weeks(1500))


def test_savings_in_placement_terms(tables):
    c = CostAvoidance.from_costs(tables["ofsted_costs"])
    s = c.against_savings(ca.stated_savings(tables["ofsted_costs"])).set_index("item")
    one = s.loc["saving_one_family"]
    assert one["weeks_at_low"] == pytest.approx(62.0)  # 93,000 / 1,500
    assert one["weeks_at_high"] == pytest.approx(15.5)  # 93,000 / 6,000
    assert one["years_at_low"] == pytest.approx(62 / 52)
    assert one["young_people_at_low"] == pytest.approx(93_000 / 78_000)  # p = 1, a year, no cost
    budget = s.loc["saving_childrens_services_budget"]
    assert budget["years_at_low"] == pytest.approx(688_000 / 1500 / 52)
    assert budget["years_at_high"] == pytest.approx(688_000 / 6000 / 52)
    costly = CostAvoidance(intervention_cost=400_000)
    assert np.isnan(costly.against_savings(ca.stated_savings(tables["ofsted_costs"]))["young_people_at_low"]).all()


def test_grid():
    g = CostAvoidance(p_care=0.5, intervention_cost=1000).grid([0, 10])
    assert g.loc[(g["point"] == "low") & (g["weeks_in_care"] == 10), "net_saving"].iloc[0] == pytest.approx(6500)


def test_feasible_splits():
    assert ca.feasible_splits(11, 43) == [{3: 1, 4: 10}]
    assert ca.feasible_splits(11, 33) == [{3: 11, 4: 0}]
    assert ca.feasible_splits(11, 50) == []


def test_sample_profile(tables):
    p = ca.sample_profile(tables["ofsted_sample"], tables["ofsted_survey_design"]).set_index("measure")["value"]
    assert p["people interviewed"] == 72
    assert p["families per local authority"] == pytest.approx(43 / 11)
    assert p["families with no young person interviewed"] == 4
    assert p["families with no parent or carer interviewed"] == 10
    assert p["splits of 3 or 4 families per LA giving 43"] == 1


def test_case_ages(tables):
    a = ca.case_ages(tables["ofsted_case_studies"])
    assert (a["boxes"], a["with_age"], a["min"], a["max"]) == (9, 5, 13, 16)
    assert a["mean"] == pytest.approx((14 + 14 + 15 + 13 + 16) / 5)
    assert (a["female"], a["male"]) == (3, 2)


def test_checklist_and_scoring(tables):
    feats = tables["ofsted_success_features"]
    blank = ca.checklist(feats)
    assert len(blank) == len(feats) and (blank["score"] == "").all()
    assert list(ca.covariates(feats)["covariate"]) == list(feats["covariate"])
    ids = feats.loc[feats["domain"] == "multi_agency", "feature_id"].tolist()[:3]
    assessment = pd.DataFrame({"feature_id": ids + ["F01"], "score": [2, 1, 0, 2]})
    s = ca.score_checklist(feats, assessment).set_index("domain")
    assert s.loc["multi_agency", "scored"] == 3 and s.loc["multi_agency", "score"] == 3
    assert s.loc["multi_agency", "percent"] == pytest.approx(50.0)
    assert s.loc["all", "scored"] == 4 and s.loc["all", "fully"] == 2 and s.loc["all", "max_score"] == 8
    assert s.loc["all", "features"] == len(feats)
    assert np.isnan(s.loc["measurement", "percent"])
    by = ca.features_by_domain(feats)
    assert by["features"].sum() == len(feats)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"p_care": 1.5}, "p_care must be <= 1"),
        ({"p_care": -0.1}, "p_care must be >= 0"),
        ({"weekly_low": 7000}, "weekly_high \\(6000\\) is below weekly_low \\(7000\\)"),
        ({"weekly_low": 0}, "weekly_low must be > 0"),
        ({"weeks_per_year": 0}, "weeks_per_year must be > 0"),
        ({"weeks_in_care": float("nan")}, "weeks_in_care must be a finite number"),
        ({"intervention_cost": "a lot"}, "intervention_cost must be a number"),
    ],
)
def test_bad_calculator_input(kw, match):
    with pytest.raises(CostAvoidanceError, match=match):
        CostAvoidance(**kw)


def test_bad_inputs_elsewhere(tables):
    with pytest.raises(CostAvoidanceError, match="weekly cost must be finite and >= 0"):
        ca.annualise(-5)
    with pytest.raises(CostAvoidanceError, match="unknown cost-avoidance parameter"):
        CostAvoidance.from_costs(tables["ofsted_costs"], weeks=3)
    with pytest.raises(CostAvoidanceError, match="no row of kind 'unit_cost' per 'week'"):
        ca.weekly_range(tables["ofsted_costs"].loc[tables["ofsted_costs"]["kind"] == "saving"])
    feats = tables["ofsted_success_features"]
    with pytest.raises(CostAvoidanceError, match="'F99'.* are not success features"):
        ca.score_checklist(feats, pd.DataFrame({"feature_id": ["F99"], "score": [1]}))
    with pytest.raises(CostAvoidanceError, match="row 2: column 'score': 3 is not 0, 1 or 2"):
        ca.score_checklist(feats, pd.DataFrame({"feature_id": ["F01"], "score": [3]}))
    with pytest.raises(CostAvoidanceError, match="groups \\['parents_carers'\\] are missing"):
        ca.sample_profile(tables["ofsted_sample"].iloc[:3])


def test_self_assessment_file_is_validated(tmp_path, tables):
    folder = tmp_path / "la"
    folder.mkdir()
    shutil.copy(FOLDER / "ofsted_success_features.csv", folder)
    (folder / "edge_of_care_self_assessment.csv").write_text(
        "feature_id,score,evidence\nF01,2,named key workers\nF02,5,\nF77,1,\n", encoding="utf-8"
    )
    with pytest.raises(schemas.InputError) as err:
        schemas.load_table(folder, "edge_of_care_self_assessment")
    assert "row 3" in str(err.value) and "column 'score'" in str(err.value)
    (folder / "edge_of_care_self_assessment.csv").write_text(
        "feature_id,score\nF01,2\nF77,1\n", encoding="utf-8"
    )
    _, problems = schemas.validate_folder(folder)
    assert any(p.rule == "unknown-feature" and p.row == 3 for p in problems)


def test_inconsistent_sample_is_caught(tmp_path):
    folder = tmp_path / "004"
    shutil.copytree(FOLDER, folder)
    p = folder / "ofsted_sample.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("young_people,39,", "young_people,49,"), encoding="utf-8")
    _, problems = schemas.validate_folder(folder)
    assert [(q.rule, q.row, q.column) for q in problems] == [("sample-inconsistent", 4, "n")]


def test_missing_costs_file_is_a_clear_error(tmp_path):
    with pytest.raises(schemas.InputError, match="ofsted_costs.csv.*does not exist"):
        ca.load_tables(tmp_path)


# --------------------------------------------------------------------------- the transcription


def test_verbatim_is_on_the_stated_lines():
    cols = (("verbatim", "seed_lines"), ("age_verbatim", "age_seed_lines"))
    assert verbatim_problems(FOLDER, "004", cols) == []


def _paragraph_spans(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Line span of each numbered paragraph and of the executive summary, key findings, recommendations."""
    starts = {}
    for i, ln in enumerate(lines, start=1):
        m = re.match(r"^\s*(\d{1,2})\. ", ln)
        if m and i >= 79:
            starts[m.group(1)] = i
    keys = list(starts)
    spans = {k: (starts[k], (starts[keys[j + 1]] - 1) if j + 1 < len(keys) else 356) for j, k in enumerate(keys)}
    spans.update({"Executive summary": (3, 31), "Key findings": (32, 66), "Recommendations": (68, 76)})
    return spans


def test_features_table_is_well_formed(tables):
    f = tables["ofsted_success_features"]
    assert f["feature_id"].tolist() == [f"F{i:02d}" for i in range(1, len(f) + 1)]
    assert f["covariate"].is_unique and f["feature"].is_unique
    assert set(f.loc[f["basis"] == "key factor", "seed_lines"]) <= {"11", "13", "15", "16", "17"}
    seed = paths.seed("004")
    if seed is None:
        pytest.skip("../shared/seeds is not present (CI without ../shared)")
    spans = _paragraph_spans(seed.read_text(encoding="utf-8").split("\n"))
    for r in f.itertuples():
        lo, hi = spans[r.paragraph]
        first = int(str(r.seed_lines).split(";")[0].split("-")[0])
        assert lo <= first <= hi, f"{r.feature_id}: line {first} is not in paragraph {r.paragraph} ({lo}-{hi})"


def test_stated_figures_match_the_tables(tables):
    stated = schemas.load_table(FOLDER, "stated_figures").set_index("figure_id")
    for fid, (table, key, value, col) in ca.STATED_IN_TABLES.items():
        t = tables[table]
        got = t.loc[t[key] == value, col]
        assert len(got) == 1, fid
        assert float(stated.loc[fid, "reported"]) == pytest.approx(float(got.iloc[0])), fid
    bh = tables["ofsted_case_figures"].set_index("item").loc["blackpool_hours"]
    assert float(stated.loc["blackpool_closing_hour", "reported"]) + 12 == bh["value_max"]  # 9 pm = 21:00
    design = tables["ofsted_survey_design"].set_index("attribute")["value"]
    assert design["fieldwork_start"] == "2011-04" and stated.loc["fieldwork_start", "reported"] == "April 2011"
    sample = tables["ofsted_sample"]
    assert (sample["fieldwork_start"] == pd.Timestamp("2011-04-01")).all()


def test_every_stated_figure_gets_a_reasoned_status(tables):
    rep = report.Reproduction.from_folder(FOLDER)
    ca.reproduce(rep, tables)
    t = rep.table()
    assert not (t["note"] == report.NO_ATTEMPT).any(), t.loc[t["note"] == report.NO_ATTEMPT, "figure_id"].tolist()
    assert not rep.skipped
    st = t.set_index("figure_id")["status"]
    assert st["munro_reasons"] == "exact" and st["explanations_no_reduction"] == "exact"
    assert st["young_person_min_age"] == "exact"
    assert st["families_per_la_min"] == "exact" and st["families_per_la_max"] == "exact"
    assert st["saving_one_family"] == "not_reproducible"


def test_a_wrong_list_count_would_show(tables):
    lists = tables["ofsted_lists"]
    short = {**tables, "ofsted_lists": lists.loc[~((lists["list_id"] == "munro_reasons_for_early_help")
                                                     & (lists["item_no"] == 3))]}
    rep = report.Reproduction.from_folder(FOLDER)
    ca.reproduce(rep, short)
    assert rep.status("munro_reasons") == "discrepancy"


def test_simulation_is_seeded_and_bounded():
    c = CostAvoidance(intervention_cost=5000)
    a, b, d = c.simulate(2000, seed=3), c.simulate(2000, seed=3), c.simulate(2000, seed=4)
    assert a.equals(b) and not a.equals(d)
    assert a["weekly"].between(1500, 6000).all() and a["p_care"].between(0.25, 1).all()
    assert a["net_saving"].to_numpy() == pytest.approx((a["p_care"] * a["weeks_in_care"] * a["weekly"] - 5000).to_numpy())
    assert a["net_saving"].max() <= 1.0 * 104 * 6000 - 5000
    with pytest.raises(CostAvoidanceError, match="p_care_range high must be <= 1"):
        c.simulate(10, p_care_range=(0.5, 1.5))
    with pytest.raises(CostAvoidanceError, match="weeks_range must be \\(low, high\\)"):
        c.simulate(10, weeks_range=(50, 10))
