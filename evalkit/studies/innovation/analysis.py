"""Everything notebook 05 shows, as one result (:class:`InnovationResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import report
from evalkit.results import Result, Summary
from evalkit.studies.innovation import evidence
from evalkit.viz.labels import label


@dataclass
class InnovationResult(Result):
    """The booklet's coding, counts, evidence-gap map, robustness trend test and design bridge."""

    la_name: str
    coding: evidence.Coding
    ratings: pd.DataFrame | None
    trend: evidence.TrendTestResult
    demo: evidence.TrendTestResult
    reproduction: report.Reproduction
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """:func:`.evidence.headline_counts`."""
        return evidence.headline_counts(self.coding)

    def counts_text(self) -> str:
        """The headline counts, one per line."""
        return "\n".join(f"{label(k, units=False)}: {v}" for k, v in self.counts().items())

    def by_theme(self) -> pd.DataFrame:
        """Projects and findings by theme."""
        return evidence.projects_by_theme(self.coding)

    def directions_text(self) -> str:
        """Outcome directions by theme, then by harmonised domain."""
        return "\n".join([evidence.directions_by(self.coding, "theme").to_string(), "",
                          evidence.directions_by(self.coding, "domain").to_string()])

    def valence_text(self) -> str:
        """Valence by domain, then by theme."""
        return "\n".join([evidence.valence_by(self.coding, "domain").to_string(), "",
                          evidence.valence_by(self.coding, "theme").to_string()])

    def bridge(self) -> pd.DataFrame:
        """Which projects' outcomes suit which design."""
        return evidence.design_bridge(self.coding)

    def bridge_text(self) -> str:
        """The design bridge with its label, as fixed text."""
        b = self.bridge()
        return "\n".join([evidence.BRIDGE_LABEL, b[["project_id", "findings", "la_aggregate", "child_or_family",
                                                    "practitioner_or_carer", "classification"]].to_string(index=False)])

    def summary(self) -> Summary:
        """Findings: reproduction counts, what the booklet holds, and the robustness claim's verdict."""
        c = self.reproduction.counts()
        k = self.counts()
        first = list(k.items())[:4]
        lines = [
            f"- **Reproduction:** {c['exact']} exact, {c['rounding']} rounding, {c['discrepancy']} discrepant, "
            f"{c['not_reproducible']} not reproducible, of {sum(c.values())} stated figures.",
            "- **The booklet:** " + "; ".join(f"{n.replace('_', ' ')} {v}" for n, v in first) + ".",
            f"- **'The less robust the evaluation, the more likely a positive finding':** {self.trend.status}"
            + (f" ({self.trend.reason})" if getattr(self.trend, "reason", "") else "") + ".",
        ]
        return Summary(f"{self.la_name}: Innovation Programme round 2 evidence map", "\n".join(lines),
                       notes=list(self.notes))

    def to_frame(self) -> pd.DataFrame:
        """The reproduction table."""
        return self.reproduction.table()

    def plot(self, ax: Any = None, colour_by: str = "direction") -> Any:
        """Key chart: the evidence-gap map (theme x outcome domain)."""
        return evidence.evidence_gap_map(self.coding, colour_by=colour_by, ax=ax)

    def write(self, out: str | Path, fig_map: Any = None) -> str:
        """Write the tables (and the map, if given) to ``out``; return the reproduction file's name."""
        from evalkit.outputs import save_figure, save_table

        out = Path(out)
        save_table(self.by_theme(), out, "projects_by_theme")
        save_table(evidence.directions_by(self.coding, "theme").reset_index(), out, "directions_by_theme")
        save_table(evidence.directions_by(self.coding, "domain").reset_index(), out, "directions_by_domain")
        save_table(evidence.valence_by(self.coding, "domain").reset_index(), out, "valence_by_domain")
        save_table(self.bridge(), out, "design_bridge")
        save_table(self.demo.by_level.assign(ratings="ILLUSTRATIVE (made up)"), out, "trend_demo_illustrative")
        if self.trend.status == "tested":
            save_table(self.trend.by_level, out, "trend_by_quality_level")
        if fig_map is not None:
            save_figure(fig_map, out, "evidence_gap_map")
        return str(self.reproduction.write(out).relative_to(out.parent))


def analyse(
    tables: dict[str, pd.DataFrame],
    *,
    la_name: str = "England",
    quality_ratings: str | Path | None = None,
    n_permutations: int = 9999,
    seed: int = 2021,
) -> InnovationResult:
    """Run notebook 05's analysis on :func:`evalkit.studies.innovation.load`'s tables."""
    from evalkit.studies import innovation

    c = innovation.coding(tables)
    ratings = evidence.load_ratings(quality_ratings, c)
    trend = evidence.robustness_trend_test(c.outcomes, ratings, n_permutations=n_permutations, seed=seed)
    demo_ratings = evidence.load_ratings(evidence.ILLUSTRATIVE_RATINGS, c)
    demo = evidence.robustness_trend_test(c.outcomes, demo_ratings, n_permutations=n_permutations, seed=seed)
    rep = innovation.reproduce(tables, ratings, n_permutations=n_permutations, seed=seed)
    return InnovationResult(la_name=la_name, coding=c, ratings=ratings, trend=trend, demo=demo, reproduction=rep)
