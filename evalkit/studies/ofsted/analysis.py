"""Everything notebook 04 shows, as one result (:class:`OfstedResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import report
from evalkit.results import Result, Summary
from evalkit.studies.ofsted import cost_avoidance as ca
from evalkit.viz import gbp


@dataclass
class OfstedResult(Result):
    """The sample, the cost-avoidance calculator against the stated savings, the feature checklist."""

    la_name: str
    tables: dict[str, pd.DataFrame]
    calc: ca.CostAvoidance
    savings: pd.DataFrame
    simulation: pd.DataFrame
    seed: int
    reproduction: report.Reproduction
    assessment: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    # ---------------------------------------------------------------- tables
    @property
    def sample(self) -> pd.DataFrame | None:
        return self.tables.get("ofsted_sample")

    @property
    def features(self) -> pd.DataFrame | None:
        return self.tables.get("ofsted_success_features")

    def sample_profile(self) -> pd.DataFrame | None:
        """:func:`.cost_avoidance.sample_profile` of the sample (``None`` without one)."""
        if self.sample is None:
            return None
        return ca.sample_profile(self.sample, self.tables.get("ofsted_survey_design"))

    def cost_range(self) -> pd.DataFrame:
        """The weekly placement costs, annualised both ways."""
        return ca.cost_range_table(self.calc.weekly_low, self.calc.weekly_high)

    def savings_in_placement_terms(self) -> pd.DataFrame:
        """Each stated saving as weeks and years of residential care."""
        return self.calc.against_savings(self.savings)

    def quantiles(self) -> pd.Series:
        """Quantiles of the simulated net saving per young person."""
        return self.simulation["net_saving"].quantile([0.05, 0.25, 0.5, 0.75, 0.95])

    def scores(self) -> pd.DataFrame | None:
        """The LA's self-assessment scored by domain (``None`` without one)."""
        if self.features is None or self.assessment is None:
            return None
        return ca.score_checklist(self.features, self.assessment).round(1)

    # ---------------------------------------------------------------- text (checked in the notebook)
    def sample_text(self) -> str:
        """The sample profile and the case-study ages as fixed text."""
        out = []
        prof = self.sample_profile()
        if prof is not None:
            out.append(prof.assign(value=prof["value"].map(lambda x: f"{x:.3f}".rstrip("0").rstrip(".")))
                       .to_string(index=False))
            out.append(f"\nfieldwork: {self.sample['fieldwork_start'].min():%B %Y} to "
                       f"{self.sample['fieldwork_end'].max():%B %Y}")
        cases = self.tables.get("ofsted_case_studies")
        if cases is not None:
            a = ca.case_ages(cases)
            out.append(f"case studies: {a['boxes']} boxes, {a['with_age']} give the young person's age "
                       f"({a['min']}-{a['max']}, mean {a['mean']:.1f}; {a['female']} female, {a['male']} male)")
        return "\n".join(out)

    def costs_text(self) -> str:
        """The cost range and the savings in placement terms as fixed text."""
        cr = self.cost_range()
        eq = self.savings_in_placement_terms()
        return "\n".join([
            cr.assign(**{c: cr[c].map("{:,.0f}".format) for c in ["weekly", "annual_52", "annual_365_7"]})
            .to_string(index=False),
            "",
            eq.assign(**{c: eq[c].map("{:,.2f}".format) for c in eq.columns if c not in ("item",)})
            .T.to_string(header=False),
        ])

    def calculator_text(self) -> str:
        """The calculator's assumptions and its table as fixed text."""
        t = self.calc.table()
        return "\n".join([
            f"p_care = {self.calc.p_care:g}; weeks in care avoided = {self.calc.weeks_in_care:g}; "
            f"intervention cost = £{self.calc.intervention_cost:,.0f}",
            t.assign(**{c: t[c].map("{:,.2f}".format) for c in t.columns if c != "point"}).to_string(index=False),
        ])

    def simulation_text(self) -> str:
        """Quantiles of the simulated net saving and the share of draws reaching each stated saving."""
        q = self.quantiles()
        lines = [f"{len(self.simulation)} draws, seed {self.seed}: net saving per young person",
                 "  ".join(f"{int(k * 100)}%: {gbp(v)}" for k, v in q.items())]
        for _, s in self.savings.iterrows():
            lines.append(f"share of draws at or above {s['item']} (£{s['value_gbp']:,.0f}): "
                         f"{(self.simulation['net_saving'] >= s['value_gbp']).mean():.3f}")
        return "\n".join(lines)

    def features_text(self) -> str:
        """The features by domain, then one line per feature with its paragraph and lines."""
        f = self.features
        if f is None:
            return "no feature table in the data folder"
        return "\n".join([ca.features_by_domain(f).to_string(index=False), "",
                          f[["feature_id", "feature", "paragraph", "seed_lines", "basis"]].to_string(index=False)])

    def covariates(self) -> pd.DataFrame | None:
        """The features as covariates for a matched comparison."""
        return None if self.features is None else ca.covariates(self.features)[["covariate", "feature_id", "domain"]]

    # ---------------------------------------------------------------- Result
    def summary(self) -> Summary:
        """Findings: reproduction counts, the savings in placement terms, the simulated spread."""
        c = self.reproduction.counts()
        eq = self.savings_in_placement_terms().set_index("item")
        lo, hi = self.calc.annual()
        q = self.quantiles()
        lines = [
            f"- **Reproduction:** {c['exact']} exact, {c['rounding']} rounding, {c['discrepancy']} discrepant, "
            f"{c['not_reproducible']} not reproducible, of {sum(c.values())} stated figures: the report is mostly "
            "single statements from its fieldwork.",
            f"- **Placement cost:** £{self.calc.weekly_low:,.0f} to £{self.calc.weekly_high:,.0f} a week is "
            f"£{lo:,.0f} to £{hi:,.0f} a year.",
        ]
        for item, r in eq.iterrows():
            lines.append(f"- **{str(item).replace('_', ' ').capitalize()}:** {r['weeks_at_high']:.1f} to "
                         f"{r['weeks_at_low']:.1f} weeks of residential care.")
        lines.append(f"- **When the implicit inputs are uncertain** ({len(self.simulation)} seeded draws): the net "
                     f"saving per young person runs from {gbp(q.iloc[0])} (5%) to {gbp(q.iloc[-1])} (95%).")
        return Summary(f"{self.la_name}: Edging away from care", "\n".join(lines), notes=list(self.notes))

    def to_frame(self) -> pd.DataFrame:
        """The reproduction table."""
        return self.reproduction.table()

    def plot(self, ax: Any = None) -> Any:
        """Key chart: a year of residential care against the stated savings, and net saving by weeks avoided."""
        return ca.plot_costs_vs_savings(self.calc, self.savings, ax=ax)

    def plot_sample(self, ax: Any = None) -> Any:
        """The sample groups and the case-study ages."""
        if self.sample is None:
            return None
        return ca.plot_sample(self.sample, self.tables.get("ofsted_case_studies"), ax=ax)

    def write(self, out: str | Path) -> list[str]:
        """Write the aggregate outputs (and the blank checklist when no self-assessment is given)."""
        from evalkit.outputs import save_table

        out = Path(out)
        self.reproduction.write(out)
        prof = self.sample_profile()
        if prof is not None:
            save_table(prof.round(4), out, "sample_profile")
            save_table(self.sample.drop(columns=["how_selected", "verbatim"], errors="ignore"), out, "sample",
                       counts=["n"])
        save_table(self.cost_range().round(2), out, "placement_cost_range")
        save_table(self.savings_in_placement_terms().round(4), out, "savings_in_placement_terms")
        save_table(self.calc.table().round(2), out, "cost_avoidance")
        save_table(self.quantiles().rename("net_saving").rename_axis("quantile").reset_index().round(2), out,
                   "cost_avoidance_simulation")
        if self.features is not None:
            save_table(ca.covariates(self.features), out, "covariates")
            if self.assessment is None:
                save_table(ca.checklist(self.features), out, "self_assessment_template")
        if self.scores() is not None:
            save_table(ca.score_checklist(self.features, self.assessment).round(2), out, "self_assessment_scores")
        return sorted(p.name for p in out.iterdir())


def analyse(
    tables: dict[str, pd.DataFrame],
    *,
    la_name: str = "Ofsted survey sample (11 local authorities)",
    weekly_low: float | None = None,
    weekly_high: float | None = None,
    weeks_per_year: float = 52.0,
    weeks_in_care: float = 52.0,
    p_care: float = 1.0,
    intervention_cost: float = 0.0,
    sim_draws: int = 10000,
    sim_weeks_range: tuple[float, float] = (13.0, 104.0),
    sim_p_care_range: tuple[float, float] = (0.25, 1.0),
    seed: int = 2011,
    assessment: pd.DataFrame | None = None,
) -> OfstedResult:
    """Run notebook 04's analysis on :func:`evalkit.studies.ofsted.load`'s tables."""
    from evalkit.studies import ofsted

    costs = tables["ofsted_costs"]
    calc = ca.CostAvoidance.from_costs(costs, weekly_low=weekly_low, weekly_high=weekly_high,
                                       weeks_per_year=weeks_per_year, weeks_in_care=weeks_in_care, p_care=p_care,
                                       intervention_cost=intervention_cost)
    sim = calc.simulate(sim_draws, seed, weeks_range=tuple(sim_weeks_range), p_care_range=tuple(sim_p_care_range))
    return OfstedResult(la_name=la_name, tables=tables, calc=calc, savings=ca.stated_savings(costs), simulation=sim,
                        seed=seed, reproduction=ofsted.reproduce(tables), assessment=assessment)


def load_assessment(self_assessment_file: str | Path | None, data_dir: str | Path) -> pd.DataFrame | None:
    """An LA's filled-in checklist: ``self_assessment_file``, else one in ``data_dir``, else ``None``."""
    from evalkit import paths, schemas

    path = paths.resolve(self_assessment_file) if self_assessment_file else (
        paths.resolve(data_dir) / "edge_of_care_self_assessment.csv")
    return schemas.read_table(path, "edge_of_care_self_assessment") if path.exists() else None
