"""Part B of the Sefton study: the extended cost-benefit analysis (not the report's).

Adds to the report's four streams the placement costs of the extra care-months,
the programme cost, deadweight, attribution, displacement, optimism bias,
discounting and uprating; then one-way sensitivity, break-even and a seeded
Monte Carlo. Every number not in the report is a named, sourced parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import cba
from evalkit.cba.discount import GREEN_BOOK_RATE
from evalkit.report import format_value as fv
from evalkit.results import Result, Summary
from evalkit.viz import gbp

#: Human labels, with units, of the extended model's ranged parameters (tornado rows).
LABELS = {
    "programme_cost_per_yp": "Programme cost per young person (£)",
    "placement_cost_month": "Placement cost per child-month (£)",
    "deadweight": "Deadweight (share)",
    "attribution": "Attribution to other services (share)",
    "unit_lac_entry": "Looked-after decision cost per entrant (£)",
    "unit_missing_episodes": "Cost per missing episode (£)",
    "unit_stepped_down": "CIN support per stepped-down case-month (£)",
    "unit_cp_plans": "CP plan cost per month (£)",
    "unit_child_looked_after": "Looked-after cost per care-month (£)",
}


def _fmt_or_none(x: Any) -> str:
    return "none" if x is None or x != x else f"{x:,.2f}"


def _change(x: Any) -> str:
    return "" if x is None or x != x else f"{x:+,.2f}"


@dataclass
class SeftonExtension(Result):
    """The report's Tables 3-4 as they stand, then the extended CBA, its sensitivity, break-even and Monte Carlo."""

    la_name: str
    as_reported: cba.CBAResult
    params: cba.Parameters
    model: cba.CBAModel
    adjusted: cba.CBAResult
    sustained: cba.CBAResult
    sensitivity: cba.SensitivityResult
    sensitivity_la: cba.SensitivityResult
    break_even_report: cba.BreakEvenResult
    break_even: pd.DataFrame
    monte_carlo: cba.MonteCarloResult
    monte_carlo_la: cba.MonteCarloResult
    lac_readings: dict[str, cba.Parameter]
    prices_in: int
    notes: list[str] = field(default_factory=list)

    def lac_text(self) -> str:
        """The two readings of Table 4's looked-after cost."""
        e, m = self.lac_readings["per_entry"], self.lac_readings["per_month"]
        return "\n".join([
            f"per new entrant: £{e.value:,.2f} ({e.note})",
            f"per care-month:  £{m.value:,.2f} ({m.note})",
            "the per-entrant reading gives a round unit cost; the per-month reading does not "
            f"({'round' if m.value == round(m.value) else 'not a whole number of pounds'})",
        ])

    def parameter_table(self) -> pd.DataFrame:
        """Every parameter of the extended model with its price year, confidence, range and source."""
        cols = ["name", "value", "price_year", "confidence", "low", "high", "source"]
        return self.params.table()[cols].rename(columns={"name": "parameter"})

    def back_solved_table(self) -> pd.DataFrame:
        """The unit costs back-solved from the report's totals, with their units and notes."""
        t = self.params.table().query("back_solved")[["name", "value", "unit", "note"]]
        return t.rename(columns={"name": "parameter"})

    def break_even_text(self) -> str:
        """(1) the report's valuation: fewer new entrants for the LA to break even; (2) the extended model."""
        be = self.break_even_report
        return "\n".join([
            f"(1) report's valuation: {be}",
            f"    i.e. {be.base_value - be.value:.2f} fewer new entrants than the 6 observed",
            self.break_even.to_string(index=False, formatters={"central": "{:,.2f}".format,
                                                               "break_even": _fmt_or_none, "change": _change}),
        ])

    def monte_carlo_text(self) -> str:
        return f"{self.monte_carlo.summary()}\n\n{self.monte_carlo_la.summary()}"

    def summary(self) -> Summary:
        """Findings of the extension: net by payer as reported, then the extended NPV and its uncertainty."""
        bp = self.as_reported.by_payer().set_index("payer")
        la = bp.loc["local_authority", "npv"] if "local_authority" in bp.index else float("nan")
        lo, hi = self.monte_carlo.interval(0.9)
        lines = [
            f"- **As reported (Tables 3-4, no adjustment):** net {gbp(self.as_reported.npv)} across payers, of "
            f"which the local authority {gbp(la)}.",
            f"- **Extended CBA (not the report's; {self.prices_in} prices):** NPV {gbp(self.adjusted.npv)} over "
            f"{self.model.horizon} years; Monte Carlo 90% interval {gbp(lo)} to {gbp(hi)}, "
            f"P(NPV > 0) = {self.monte_carlo.prob_positive:.3f}.",
            f"- **Break-even on the report's valuation:** {self.break_even_report.base_value - self.break_even_report.value:.2f}"
            " fewer new entrants to care than the 6 observed.",
        ]
        return Summary(f"{self.la_name}: cost-benefit analysis extended", "\n".join(lines), notes=list(self.notes))

    def to_frame(self) -> pd.DataFrame:
        return self.adjusted.lines

    def plot(self, ax: Any = None) -> Any:
        """Key chart: the extended CBA's present values by outcome and payer."""
        return self.adjusted.waterfall(ax=ax, title=(
            f"Extended CBA (not the report's): present value by outcome and payer, {self.prices_in} prices"))

    def plot_as_reported(self, ax: Any = None) -> Any:
        return self.as_reported.waterfall(ax=ax, title=(
            "Tables 3-4 as reported: value by outcome and payer (3-month window, sample of 126)"))

    def plot_tornado(self) -> Any:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(15, 5))
        self.sensitivity.tornado(ax=axes[0], title="NPV, all payers", labels=LABELS)
        self.sensitivity_la.tornado(ax=axes[1], title="NPV, local authority", labels=LABELS)
        fig.tight_layout()
        return fig

    def plot_monte_carlo(self) -> Any:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(15, 4.5))
        self.monte_carlo.plot(ax=axes[0], title=f"NPV, all payers ({self.monte_carlo.n} draws, "
                                                f"seed {self.monte_carlo.seed})")
        self.monte_carlo.plot(ax=axes[1], by_payer=True, title="NPV by payer")
        fig.tight_layout()
        return fig

    def write(self, out: str | Path) -> None:
        from evalkit.outputs import save_table

        out = Path(out)
        save_table(self.as_reported.by_payer().round(2), out, "net_by_payer_as_reported")
        save_table(self.adjusted.by_payer().round(2), out, "net_by_payer_adjusted")
        save_table(self.adjusted.lines.round(4), out, "cba_lines_adjusted")
        save_table(self.sensitivity.table.round(4), out, "sensitivity_npv")
        save_table(self.break_even.round(4), out, "break_even")
        save_table(self.monte_carlo.by_payer.describe(percentiles=[0.05, 0.5, 0.95]).T.round(2)
                   .reset_index(names="payer"), out, "monte_carlo_npv_by_payer")


def extend(
    tables: dict[str, pd.DataFrame],
    *,
    la_name: str = "Sefton",
    unit_precision: float = 0.01,
    lac_reading: str = "per_entry",
    placement_cost_per_month: float = 3000.0,
    placement_cost_range: tuple[float, float] = (1000.0, 15000.0),
    programme_cost_range: tuple[float, float] = (0.5, 1.5),
    unit_cost_range: tuple[float, float] = (0.5, 1.5),
    deadweight: float = 0.5,
    deadweight_range: tuple[float, float] = (0.2, 0.8),
    attribution: float = 0.2,
    attribution_range: tuple[float, float] = (0.0, 0.4),
    displacement: float = 0.0,
    confidence_backsolved: int = 3,
    confidence_placement: int = 5,
    confidence_programme: int = 2,
    discount_rate: float = GREEN_BOOK_RATE,
    horizon_years: int = 3,
    effect_quarters_sustained: int = 12,
    drop_off: float = 0.5,
    care_months_per_avoided_entry: float = 12.0,
    price_year: int = 2016,
    report_prices_in: int | None = 2024,
    random_seed: int = 20170101,
    n_draws: int = 10000,
) -> SeftonExtension:
    """Build and evaluate the extended CBA (Part B); every argument is a notebook parameter."""
    from evalkit.studies.sefton.reproduction import as_reported, backsolved

    outcomes, sample = tables["sefton_cba_outcomes"], tables["sefton_cba_sample"]
    costs, cohort = tables.get("sefton_costs"), tables.get("sefton_cohort_counts")
    S = dict(zip(sample["key"], sample["value"], strict=True))  # noqa: N806 - the report's sample figures
    C = dict(zip(costs["key"], costs["value"], strict=True)) if costs is not None else {}  # noqa: N806
    K = dict(zip(cohort["key"], cohort["value"], strict=True)) if cohort is not None else {}  # noqa: N806
    params, streams = backsolved(tables, la_name=la_name, unit_precision=unit_precision,
                                 confidence_backsolved=confidence_backsolved)
    reported = as_reported(tables, la_name=la_name, unit_precision=unit_precision,
                           confidence_backsolved=confidence_backsolved)
    lac_value = float(outcomes.set_index("outcome_id").at["child_looked_after", "value_gbp"])
    per_entry = cba.back_solve("unit_lac_entry", lac_value, S["became_lac"], source="Table 4 / l.1667-1668",
                               confidence=confidence_backsolved, round_to=unit_precision)
    programme_total = C.get("dfe_expected_spend", 0.0) + C.get("la_match_funding", 0.0)
    served = K.get("worked_with_total", S["sample_n"])
    per_yp = programme_total / served
    ext = (params.add(
        per_entry,
        cba.Parameter("n_lac_entries", S["became_lac"], kind="quantity", source="l.1667-1668"),
        cba.Parameter("placement_cost_month", placement_cost_per_month, kind="unit_cost",
                      confidence=confidence_placement, low=placement_cost_range[0], high=placement_cost_range[1],
                      source="ASSUMPTION (parameters cell): not in the report"),
        cba.Parameter("programme_cost_per_yp", per_yp, kind="unit_cost", confidence=confidence_programme,
                      low=per_yp * programme_cost_range[0], high=per_yp * programme_cost_range[1],
                      source=(f"(£{fv(C.get('dfe_expected_spend', 0))} DfE spend + £{fv(C.get('la_match_funding', 0))}"
                              f" LA match) / {fv(served)} young people")),
        cba.Parameter("n_sample", S["sample_n"], kind="quantity", source="l.1606"),
        cba.Parameter("dfe_share", C.get("dfe_expected_spend", 0.0) / programme_total if programme_total else 0.0,
                      kind="rate", source="DfE spend / (DfE spend + LA match)"),
        cba.Parameter("la_share", C.get("la_match_funding", 0.0) / programme_total if programme_total else 1.0,
                      kind="rate", source="LA match / (DfE spend + LA match)"),
        cba.Parameter("deadweight", deadweight, kind="rate", low=deadweight_range[0], high=deadweight_range[1],
                      source="ASSUMPTION"),
        cba.Parameter("attribution", attribution, kind="rate", low=attribution_range[0], high=attribution_range[1],
                      source="ASSUMPTION"),
        cba.Parameter("displacement", displacement, kind="rate", source="ASSUMPTION"),
        cba.Parameter("discount_rate", discount_rate, kind="rate", source="HM Treasury Green Book"),
        cba.Parameter("n_avoided_entries", 0.0, kind="quantity", source="break-even only"),
        cba.Parameter("care_months_per_avoided_entry", care_months_per_avoided_entry, kind="quantity",
                      source="ASSUMPTION"),
    ).with_ranges({f"unit_{o}": (params[f"unit_{o}"].value * unit_cost_range[0],
                                 params[f"unit_{o}"].value * unit_cost_range[1])
                   for o in outcomes["outcome_id"] if o != "child_looked_after"}
                  | {"unit_lac_entry": (per_entry.value * unit_cost_range[0], per_entry.value * unit_cost_range[1])})
        .with_price_year(price_year))
    lac_stream = (cba.Stream("lac_decision", "n_lac_entries", "unit_lac_entry", "local_authority", kind="disbenefit",
                             label="LAC decision (per entrant)") if lac_reading == "per_entry" else
                  cba.Stream("lac_decision", "n_child_looked_after", "unit_child_looked_after", "local_authority",
                             kind="disbenefit", label="LAC decision (per month)"))
    ext_streams = [s for s in streams if s.name != "child_looked_after"] + [
        lac_stream,
        cba.Stream("lac_placements", "n_child_looked_after", "placement_cost_month", "local_authority",
                   kind="disbenefit", label="LAC placements (assumed)"),
        cba.Stream("programme_la", ("n_sample", "la_share"), "programme_cost_per_yp", "local_authority",
                   kind="cost", label="Programme cost (LA)"),
        cba.Stream("programme_dfe", ("n_sample", "dfe_share"), "programme_cost_per_yp", "central_government",
                   kind="cost", label="Programme cost (DfE)"),
    ]
    model = cba.CBAModel(ext_streams, deadweight="deadweight", attribution="attribution", displacement="displacement",
                         discount_rate="discount_rate", horizon=horizon_years,
                         name=f"{la_name} CAS, extended (not the report's)", price_year=report_prices_in,
                         index=cba.load_index("gdp_deflator") if report_prices_in else None)
    sustained = model.with_outcome_years(cba.persistence_quarters(effect_quarters_sustained, drop_off)).evaluate(ext)
    report_entry = cba.CBAModel(
        [s for s in streams if s.name != "child_looked_after"]
        + [cba.Stream("lac_decision", "n_lac_entries", "unit_lac_entry", "local_authority", kind="disbenefit")],
        adjust=False, discount_rate=0.0, horizon=1)
    be_model = model.with_settings(streams=[
        *model.streams,
        cba.Stream("avoided_entries", "n_avoided_entries", "unit_lac_entry", "local_authority", deadweight=0,
                   attribution=0, displacement=0, label="Avoided entries (hypothetical)"),
        cba.Stream("avoided_placements", ("n_avoided_entries", "care_months_per_avoided_entry"),
                   "placement_cost_month", "local_authority", deadweight=0, attribution=0, displacement=0,
                   label="Avoided placements (hypothetical)")])
    return SeftonExtension(
        la_name=la_name,
        as_reported=reported,
        params=ext,
        model=model,
        adjusted=model.evaluate(ext),
        sustained=sustained,
        sensitivity=cba.one_way_sensitivity(model, ext, metric="npv"),
        sensitivity_la=cba.one_way_sensitivity(model, ext, metric="npv", payer="local_authority"),
        break_even_report=cba.break_even(report_entry, ext, "n_lac_entries", payer="local_authority"),
        break_even=cba.break_even_table(be_model, ext, ["n_avoided_entries", "programme_cost_per_yp", "deadweight"],
                                        payers=["local_authority", None]),
        monte_carlo=cba.monte_carlo(model, ext, n=n_draws, seed=random_seed, metric="npv"),
        monte_carlo_la=cba.monte_carlo(model, ext, n=n_draws, seed=random_seed, metric="npv",
                                       payer="local_authority"),
        lac_readings={"per_entry": per_entry, "per_month": params["unit_child_looked_after"]},
        prices_in=report_prices_in or price_year,
    )

