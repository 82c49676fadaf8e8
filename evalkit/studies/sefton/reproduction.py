"""The Sefton CAS cost analysis: inputs and the reproduction of every stated figure (Part A).

The report's Tables 3 and 4 print totals and quantities but no unit costs,
so each unit cost is back-solved as total / quantity (:func:`evalkit.cba.backsolved_outcomes`).
Recomputing a total from that unit cost returns the total itself: those
checks are *circular* and recorded as ``not_reproducible`` (reason "circular").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import cba, report
from evalkit.report import format_value as fv
from evalkit.studies._base import load_tables

#: Figures of the cohort stated once, each with what the document gives (and lacks) to check it.
COHORT_SINGLE = {
    "cohort_eligible_pre_bid": "the pre-bid mapping's estimate (l.819-821); the mapping itself is not in the document",
    "cohort_phase1": "an approximate caseload ('at around 80', l.325-326); no phase-1 case list to count",
    "cohort_phase3": "an average caseload ('averaging just over 200', l.341-342); the caseloads it averages are "
                     "not given",
    "cohort_persistent_absence": "a count by referral criterion printed in the text (n=51, l.892-893); young people "
                                 "can meet several criteria, so no stated total constrains it",
    "cohort_neet": "the NEET criterion's count printed beside persistent absence (n=40, l.892-893); the criteria "
                   "overlap, so no stated total constrains it",
    "sb_first_year_cas": "one part (28) of sb_first_year_users, which checks 28 + 41 = 69; the same identity "
                         "cannot check its parts as well",
    "sb_first_year_cp": "one of the three parts (9 on CP plans) of sb_first_year_co_worked, which checks "
                        "9 + 10 + 22 = 41; the identity cannot check its parts as well",
    "sb_first_year_cin": "one of the three parts (10 on CIN plans) of sb_first_year_co_worked's sum 9 + 10 + 22; "
                         "nothing else recomputes it",
    "sb_first_year_cfa": "one of the three parts (22 with a Children and Families assessment) of "
                         "sb_first_year_co_worked's sum; nothing else recomputes it",
}


def load(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The report's tables from ``data_dir``, read through their schemas."""
    from evalkit.studies import sefton

    return load_tables(data_dir, sefton.TABLES)


def _own(rep: report.Reproduction, fid: str, why: str) -> None:
    """``not_reproducible`` with a reason made specific by the figure's own description and lines."""
    rep.not_reproducible(fid, why, locate=True)


def reproduce(
    tables: dict[str, pd.DataFrame],
    *,
    la_name: str = "Sefton",
    unit_precision: float = 0.01,
    days_per_year: int = 365,
    confidence_backsolved: int = 3,
) -> report.Reproduction:
    """Every stated figure of the Sefton report checked or marked, with its reason (Part A).

    Examples
    --------
    >>> from evalkit.studies import sefton
    >>> rep = sefton.reproduce(sefton.load("data/raw/001_sefton_cas"))
    >>> rep.status("cba_cp_plans_value"), rep.status("sb_cost_per_night")
    ('not_reproducible', 'discrepancy')
    """
    rep = report.Reproduction(tables["stated_figures"], strict=False)
    outcomes, sample = tables["sefton_cba_outcomes"], tables["sefton_cba_sample"]
    costs = tables.get("sefton_costs")
    windows = tables.get("sefton_cba_windows")
    cohort = tables.get("sefton_cohort_counts")
    prior = tables.get("sefton_prior_plans")
    closure = tables.get("sefton_closure_reasons")
    samples = tables.get("sefton_evaluation_samples")
    police = tables.get("sefton_police_example")
    process = tables.get("sefton_process_figures")
    S = dict(zip(sample["key"], sample["value"], strict=True))  # noqa: N806 - the report's sample figures
    C = dict(zip(costs["key"], costs["value"], strict=True)) if costs is not None else {}  # noqa: N806
    params, streams = cba.backsolved_outcomes(outcomes, round_to=unit_precision, confidence=confidence_backsolved,
                                              source=la_name)



    for r in outcomes.itertuples():
        unit = params["unit_" + r.outcome_id]
        if rep.wants(f"cba_{r.outcome_id}_value"):
            rep.circular(f"cba_{r.outcome_id}_value",
                         f"the unit cost £{unit.value:,.2f} was back-solved from this total ({unit.note}), so "
                         f"{fv(r.quantity)} x it returns the total; the report prints no unit cost to check it with")
        if rep.wants(f"cba_{r.outcome_id}_quantity"):
            rep.not_reproducible(f"cba_{r.outcome_id}_quantity",
                                 f"an input ({r.quantity_unit}): the report gives only the change, not the before "
                                 "and after levels")
    if rep.wants("missing_saving_text"):
        rep.mentions("missing_saving_text", [rep.reported("missing_saving_text"),
                                             rep.reported("cba_missing_episodes_value")])
        rep.circular("missing_saving_text", "the text repeats Table 3's £22,040, whose only recomputation uses "
                     "the unit cost back-solved from it")
    if rep.wants("cba_stepped_down_months"):
        rep.not_reproducible("cba_stepped_down_months", "an input: the valuation assumption for each stepped-down case")


    if windows is not None:
        w = windows.set_index("window")
        months = (w['end_month'].dt.year - w['start_month'].dt.year) * 12 + w['end_month'].dt.month - w['start_month'].dt.month + 1
        rep.check("sample_window_months", int(months["before"]),
                  note=f"Oct-Dec 2015 is {months['before']} months; Aug-Oct 2016 is {months['after']}")
    rep.not_reproducible("sample_n", "stated once; no list of sample members")
    rep.not_reproducible("sample_excluded", "stated once (footnote 21)")
    rep.not_reproducible("sample_became_lac", "an input (l.1667-1668); it is the quantity of the per-entry reading of Table 4")
    rep.not_reproducible("sample_exited_care", "an input (l.1666-1667); no before/after care months are given")
    rep.not_reproducible("sample_short_break_users", "stated once; no per-person nights")
    rep.not_reproducible("sample_short_break_nights", "stated once; the report does not set these nights against the sample's savings")
    rep.not_reproducible("sample_co_worked_share",
                         f"the count is not stated: 25% of {fv(S['sample_n'])} is {fv(0.25 * S['sample_n'])}, not a whole number, so the share is rounded")


    if costs is not None:
        rep.check("fund_dfe_headline", C["dfe_funding_allocation"] / 1e6, note="£1,116,000 in £m")
        rep.check("fund_council_partners_headline", C["la_match_funding"] / 1e6,
                  note="the only local funding figure the Costs section gives: LA match funding 'about £1,464,000'",
                  reason=(f"the £3.9m 'from the Council and local partner organisations' cannot be reconciled with the "
                          f"LA match funding of about £{fv(C['la_match_funding'])}: £{fv(3.9e6 - C['la_match_funding'])} is "
                          "unexplained; partners' in-kind secondments (police, YOT) may be counted, but the report does not say"))
        _own(rep, "fund_dfe_allocation", "stated once; nothing else in the Costs section recomputes it")
        rep.not_reproducible("fund_dfe_spend", f"stated once; it is {100 * C['dfe_expected_spend'] / C['dfe_funding_allocation']:.1f}% "
                             "of the allocation, consistent with 'almost all'")
        rep.not_reproducible("fund_la_match", "stated once; see fund_council_partners_headline for the conflict with £3.9m")
        rep.not_reproducible("cost_staff_share", "neither staff costs nor the 'available budget' are stated; "
                             f"62% of DfE + LA funding (£{fv(C['dfe_funding_allocation'] + C['la_match_funding'])}) would be "
                             f"£{fv(0.62 * (C['dfe_funding_allocation'] + C['la_match_funding']))}")
        _own(rep, "cost_cas_hourly", "stated once; the pay scale is not in the document")
        _own(rep, "cost_sw_hourly", "stated once; the pay scale is not in the document")
        rep.check("cost_cas_cheaper_claim",
                  "lower" if C["cas_worker_hourly_rate"] < C["social_worker_hourly_rate"] else "not lower",
                  note=f"£{C['cas_worker_hourly_rate']:.2f} vs £{C['social_worker_hourly_rate']:.2f} an hour")
        for fid in ["cost_cas_hours_month", "cost_cas_months", "cost_sw_hours", "cost_sw_months", "cost_professionals_traditional"]:
            _own(rep, fid, "a stated estimate of time input; the report says a detailed comparison was not possible (l.1582-1583)")

    if costs is not None:
        nights_calendar = C["short_break_capacity_per_day"] * days_per_year
        rep.check("sb_max_nights", nights_calendar, note=f"4 young people x {days_per_year} days",
                  reason=f"1,440 needs a 360-day year (4 x 360 = {fv(C['short_break_capacity_per_day'] * 360)}); a calendar year gives {fv(nights_calendar)}")
        rep.check("sb_cost_per_night", C["short_break_unit_cost"] / C["short_break_overnight_stays"],
                  note="£672,750 / 756 overnight stays (footnote 20)",
                  reason=f"truncated, not rounded: £{C['short_break_unit_cost'] / C['short_break_overnight_stays']:.2f} rounds to £890")
        rep.check("sb_cost_per_night_full", C["short_break_unit_cost"] / C["short_break_max_nights_year"],
                  note=(f"£672,750 / the stated 1,440 nights; over a calendar year's {fv(nights_calendar)} nights it would be "
                        f"£{C['short_break_unit_cost'] / nights_calendar:.2f}"))
        rep.check("sb_capacity", process.set_index("item").at["short_break_beds", "value_low"] if process is not None else None,
                  note="the unit's 4 beds (l.115, l.161)", reason="the process-figures table is absent")
        rep.not_reproducible("sb_unit_cost", "stated once; its period is not stated")
        rep.not_reproducible("sb_nights_actual", "stated once (footnote 20); its period is not stated")
        rep.not_reproducible("sb_users_bound", "the total since July 2015 is not given; the 69 first-year users are consistent with it")
        _own(rep, "sb_block_contract_months", "stated once; the contract itself is not in the document")
        rep.not_reproducible("sb_block_saving_month", "the spot-purchase price and the contract price are not stated")
        rep.not_reproducible("cost_savings_target_years", "a stated aim")


    if cohort is not None:
        K = dict(zip(cohort["key"], cohort["value"], strict=True))
        rep.check("cohort_worked_with", K["cas_practitioner_only"] + K["co_worked_with_csc"], note="294 + 99")
        rep.check("cohort_cas_only", K["worked_with_total"] - K["co_worked_with_csc"], note="393 - 99")
        rep.check("cohort_co_worked", K["worked_with_total"] - K["cas_practitioner_only"], note="393 - 294")
        rep.check("cohort_cas_only_share", 100 * K["cas_practitioner_only"] / K["worked_with_total"], note="294 / 393")
        rep.check("cohort_co_worked_share", 100 * K["co_worked_with_csc"] / K["worked_with_total"], note="99 / 393")
        rep.check("cohort_assessed", K["figure2_base"], note="Figure 2's base")
        rep.check("cohort_fig2_base", K["assessed_18_or_under"], note="the text's 329 assessed")
        rep.check("cohort_edge_of_care", None if prior is None else prior.set_index(["group", "plan_type"]).at[("edge_of_care", "CIN"), "base_n"],
                  note="footnote 17's base", reason="the prior-plans table is absent")
        rep.check("cohort_edge_of_care_fn17", K["criterion_edge_of_care"], note="Figure 2 / text (l.890)")
        rep.check("cohort_became_lac_pct", 100 * S["became_lac"] / S["sample_n"],
                  note="6 of the 126 in the CBA sample; the report does not say its 5% comes from this sample",
                  reason="the report does not say the 5% comes from the CBA sample")
        rep.check("sb_first_year_users", K["short_breaks_cas_key_worker"] + K["short_breaks_co_worked"], note="28 + 41")
        rep.check("sb_first_year_co_worked", K["short_breaks_co_worked_cp"] + K["short_breaks_co_worked_cin"] + K["short_breaks_co_worked_cfa"],
                  note="9 + 10 + 22")
        for fid, why in COHORT_SINGLE.items():
            rep.not_reproducible(fid, why)

    if prior is not None:
        P = prior.set_index(["group", "plan_type"])
        for plan, fid in [("CIN", "prior_cin_eoc"), ("CP", "prior_cp_eoc"), ("LAC", "prior_lac_eoc")]:
            rep.check(fid, P.loc[("edge_of_care", plan), ["n_1_previous", "n_2_previous", "n_3_previous"]].fillna(0).sum(),
                      note="footnote 17's breakdown by number of previous plans")
        for plan, fid in [("CIN", "prior_cin_all"), ("CP", "prior_cp_all"), ("LAC", "prior_lac_all")]:
            rep.not_reproducible(fid, f"stated once; consistent with the edge-of-care subgroup ({fv(P.at[('edge_of_care', plan), 'n_any_previous'])} of 137)")
        for fid in ["prior_cin_eoc_1", "prior_cin_eoc_2", "prior_cin_eoc_3", "prior_cp_eoc_1", "prior_cp_eoc_2",
                    "prior_lac_eoc_1", "prior_lac_eoc_2", "prior_lac_eoc_3"]:
            _own(rep, fid, "a part of footnote 17's breakdown, which sums to its stated total")
    if closure is not None:
        pct = closure.set_index("reason")["percent_of_closed_cases"]
        rep.check("closure_aims_achieved", 100 - pct.drop("Original aims in the CAS plan achieved").sum(),
                  note="100 - 26 - 9: the three reasons cover all closures (the base is not stated)")
        _own(rep, "closure_consent_withdrawn", "stated once; the three shares sum to 100")
        _own(rep, "closure_moved_away", "stated once; the three shares sum to 100")


    if samples is not None:
        E = samples.set_index("component")
        rep.check("survey_total_fn6", E.at["professional_survey_baseline", "n"] + E.at["professional_survey_followup", "n"],
                  note="baseline n=52 + follow-up n=20 (l.413)",
                  reason="footnote 6's '52 responses across the surveys' matches the baseline alone: it most likely counts one wave, or predates the follow-up")
        _own(rep, "survey_baseline_n", "stated once; no survey results are reported anywhere in the extraction")
        _own(rep, "survey_followup_n", "stated once; no survey results are reported anywhere in the extraction")
        rep.check("methods_young_person_survey_listed", "yes" if E.at["young_person_survey", "conducted"] else "no",
                  note="l.414-415: 'The planned young person survey was replaced with qualitative interviews'",
                  reason="the overview (l.385) still lists the dropped young-person survey")
        rep.not_reproducible("survey_young_person", "the statement itself (l.414-415); the overview at l.385 contradicts it")
        rep.check("interviews_yp_families_total", E.at["young_people_interviews", "n"] + E.at["parent_carer_interviews", "n"],
                  note="20 young people + 5 parents or carers")
        rep.check("interviews_prof_wave2_phase", E.at["professional_interviews_wave2", "phase_fn4"],
                  note="footnote 4 (l.258)",
                  reason="footnote 4 says 'Phase 2' but the Methodology says Phase 3 and the text dates the wave to autumn 2016, after consolidation: a labelling slip")
        for fid in ["interviews_prof_wave1", "interviews_prof_wave2", "interviews_young_people", "interviews_parents",
                    "obs_strategy_board", "obs_management_group"]:
            _own(rep, fid, "stated once")
    if police is not None:
        PE = dict(zip(police["key"], police["value"], strict=True))
        fewer = PE["missing_episodes_before"] - PE["missing_episodes_after"]
        rep.not_reproducible("police_saving",
                             f"the Police's unit cost is not stated: £80k / {fv(fewer)} fewer episodes = £{PE['police_saving'] / fewer:,.2f} each, "
                             f"against the £{params['unit_missing_episodes'].value:,.2f} the CBA implies ({fv(fewer)} x that = "
                             f"£{fewer * params['unit_missing_episodes'].value:,.0f})")
        for fid in ["police_young_people", "police_missing_before", "police_missing_after"]:
            _own(rep, fid, "a partner's example, stated once")
    for fid in ["staff_strengthening_families", "staff_yot", "staff_attendance_welfare", "staff_fip", "staff_integrated_youth",
                "staff_substance_misuse", "staff_apprentices", "staff_police"]:
        if fid in rep.stated.index:
            _own(rep, fid, "text inside Figure 4; no total is stated to check it against")
    return rep


def backsolved(tables: dict[str, pd.DataFrame], *, la_name: str = "Sefton", unit_precision: float = 0.01,
               confidence_backsolved: int = 3) -> tuple[cba.Parameters, list[cba.Stream]]:
    """The back-solved unit costs and the report's four outcome streams (:func:`evalkit.cba.backsolved_outcomes`)."""
    return cba.backsolved_outcomes(tables["sefton_cba_outcomes"], round_to=unit_precision,
                                   confidence=confidence_backsolved, source=la_name)


def as_reported(tables: dict[str, pd.DataFrame], *, la_name: str = "Sefton", unit_precision: float = 0.01,
                confidence_backsolved: int = 3) -> Any:
    """Tables 3-4 as the report reads them: no adjustment, no discounting, one 3-month window (a CBA result)."""
    params, streams = backsolved(tables, la_name=la_name, unit_precision=unit_precision,
                                 confidence_backsolved=confidence_backsolved)
    return cba.CBAModel(streams, adjust=False, discount_rate=0.0, horizon=1,
                        name=f"{la_name}, as reported (Tables 3-4)").evaluate(params)
