"""Case-study summaries on the seed 000 tables."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import schemas
from evalkit.studies.yst import casestudies


@pytest.fixture
def tables(seed000):
    return {n: schemas.load_table(seed000, n) for n in
            ["yst_case_profiles", "yst_case_activities", "training_counts", "rating_coverage"]}


def test_outcome_counts(tables):
    c = casestudies.outcome_counts(tables["yst_case_profiles"])
    assert c == {"cases": 5, "closed_to_social_care": 3, "cp_escalation_avoided": 1,
                 "became_child_in_care": 1, "status_changed": 4}


def test_attendance_shares(tables):
    a = casestudies.attendance(tables["yst_case_activities"]).set_index("case_id")
    assert a.loc[4, "share_attended"] == pytest.approx(16 / 20)
    assert a["attended"].sum() == 54 and a["missed"].sum() == 36


def test_training_totals_with_and_without_partners(tables):
    t = casestudies.training_totals(tables["training_counts"]).set_index("measure")["persons"]
    assert t["practitioners and managers"] == 156 and t["everyone trained"] == 168
    assert casestudies.trained_in_phase(tables["training_counts"], "Implementation 2") == 150
    with pytest.raises(ValueError, match="no training counts for phase 'Phase 9'"):
        casestudies.trained_in_phase(tables["training_counts"], "Phase 9")


def test_months_between():
    assert casestudies.months_between(pd.Timestamp("2015-05-01"), pd.Timestamp("2016-11-01")) == 18


def test_activity_range(tables):
    assert casestudies.activity_range(tables["yst_case_activities"], "formulation meetings") == (1, 2)
    with pytest.raises(ValueError, match="no case lists a count for activity"):
        casestudies.activity_range(tables["yst_case_activities"], "no such thing")


def test_rating_summary_with_and_without_values(tables):
    cov = tables["rating_coverage"]
    s = casestudies.rating_summary(cov).set_index("respondent_group")
    assert s.loc["young_person", "data_no"] == 2 and s.loc["young_person", "ratings_available"] == 0
    ratings = pd.DataFrame({"figure": "Figure 3", "respondent_group": "young_person",
                            "case_study": [3, 4, 5], "item": "overall", "rating": [4, 5, 3]})
    s = casestudies.rating_summary(cov, ratings).set_index("respondent_group")
    assert s.loc["young_person", "median"] == 4 and s.loc["young_person", "mean"] == 4
    g = casestudies.rating_grid(cov, ratings)
    states = dict(zip(zip(g.respondent_group, g.case_study, strict=True), g.state, strict=True))
    assert states[("young_person", 1)] == "not collected"
    assert states[("young_person", 3)] == "rated"
    assert states[("parent", 1)] == "value lost"
