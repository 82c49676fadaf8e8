"""Everything notebook 03 shows, as one result (:class:`GlosIISResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import cba, report
from evalkit.report import format_value as fv
from evalkit.results import Result, Summary
from evalkit.studies.glos_iis import business_case as bcm
from evalkit.viz import gbp


@dataclass
class GlosIISResult(Result):
    """The business case's figures reproduced, the DfE cross-check and the projection model."""

    la_name: str
    tables: dict[str, pd.DataFrame]
    cla: bcm.CLACheck | None
    cla_reason: str
    bc: bcm.BusinessCase
    reduction_horizon: int
    mc: cba.MonteCarloResult
    reproduction: report.Reproduction
    notes: list[str] = field(default_factory=list)

    @property
    def fin(self) -> pd.DataFrame:
        return self.tables["glos_iis_finance"]

    def value(self, item: str) -> float:
        """A money figure of the report, in £m."""
        return bcm.finance_value(self.fin, item) / 1e6

    # ---------------------------------------------------------------- reproduction helpers
    def spend_paths(self) -> pd.DataFrame:
        """Paths from £7.8m to £9.2m."""
        return bcm.spend_paths(self.value("placement_spend_current"), self.value("placement_spend_projected"),
                               bcm.finance_horizon(self.fin, "placement_spend_projected") or 6)

    def overspend_paths(self) -> pd.DataFrame:
        """Paths from £1.6m to over £2.1m a year, against the stated £8.7m total."""
        return bcm.overspend_paths(self.value("overspend_2016_17"), self.value("overspend_annual_future"),
                                   self.value("overspend_cumulative"),
                                   bcm.finance_horizon(self.fin, "overspend_cumulative") or 5)

    def mentions_text(self) -> str:
        """Every mention of every money figure."""
        return bcm.mentions_table(self.fin).to_string(index=False)

    def spend_text(self) -> str:
        p = self.spend_paths()
        return p.assign(growth_per_year=(100 * p["growth_per_year"]).round(3), final_year=p["final_year"].round(3),
                        cumulative=p["cumulative"].round(3)).to_string(index=False)

    def overspend_text(self) -> str:
        o = self.overspend_paths()
        growth = o.loc[o["path"] == "constant growth matching total", "growth"].iloc[0]
        return "\n".join([
            o.drop(columns=["power", "growth"]).assign(sum=o["sum"].round(3), last=o["last"].round(3))
            .to_string(index=False),
            f"\nback-loaded power: {o['power'].iloc[-2]:.2f}; constant growth matching the total: "
            f"{100 * growth:.2f}% a year",
        ])

    def reproduction_text(self) -> str:
        """The reproduction table without the figures DfE's series can cross-check (they follow, unchecked)."""
        return bcm.text_without(self.reproduction, bcm.EXTERNAL_FIGURES)

    def external_text(self) -> str:
        """The figures with a DfE cross-check, and the counts of the whole table."""
        t = self.reproduction.table()
        ext = t.loc[t["figure_id"].isin(bcm.EXTERNAL_FIGURES)].reset_index(drop=True)
        return "\n".join([report.table_text(ext), "\nall figures: "
                          + ", ".join(f"{k}: {v}" for k, v in self.reproduction.counts().items())])

    def cla_text(self) -> str:
        return self.cla.text() if self.cla is not None else f"DfE cross-check skipped: {self.cla_reason}"

    # ---------------------------------------------------------------- projection
    def parameter_table(self) -> pd.DataFrame:
        ptab = self.bc.parameter_table()
        return ptab.assign(value=ptab["value"].map(fv), low=ptab["low"].map(fv), high=ptab["high"].map(fv))[
            ["parameter", "value", "low", "high", "source"]]

    def scenario_text(self) -> str:
        scen = self.bc.scenarios()
        money = ["do_nothing", "avoided_ooc", "extra_care", "revenue", "capital", "invest", "net_saving",
                 "pv_net_saving"]
        summ = self.bc.summary_table()
        cap = self.bc.capacity()
        return "\n".join([
            scen[["fin_year", *money]].assign(**{c: (scen[c] / 1e6).map("{:.3f}".format) for c in money})
            .to_string(index=False),
            "",
            summ.assign(undiscounted=summ["undiscounted"].map(fv).replace("", "none"),
                        discounted=summ["discounted"].map(fv).replace("", "none")).to_string(index=False),
            f"\nlocal residential places needed at full strength: {cap['local_residential_places']:.1f} "
            f"of {cap['beds']:.0f} beds ({100 * cap['occupancy']:.0f}% occupancy)",
        ])

    def break_even_text(self) -> str:
        be = self.bc.break_even_table()
        target = bcm.finance_value(self.fin, "placement_spend_reduction")
        cal = self.bc.calibrate(target, self.reduction_horizon)
        cal_nocap = self.bc.calibrate(target, self.reduction_horizon, include_capital=False)
        return "\n".join([
            be.assign(**{c: be[c].map("{:.2f}".format) for c in be.columns if c != "discounting"})
            .to_string(index=False),
            f"\nTo reproduce the stated £{target / 1e6}m reduction over {self.reduction_horizon} years "
            f"(undiscounted, net of all costs): {cal.value:.1f} young people diverted a year at full strength "
            f"({cal_nocap.value:.1f} if the capital is left out)",
        ])

    def tornado_text(self) -> str:
        tor = self.bc.tornado()
        lines = [f"NPV at the central values: {gbp(tor.base_metric)}"]
        for r in tor.table.itertuples():
            lines.append(f"{r.parameter:<24} {fv(r.low):>10} to {fv(r.high):<10} "
                         f"NPV £{r.metric_low:>12,.0f} to £{r.metric_high:>12,.0f}  swing £{r.swing:>11,.0f}"
                         + ("  crosses zero" if r.crosses_zero else ""))
        return "\n".join(lines)

    def monte_carlo_text(self) -> str:
        a = self.bc.a
        return (f"{self.mc.summary()}\nstructural parameters held at start_year={a.start_year}, "
                f"ramp_up_years={a.ramp_up_years}, unit_cost_growth={a.unit_cost_growth}")

    # ---------------------------------------------------------------- Result
    def summary(self) -> Summary:
        """Findings: reproduction counts, the paths the figures need, and the projection's verdict."""
        c = self.reproduction.counts()
        be = self.bc.break_even_table()
        row = be.iloc[-1]
        lines = [
            f"- **Reproduction:** {c['exact']} exact, {c['rounding']} rounding, {c['discrepancy']} discrepant, "
            f"{c['not_reproducible']} not reproducible, of {sum(c.values())} stated figures.",
            f"- **Overspend:** no even path from £{self.value('overspend_2016_17')}m to "
            f"£{self.value('overspend_annual_future')}m a year sums to the stated "
            f"£{self.value('overspend_cumulative')}m; a linear rise gives "
            f"£{self.overspend_paths().set_index('path').loc['linear from start', 'sum']:.2f}m.",
            f"- **Break-even ({self.bc.a.horizon} years, discounted at {row['discounting']}):** "
            f"{row.iloc[1]:.1f} young people diverted from out-of-county placements a year at full strength "
            f"(central assumption {fv(self.bc.a.diverted_per_year)}).",
            f"- **Monte Carlo:** P(NPV > 0) = {self.mc.prob_positive:.3f} ({self.mc.n} draws, seed {self.mc.seed}).",
        ]
        return Summary(f"{self.la_name}: Intensive Intervention Service business case", "\n".join(lines),
                       notes=list(self.notes))

    def to_frame(self) -> pd.DataFrame:
        return self.reproduction.table()

    def plot(self, ax: Any = None) -> Any:
        """Key chart: net saving against young people diverted a year (the break-even)."""
        return self.bc.plot_break_even(ax=ax)

    def plot_overspend(self, ax: Any = None) -> Any:
        return bcm.plot_overspend(self.overspend_paths(), self.value("overspend_cumulative"),
                                  self.value("revenue_investment_total"), self.value("capital_investment"), ax=ax)

    def plot_cla(self, ax: Any = None) -> Any:
        """The DfE series against the report's counts, or a sentence when the DfE data are absent."""
        if self.cla is None:
            import matplotlib.pyplot as plt

            if ax is None:
                _, ax = plt.subplots(figsize=(6.5, 1.2))
            ax.axis("off")
            ax.text(0.5, 0.5, f"No DfE series to show: {self.cla_reason}", ha="center", va="center", wrap=True)
            return ax
        return bcm.plot_cla(self.cla, self.tables.get("glos_iis_children_in_care"), ax=ax)

    def plot_tornado(self, ax: Any = None) -> Any:
        return bcm.plot_tornado(self.bc.tornado(), ax=ax, title=(
            f"Intensive Intervention Service: one-way sensitivity of the {self.bc.a.horizon}-year NPV"))

    def plot_monte_carlo(self, ax: Any = None) -> Any:
        return bcm.plot_monte_carlo(self.mc, ax=ax, title=(
            f"Monte Carlo of the {self.bc.a.horizon}-year NPV ({self.mc.n} draws, seed {self.mc.seed})"))

    def write(self, out: str | Path) -> list[str]:
        from evalkit.outputs import save_table

        out = Path(out)
        mc = self.mc
        self.reproduction.write(out)
        save_table(self.bc.scenarios().round(2), out, "scenarios")
        save_table(self.bc.summary_table().round(4), out, "summary")
        save_table(self.bc.break_even_table().round(4), out, "break_even")
        save_table(self.bc.tornado().table.round(4), out, "tornado")
        save_table(self.overspend_paths().round(4), out, "overspend_paths")
        save_table(self.bc.parameter_table(), out, "parameters")
        save_table(pd.DataFrame([{"draws": mc.n, "seed": mc.seed, "mean": mc.mean, "median": mc.median,
                                  "p05": mc.interval(0.9)[0], "p95": mc.interval(0.9)[1],
                                  "prob_positive": mc.prob_positive}]).round(4), out, "monte_carlo")
        if self.cla is not None:
            save_table(self.cla.series.round(4), out, "cla_series")
        return sorted(p.name for p in out.iterdir())


def cla_check(la_name: str, base_year: int, end_year: int) -> tuple[bcm.CLACheck | None, str]:
    """The DfE cross-check, or ``None`` and the reason when the DfE data are absent or lack the LA."""
    from evalkit import la_panel

    try:
        panel = la_panel.load_panel()
        national = bcm.load_cla_national()
        return bcm.cla_crosscheck(panel, national, la_name, base_year=base_year, end_year=end_year), ""
    except (la_panel.PanelMissing, la_panel.UnknownLA) as err:
        return None, str(err)


def analyse(
    tables: dict[str, pd.DataFrame],
    *,
    la_name: str = "Gloucestershire",
    reduction_horizon: int = 6,
    mc_draws: int = 5000,
    seed: int = 12345,
    cla_base_year: int = 2012,
    cla_end_year: int = 2016,
    **assumptions: Any,
) -> GlosIISResult:
    """Run notebook 03's analysis; ``assumptions`` are :class:`.business_case.Assumptions` overrides."""
    from evalkit.studies import glos_iis

    cla, why = cla_check(la_name, cla_base_year, cla_end_year)
    bc = bcm.BusinessCase(bcm.Assumptions.from_tables(tables, **assumptions))
    return GlosIISResult(la_name=la_name, tables=tables, cla=cla, cla_reason=why, bc=bc,
                         reduction_horizon=reduction_horizon, mc=bc.monte_carlo(n=mc_draws, seed=seed),
                         reproduction=glos_iis.reproduce(tables, cla, why))
