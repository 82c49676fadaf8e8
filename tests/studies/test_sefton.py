"""data/raw/001_sefton_cas: the transcription is internally consistent and faithful to the seed."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from evalkit import cba, paths, schemas

FOLDER = paths.RAW / "001_sefton_cas"
SEED_FILE = "001_99c9679375b286c4.txt"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    found, problems = schemas.validate_folder(FOLDER)
    assert not problems, "\n".join(map(str, problems))
    return {k.removesuffix(".csv"): v for k, v in found.items()}


@pytest.fixture(scope="module")
def seed_text() -> str:
    seed = paths.shared_dir() / "seeds" / SEED_FILE
    if not seed.exists():
        pytest.skip(f"{seed} is not present (CI without ../shared)")
    return seed.read_text(encoding="utf-8")


def _kv(df: pd.DataFrame) -> dict[str, float]:
    return dict(zip(df["key"], df["value"], strict=True))


def test_every_table_validates_and_is_documented(tables):
    expected = {
        "sefton_cba_outcomes", "sefton_costs", "sefton_cba_sample", "sefton_cba_windows", "sefton_cohort_counts",
        "sefton_prior_plans", "sefton_closure_reasons", "sefton_evaluation_samples", "sefton_police_example",
        "sefton_staffing_july2015", "sefton_process_figures", "sefton_eligibility_criteria", "stated_figures",
    }
    assert set(tables) == expected
    for name in expected - {"stated_figures"}:
        assert schemas.REGISTRY[name].source == "001_sefton_cas"


def test_tables_3_and_4_match_stated_figures(tables):
    out = tables["sefton_cba_outcomes"].set_index("outcome_id")
    st = pd.to_numeric(tables["stated_figures"].set_index("figure_id")["reported"], errors="coerce")
    for oid, row in out.iterrows():
        assert row["value_gbp"] == st[f"cba_{oid}_value"]
        assert row["quantity"] == st[f"cba_{oid}_quantity"]
    assert out.at["stepped_down", "months_per_case"] == st["cba_stepped_down_months"]
    assert set(out["kind"]) == {"benefit", "disbenefit"}
    assert out.at["missing_episodes", "payer"] == "police"
    assert (out.drop("missing_episodes")["payer"] == "local_authority").all()


def test_back_solved_unit_costs_are_the_known_ones(tables):
    params, _ = cba.backsolved_outcomes(tables["sefton_cba_outcomes"], round_to=0.01)
    assert params["unit_missing_episodes"].value == pytest.approx(2448.89)
    assert params["unit_cp_plans"].value == pytest.approx(270.96)
    assert params["unit_stepped_down"].value == pytest.approx(110.00)
    assert params["unit_child_looked_after"].value == pytest.approx(1141.88)
    s = _kv(tables["sefton_cba_sample"])
    assert 18270 / s["became_lac"] == 3045  # the per-entrant reading is a whole number of pounds


def test_net_by_payer_as_the_notes_derive(tables):
    params, streams = cba.backsolved_outcomes(tables["sefton_cba_outcomes"])
    bp = cba.CBAModel(streams, adjust=False, discount_rate=0).evaluate(params).by_payer().set_index("payer")
    assert bp.at["total", "pv_benefits"] == pytest.approx(38325)
    assert bp.at["total", "npv"] == pytest.approx(20055)
    assert bp.at["police", "npv"] == pytest.approx(22040)
    assert bp.at["local_authority", "npv"] == pytest.approx(-1985)


def test_cohort_partitions(tables):
    c = tables["sefton_cohort_counts"]
    k = _kv(c)
    # Figure 2 is multi-response, so its criteria do not partition the base
    for parent in set(c["parent"].dropna()) - {"figure2_base"}:
        assert c.loc[c["parent"] == parent, "value"].sum() == k[parent], parent
    assert k["criterion_edge_of_care"] <= k["figure2_base"]
    assert k["figure2_base"] == k["assessed_18_or_under"]


def test_prior_plans_breakdowns_and_subgroups(tables):
    p = tables["sefton_prior_plans"].set_index(["group", "plan_type"])
    for plan in ["CIN", "CP", "LAC"]:
        eoc = p.loc[("edge_of_care", plan)]
        parts = sum(0 if pd.isna(x) else int(x) for x in eoc[["n_1_previous", "n_2_previous", "n_3_previous"]])
        assert parts == eoc["n_any_previous"]
        assert eoc["n_any_previous"] <= p.loc[("all_assessed", plan), "n_any_previous"]
    assert pd.isna(p.loc[("edge_of_care", "CP"), "n_3_previous"])  # not stated, not zero
    assert (p.xs("edge_of_care")["base_n"] == _kv(tables["sefton_cohort_counts"])["criterion_edge_of_care"]).all()


def test_closure_shares_sum_to_100(tables):
    assert tables["sefton_closure_reasons"]["percent_of_closed_cases"].sum() == 100


def test_known_discrepancies_are_in_the_data(tables):
    costs = _kv(tables["sefton_costs"])
    # 672,750 / 756 = 889.88: the report prints 889 (truncated)
    assert costs["short_break_unit_cost"] / costs["short_break_overnight_stays"] == pytest.approx(889.88, abs=0.005)
    assert costs["short_break_cost_per_night"] == 889
    # 4 a day gives 1,440 only with a 360-day year
    assert costs["short_break_capacity_per_day"] * 360 == costs["short_break_max_nights_year"]
    # the £3.9m headline vs the £1,464,000 LA match
    assert costs["council_partner_funding_headline"] * 1e6 != costs["la_match_funding"]
    e = tables["sefton_evaluation_samples"].set_index("component")
    assert e.at["professional_survey_baseline", "n"] + e.at["professional_survey_followup", "n"] == 72
    assert e.at["professional_survey_total_fn6", "n"] == 52
    assert not e.at["young_person_survey", "conducted"] and pd.isna(e.at["young_person_survey", "n"])


def test_windows_are_three_months_and_ordered(tables):
    w = tables["sefton_cba_windows"].set_index("window")
    months = (w["end_month"].dt.year - w["start_month"].dt.year) * 12 + w["end_month"].dt.month - w["start_month"].dt.month + 1
    assert (months == 3).all()
    assert w.at["before", "end_month"] < w.at["entry", "start_month"] <= w.at["entry", "end_month"] < w.at["after", "start_month"]


def test_staffing_not_stated_is_empty(tables):
    s = tables["sefton_staffing_july2015"]
    assert s.loc[~s["in_place_july2015"], "staff_n"].isna().all()
    assert s.loc[s["in_place_july2015"], "staff_n"].notna().all()


def test_stated_figures_agree_with_the_tables(tables):
    st = tables["stated_figures"].set_index("figure_id")["reported"]
    costs = _kv(tables["sefton_costs"])
    pairs = {
        "fund_dfe_allocation": costs["dfe_funding_allocation"], "fund_la_match": costs["la_match_funding"],
        "sb_unit_cost": costs["short_break_unit_cost"], "sb_cost_per_night": costs["short_break_cost_per_night"],
        "sb_cost_per_night_full": costs["short_break_cost_per_night_full"], "sb_nights_actual": costs["short_break_overnight_stays"],
        "cost_cas_hourly": costs["cas_worker_hourly_rate"], "cost_sw_hourly": costs["social_worker_hourly_rate"],
        "sample_n": _kv(tables["sefton_cba_sample"])["sample_n"],
        "police_saving": _kv(tables["sefton_police_example"])["police_saving"],
    }
    for fid, v in pairs.items():
        assert float(st[fid]) == v, fid


def _norm(s: str) -> str:
    s = s.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("–", "-")
    return re.sub(r"\s+", " ", s).strip()


def test_verbatim_text_is_in_the_seed(tables, seed_text):
    """Every verbatim cell is the seed's words ('[...]' marks a dropped footnote marker or page break)."""
    text = _norm(seed_text)
    missing = []
    for name, df in tables.items():
        for col in [c for c in df.columns if "verbatim" in c]:
            for i, v in df[col].dropna().items():
                v = re.sub(r"^fn \d+: ", "", str(v))
                if not all(_norm(seg) in text for seg in v.split("[...]")):
                    missing.append(f"{name} row {i + 2} {col}: {v[:60]}")
    assert not missing, "\n".join(missing)


def test_numbers_appear_on_their_seed_lines(tables, seed_text):
    """Each key/value figure is printed (as 1,440 or 1440) on one of the lines its seed_lines cites."""
    lines = seed_text.splitlines()

    def cited(ref: str) -> str:
        out = []
        for part in ref.split(";"):
            lo, _, hi = part.strip().partition("-")
            out += lines[int(lo) - 1: int(hi or lo)]
        return " ".join(out).replace(",", "")

    bad = []
    for name in ["sefton_costs", "sefton_cba_sample", "sefton_cohort_counts", "sefton_police_example"]:
        for r in tables[name].itertuples():
            v = r.value
            shown = [f"{v:.0f}" if v == int(v) else f"{v:g}", f"{v:.2f}", f"{v / 1e6:g}m", f"{v / 1e3:g}k"]
            if not any(re.search(rf"(?<![\d.]){re.escape(s)}(?![\d])", cited(r.seed_lines)) for s in shown):
                bad.append(f"{name}: {r.key} = {v:g} not on lines {r.seed_lines}")
    # shares the document states in words ("3 quarters (n=294)", "one quarter (n=99)")
    in_words = {"cohort_cas_only_share": "3 quarters", "cohort_co_worked_share": "one quarter"}
    for r in tables["stated_figures"].itertuples():
        try:
            v = float(r.reported)
        except ValueError:
            continue
        if r.figure_id in in_words:
            assert in_words[r.figure_id] in cited(r.seed_lines), r.figure_id
            continue
        if not any(re.search(rf"(?<![\d.]){re.escape(s)}(?![\d])", cited(r.seed_lines))
                   for s in [r.reported, f"{v:g}", f"{v / 1e3:g}k"]):
            bad.append(f"stated_figures: {r.figure_id} = {r.reported} not on lines {r.seed_lines}")
    assert not bad, "\n".join(bad)
