"""The YST costed case review: inputs, reproduction table and findings.

:func:`reproduce` holds every check of the document's stated figures;
:func:`analyse` returns everything notebook 01 shows, as one
:class:`YSTResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import disclosure, report
from evalkit.report import format_value as fv
from evalkit.results import Result, Summary
from evalkit.studies._base import load_tables
from evalkit.studies.yst import casestudies, costing
from evalkit.viz import gbp

RATINGS = "case_study_ratings"
LOST = "the figure's bar values did not survive the text extraction"


def load(data_dir: str | Path, ratings_file: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Read the study's tables from ``data_dir`` (and the optional ratings file) through their schemas."""
    from evalkit import paths, schemas
    from evalkit.studies import yst

    tables = load_tables(data_dir, yst.TABLES)
    if ratings_file:
        tables[RATINGS] = schemas.read_table(paths.resolve(ratings_file), RATINGS)
    return tables


def _check_case_costs(rep: report.Reproduction, cases: pd.DataFrame, boxes: pd.DataFrame | None) -> None:
    """Table 2's costs (and the case boxes' repeats) as hours x the median implied rate.

    The case whose own implied rate *is* the median cannot be checked this
    way: its recomputation uses its own cost (circular).
    """
    rates = costing.case_rates(cases, reference="median").set_index("case_id")
    ref = costing.reference_rate(cases)
    by_case = cases.set_index("case_id")
    box = boxes.set_index("case_id") if boxes is not None else None
    for cid, row in by_case.iterrows():
        r = rates.loc[cid]
        own = abs(float(r["implied_rate"]) - ref) < 1e-9
        how = (f"case {cid}'s implied rate (£{fv(row['yst_cost_gbp'])} / {fv(row['yst_hours'])} hours) is the "
               "median of the five, so hours x the median rate returns its own stated cost")
        reason = (f"the case implies £{r['implied_rate']:.2f} an hour, {r['rate_gap_pct']:+.1f}% from the median; at "
                  f"the median rate the stated cost buys {r['hours_at_reference']:.1f} hours. The rate is never "
                  "stated, so the hours, the rate or the cost may be the one that differs")
        note = f"{fv(row['yst_hours'])} hours x the median implied rate £{ref:.4f}"
        for fid, prefix in ((f"t2_case{cid}_cost", ""), (f"box_case{cid}_cost", f"case box {cid} repeats Table 2: ")):
            if not rep.wants(fid):
                continue
            if own:
                rep.circular(fid, prefix + how)
            else:
                rep.check(fid, costing.staff_cost(row["yst_hours"], ref), note=prefix + note, reason=reason)
        if box is not None and cid in box.index:
            if rep.wants(f"box_case{cid}_cost", f"t2_case{cid}_cost"):
                rep.mentions(f"box_case{cid}_cost", [box.loc[cid, "yst_cost_gbp"], row["yst_cost_gbp"]])
            if rep.wants(f"box_case{cid}_hours"):
                rep.mentions(f"box_case{cid}_hours", [box.loc[cid, "yst_hours"], row["yst_hours"]])
                rep.not_reproducible(
                    f"box_case{cid}_hours",
                    f"an input: case {cid}'s {fv(row['yst_hours'])} staff hours are recorded, not derived from "
                    "other figures (the box repeats Table 2)",
                )


def _check_unit_costs(rep: report.Reproduction, uc: dict[str, float]) -> None:
    cin_12 = costing.over_months(uc["cin_plan_support"], 12)
    cp_12 = costing.over_months(uc["cp_plan_support"], 12)
    rep.check("cin_plan_12m", cin_12, note="£393 x 12",
              reason="the council's 12-month figure was built from an unrounded monthly cost (4714 / 12 = 392.83)")
    rep.check("cp_plan_support_12m", cp_12, note="£1,147 x 12",
              reason="the council's 12-month figure was built from an unrounded monthly cost (13769 / 12 = 1147.42)")
    rep.check("cp_plan_12m_incl_setup", costing.over_months(uc["cp_plan_support"], 12, setup=uc["cp_plan_setup"]),
              note="£2,200 + £1,147 x 12",
              reason=("the £13,769 does not include the £2,200 set-up: the text calls it '12 months of ongoing "
                      "support', and without the set-up it is within £5 of £1,147 x 12 (see cp_plan_support_12m)"))
    if rep.wants("cin_plan_monthly", "cp_plan_support_monthly"):
        rep.check("cin_plan_monthly", costing.implied_monthly(rep.reported("cin_plan_12m")),
                  note="the stated £4,714 / 12")
        rep.check("cp_plan_support_monthly", costing.implied_monthly(rep.reported("cp_plan_support_12m")),
                  note="the stated £13,769 / 12")


def _check_savings(rep: report.Reproduction, savings: pd.DataFrame, months: float) -> None:
    total = costing.portfolio(savings)
    rep.check("savings_offset_costs", total["ratio"],
              note=(f"£{fv(total['saving'])} / £{fv(total['cost'])} under the {fv(months)}-month illustration; "
                    f"break-even after {total['break_even_months']:.2f} months of avoided support"))
    for _, s in savings.iterrows():
        cid = s["case_id"]
        for fid in (f"case{cid}_saving_offsets_cost", f"case{cid}_saving_outweighs_cost"):
            if rep.wants(fid):
                rep.check(fid, s["ratio"],
                          note=(f"£{fv(s['saving'])} / £{fv(s['cost'])} over {fv(months)} months; breaks even "
                                f"after {s['break_even_months']:.2f} months of avoided support, a duration the "
                                "document says cannot be known"))


def _check_cases(rep: report.Reproduction, tables: dict[str, pd.DataFrame]) -> None:
    rep.check("cases_reviewed", len(tables["yst_case_costs"]), note="rows of Table 2 (a printed list of cases)")
    profiles = tables.get("yst_case_profiles")
    if profiles is not None:
        outcomes = casestudies.outcome_counts(profiles)
        rep.check("cases_closed_to_social_care", outcomes["closed_to_social_care"],
                  note="case boxes' Outcomes panels")
        rep.check("cases_cp_escalation_avoided", outcomes["cp_escalation_avoided"],
                  note="case boxes' Outcomes panels (the CP plan avoided)")
        if rep.wants("case4_status_change"):
            rep.check("case4_status_change", casestudies.status_change(profiles.set_index("case_id").loc[4]),
                      reason=("the Table 8 box says the young person 'remained on a CP plan ... and also became a "
                              "child in care' (l.863): a change of status, and of cost, that the summary and the "
                              "costing (which scores case 4 at zero) leave out"))
    activities = tables.get("yst_case_activities")
    if activities is not None and rep.wants("formulation_meetings_min", "formulation_meetings_max"):
        fmin, fmax = casestudies.activity_range(activities, "formulation meetings")
        rep.check("formulation_meetings_min", fmin, note="fewest formulation meetings in the case boxes")
        rep.check("formulation_meetings_max", fmax, note="most formulation meetings in the case boxes")


def _check_scale(rep: report.Reproduction, tables: dict[str, pd.DataFrame]) -> None:
    training = tables.get("training_counts")
    if training is not None and rep.wants("trained_over_160", "yp_cases_implementation1", "yp_cases_implementation2"):
        tt = casestudies.training_totals(training).set_index("measure")["persons"]
        rep.check("trained_over_160", tt["practitioners and managers"],
                  note=(f"Table 3: {fv(tt['practitioners'])} practitioners + "
                        f"{fv(tt['managers (incl. senior)'])} managers"),
                  reason=(f"'over 160' holds only if the {fv(tt['partners'])} partners are counted "
                          f"({fv(tt['everyone trained'])} trained in all); Table 3 runs to December 2016, so later "
                          "training could also explain it"))
        for phase, fid in [("Implementation 1", "yp_cases_implementation1"),
                           ("Implementation 2", "yp_cases_implementation2")]:
            n = casestudies.trained_in_phase(training, phase)
            rep.check(fid, 2 * n, note=(f"2 cases x {n} people trained in {phase} (managers and partners "
                                        "included): the low end of the '2 or 3 cases' rule the estimate is based on"))
    phases = tables.get("project_phases")
    if phases is not None and rep.wants("months_of_progress"):
        ph = phases.set_index("phase")
        rep.check("months_of_progress",
                  casestudies.months_between(ph.loc["Criteria Development", "start_month"],
                                             ph.loc["Evaluation fieldwork (this report)", "end_month"]),
                  note="May 2015 (start of Criteria Development) to November 2016 (end of fieldwork)")
    rep.not_reproducible(
        "followup_survey_months",
        "'+30 months' has no stated reference point: from project start (May 2015) it falls in November 2017, "
        "the final report's date; from the baseline survey (Nov 2015-Feb 2016) it falls after that report",
    )


def _check_ratings(rep: report.Reproduction, tables: dict[str, pd.DataFrame]) -> None:
    coverage = tables.get("rating_coverage")
    if coverage is not None:
        rep.check("fig3_case_studies", coverage.loc[coverage["figure"] == "Figure 3", "case_study"].nunique(),
                  note="case studies in rating_coverage for Figure 3")
    rep.not_reproducible("fig3_young_person_ratings", f"{LOST}; no data for case studies 1 and 2 (l.5-6)")
    rep.not_reproducible("fig5_parent_ratings", f"{LOST}; Figure 5 is only cross-referenced")
    rep.not_reproducible("fig6_social_worker_ratings", f"{LOST}; Figure 6 is only cross-referenced")


def reproduce(tables: dict[str, pd.DataFrame], *, months_avoided: float = 12) -> report.Reproduction:
    """Every stated figure of the YST review checked against its recomputation.

    Parameters
    ----------
    tables
        :func:`load` output (``stated_figures`` may be empty for a new LA: its
        checks are then skipped and listed in ``Reproduction.skipped``).
    months_avoided
        Months of avoided support in the savings illustration (the document's 12).

    Examples
    --------
    >>> from evalkit.studies import yst
    >>> rep = yst.reproduce(yst.load("data/raw/000_gloucestershire_yst"))
    >>> rep.status("t2_case3_cost"), rep.status("cin_plan_monthly")
    ('discrepancy', 'rounding')
    """
    rep = report.Reproduction(tables["stated_figures"], strict=False)
    cases = tables["yst_case_costs"]
    _check_case_costs(rep, cases, tables.get("yst_case_boxes"))
    _check_unit_costs(rep, costing.unit_cost_lookup(tables["unit_costs"]))
    _check_savings(rep, costing.case_savings(cases, tables["unit_costs"], months=months_avoided), months_avoided)
    _check_cases(rep, tables)
    _check_scale(rep, tables)
    _check_ratings(rep, tables)
    return rep


@dataclass
class YSTResult(Result):
    """Everything notebook 01 shows: rates, unit costs, savings, case outcomes, ratings, reproduction."""

    la_name: str
    months_avoided: float
    case_level_public: bool
    rates: pd.DataFrame
    spread: dict[str, float]
    unit_costs: dict[str, float]
    savings: pd.DataFrame
    total: dict[str, float]
    break_even: pd.DataFrame
    reproduction: report.Reproduction
    outcomes: dict[str, int] | None = None
    attendance: pd.DataFrame | None = None
    training: pd.DataFrame | None = None
    ratings: pd.DataFrame | None = None
    rating_grid: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> Summary:
        """Findings: reproduction counts, the rate spread, the savings illustration."""
        c = self.reproduction.counts()
        s, t, uc = self.spread, self.total, self.unit_costs
        text = "\n".join([
            f"- **Reproduction:** {c['exact']} exact, {c['rounding']} rounding, {c['discrepancy']} discrepant, "
            f"{c['not_reproducible']} not reproducible, of {sum(c.values())} stated figures.",
            f"- **Hourly rate:** the cases imply £{s['min']:.2f} to £{s['max']:.2f} an hour "
            f"({s['range_pct_of_median']:.1f}% of the median £{s['median']:.2f}); one rate was not applied.",
            f"- **Unit costs:** £{fv(uc['cin_plan_support'])} x 12 = "
            f"{gbp(costing.over_months(uc['cin_plan_support'], 12))} and £{fv(uc['cp_plan_support'])} x 12 = "
            f"{gbp(costing.over_months(uc['cp_plan_support'], 12))}, not the stated £4,714 and £13,769.",
            f"- **Savings ({fv(self.months_avoided)}-month illustration):** cost {gbp(t['cost'])}, potential saving "
            f"{gbp(t['saving'])}, net {gbp(t['net'])} (saving / cost {t['ratio']:.2f}); break-even after "
            f"{t['break_even_months']:.2f} months of avoided support, a duration the document cannot know.",
        ])
        return Summary(f"{self.la_name}: YST costed case review", text, notes=list(self.notes))

    def to_frame(self) -> pd.DataFrame:
        """The reproduction table."""
        return self.reproduction.table()

    def plot(self, ax: Any = None) -> Any:
        """Key chart: net saving of the cases against the months of avoided support."""
        from evalkit.studies.yst import plots

        return plots.break_even(self.break_even, ax=ax).figure

    def rates_table(self) -> pd.DataFrame:
        """Implied hourly rate per case (aggregate spread only when cases are not public)."""
        if self.case_level_public:
            return self.rates.round(2)
        return pd.DataFrame([self.spread]).round(2)

    def savings_table(self) -> pd.DataFrame:
        """Saving against cost per case (the portfolio total only when cases are not public)."""
        if self.case_level_public:
            return self.savings.round(2)
        return pd.DataFrame([self.total]).round(2)

    def rating_table(self) -> pd.DataFrame | None:
        """What is known of the case-study ratings (suppressed counts when cases are not public)."""
        if self.ratings is None or self.case_level_public:
            return self.ratings
        stats = disclosure.suppress_statistics(self.ratings, "ratings_available", ["median", "mean", "min", "max"])
        return disclosure.suppress(stats, ["case_studies", "data_yes", "data_no", "data_unknown", "ratings_available"])

    def rating_text(self) -> str:
        """:meth:`rating_table` as fixed text ("" without the coverage table)."""
        t = self.rating_table()
        return "" if t is None else t.to_string(index=False)

    def training_table(self) -> pd.DataFrame | None:
        """People trained by role, counts of 1-5 suppressed."""
        return None if self.training is None else disclosure.suppress(self.training, ["persons"])

    def outcome_text(self) -> str:
        """The case outcomes in one line (empty when the profiles are absent)."""
        if self.outcomes is None:
            return ""
        values = dict(self.outcomes)
        if not self.case_level_public:
            shown = disclosure.suppress(pd.DataFrame([values]), list(values))
            values = shown.iloc[0].to_dict()
        return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in values.items())

    def plot_rates(self, ax: Any = None) -> Any:
        """Implied hourly rate per case (nothing drawn when cases are not public)."""
        from evalkit.studies.yst import plots

        return plots.implied_rates(self.rates, ax=ax, public=self.case_level_public)

    def plot_savings(self, ax: Any = None) -> Any:
        """Cost against potential saving per case."""
        from evalkit.studies.yst import plots

        return plots.cost_vs_saving(self.savings, ax=ax, months=self.months_avoided, public=self.case_level_public)

    def plot_attendance(self, ax: Any = None) -> Any:
        """Direct-work sessions attended and missed per case."""
        from evalkit.studies.yst import plots

        return plots.attendance(self.attendance, ax=ax, public=self.case_level_public)

    def plot_ratings(self, ax: Any = None) -> Any:
        """The ratings grid, or a sentence saying the values are lost."""
        from evalkit.studies.yst import plots

        return plots.rating_grid(self.rating_grid, ax=ax)

    def write(self, out: str | Path) -> list[str]:
        """Write the aggregate outputs to ``out`` and return the file names there."""
        from evalkit.outputs import save_table

        out = Path(out)
        self.reproduction.write(out)
        save_table(pd.DataFrame([self.total]).round(4), out, "portfolio_summary")
        save_table(pd.DataFrame([self.spread]).round(4), out, "implied_rate_spread")
        if self.training is not None:
            save_table(self.training, out, "training_totals", counts=["persons"])
        if self.ratings is not None:
            stats = disclosure.suppress_statistics(self.ratings.round(3), "ratings_available",
                                                   ["median", "mean", "min", "max"])
            save_table(stats, out, "rating_summary",
                       counts=["case_studies", "data_yes", "data_no", "data_unknown", "ratings_available"])
        return sorted(p.name for p in out.iterdir())


def analyse(
    tables: dict[str, pd.DataFrame],
    *,
    la_name: str = "Gloucestershire",
    months_avoided: float = 12,
    case_level_public: bool = True,
) -> YSTResult:
    """Run the whole YST review on :func:`load`'s tables.

    Examples
    --------
    >>> from evalkit.studies import yst
    >>> res = yst.analyse(yst.load("data/raw/000_gloucestershire_yst"))
    >>> round(res.total["ratio"], 2)
    3.39
    """
    from evalkit import disclosure

    # a setting read from params.yaml or `papermill -p` may be the text 'false', which is truthy
    case_level_public = disclosure.as_bool(case_level_public, name="case_level_public")
    cases, uc = tables["yst_case_costs"], tables["unit_costs"]
    savings = costing.case_savings(cases, uc, months=months_avoided)
    coverage = tables.get("rating_coverage")
    ratings = tables.get(RATINGS)
    profiles = tables.get("yst_case_profiles")
    activities = tables.get("yst_case_activities")
    training = tables.get("training_counts")
    return YSTResult(
        la_name=la_name,
        months_avoided=months_avoided,
        case_level_public=case_level_public,
        rates=costing.case_rates(cases, reference="median"),
        spread=costing.rate_spread(cases),
        unit_costs=costing.unit_cost_lookup(uc),
        savings=savings,
        total=costing.portfolio(savings),
        break_even=costing.break_even_grid(cases, uc, months=range(0, 13)),
        reproduction=reproduce(tables, months_avoided=months_avoided),
        outcomes=casestudies.outcome_counts(profiles) if profiles is not None else None,
        attendance=casestudies.attendance(activities) if activities is not None else None,
        training=casestudies.training_totals(training) if training is not None else None,
        ratings=casestudies.rating_summary(coverage, ratings) if coverage is not None else None,
        rating_grid=casestudies.rating_grid(coverage, ratings) if coverage is not None else None,
    )
