"""Evidence map of the Innovation Programme round 2 booklet (*Learning from Innovation*).

Works on the coding in ``data/raw/003_learning_from_innovation`` (schemas in
:mod:`evalkit.schemas.innovation`):

- :func:`load_coding` and :func:`load_ratings` read and cross-check the tables;
- :func:`projects_by_theme`, :func:`directions_by`, :func:`valence_by` and
  :func:`headline_counts` rebuild the booklet's aggregates from the coding;
- :func:`evidence_gap_map` draws the theme x outcome-domain map;
- :func:`robustness_trend_test` tests the introduction's claim that "the less
  robust the impact evaluation, the more likely it is to find a positive
  impact" at finding level, clustered by project (a project-level permutation
  test, and a GEE logistic model with cluster-robust errors). Without ratings it
  reports ``untestable``: the booklet's rating icons were lost in extraction;
- :func:`design_bridge` lists projects by the type of their outcomes (LA-level
  rates, natural for ITS/DiD; child- or family-level, natural for matching).
  This is a classification by outcome type, not the designs the evaluations used.

Valence
-------
The booklet gives each finding a *direction* (Increase, Decrease, No change,
Inconclusive). Direction is not valence: fewer placement moves is good news,
fewer young people in education, employment or training is bad news. The
coding therefore carries the analyst's ``desired_direction`` for each measure
and a ``valence`` derived from it by
:func:`evalkit.schemas.innovation.derive_valence` (re-exported here); the
schema checks every row against that rule.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit import schemas
from evalkit.errors import InputDataError
from evalkit.schemas.innovation import (
    DESIRED_DIRECTIONS,
    DIRECTIONS,
    DOMAINS,
    MEASURE_LEVELS,
    VALENCES,
    coding_problems,
    derive_valence,
)

__all__ = [
    "BRIDGE_LABEL",
    "DESIRED_DIRECTIONS",
    "DIRECTIONS",
    "DOMAINS",
    "MEASURE_LEVELS",
    "VALENCES",
    "Coding",
    "EvidenceError",
    "TrendTestResult",
    "code_valence",
    "derive_valence",
    "design_bridge",
    "directions_by",
    "directions_used",
    "evidence_gap_map",
    "gradient_claim_value",
    "headline_counts",
    "illustrative_ratings",
    "is_illustrative",
    "load_coding",
    "load_ratings",
    "opcit_proxy_counts",
    "projects_by_theme",
    "record_programme_parameters",
    "record_rating_claims",
    "robustness_trend_test",
    "summary_page_span",
    "valence_by",
]

_RESOURCES = Path(__file__).resolve().parents[2] / "resources"
#: Template a user fills with the ratings read from the printed booklet.
RATINGS_TEMPLATE = _RESOURCES / "templates" / "innovation_quality_ratings_template.csv"
#: Made-up ratings (every row flagged illustrative) for demonstrating the trend test.
ILLUSTRATIVE_RATINGS = _RESOURCES / "examples" / "innovation_illustrative_quality_ratings.csv"

#: Printed with every design-bridge table.
BRIDGE_LABEL = (
    "classification by outcome type only, NOT the designs the evaluations used "
    "(the booklet names no project's design)"
)

#: Why the rating-dependent claims cannot be re-derived from the shipped coding.
RATINGS_LOST = (
    "the booklet's rating icons (impact evaluation, quality, CBA) were lost in the text "
    "extraction; supply ratings read from the printed booklet (parameter quality_ratings)"
)

#: How a robustness measure is turned into a number (higher = more robust).
ROBUSTNESS_MEASURES = ("quality_level", "impact_evaluation")

DIRECTION_COLOURS = {
    "Increase": "#0173b2",
    "Decrease": "#de8f05",
    "No change": "#949494",
    "Inconclusive": "#cc78bc",
}
VALENCE_COLOURS = {
    "favourable": "#029e73",
    "unfavourable": "#d55e00",
    "null": "#949494",
    "inconclusive": "#cc78bc",
    "ambiguous": "#ece133",
}


class EvidenceError(InputDataError):
    """Bad input to an evidence-map function (names the argument and the rule)."""


# --------------------------------------------------------------------------- loading


@dataclass
class Coding:
    """The booklet coding: themes, projects and outcome findings (validated, cross-checked)."""

    themes: pd.DataFrame
    projects: pd.DataFrame
    outcomes: pd.DataFrame

    @property
    def theme_order(self) -> list[str]:
        """Themes in booklet order."""
        return list(self.themes.sort_values("theme_order")["theme"])


def load_coding(data_dir: str | Path) -> Coding:
    """Read and cross-check ``innovation_themes``, ``innovation_projects`` and ``innovation_outcomes``.

    Parameters
    ----------
    data_dir
        Folder holding the three tables (relative paths are taken from the
        repository root).

    Returns
    -------
    Coding

    Raises
    ------
    evalkit.schemas.InputError
        One line per problem (file, row, column, rule) when a table breaks its
        schema or the tables disagree (e.g. an outcome whose project is missing).
    """
    themes = schemas.load_table(data_dir, "innovation_themes")
    projects = schemas.load_table(data_dir, "innovation_projects")
    outcomes = schemas.load_table(data_dir, "innovation_outcomes")
    problems = coding_problems(projects, outcomes, themes, where=Path(str(data_dir)).name)
    if problems:
        raise schemas.InputError(problems)
    return Coding(themes=themes, projects=projects, outcomes=outcomes)


def load_ratings(path: str | Path | None, coding: Coding) -> pd.DataFrame | None:
    """Read a user's quality-ratings CSV (``innovation_quality_ratings``), or ``None``.

    Parameters
    ----------
    path
        CSV path (relative to the repository root), or ``None``/``""`` for none.
    coding
        The coding the ratings refer to: every ``project_id`` must exist in it.

    Raises
    ------
    evalkit.schemas.InputError
        When the file breaks the schema or names an unknown project.
    """
    if path is None or str(path).strip() == "":
        return None
    from evalkit.paths import resolve

    p = resolve(path)
    ratings = schemas.read_table(p, "innovation_quality_ratings")
    problems = coding_problems(coding.projects, None, None, ratings)
    if problems:
        shown = p.name
        raise schemas.InputError(
            [schemas.Problem(shown, pr.rule, pr.detail, pr.row, pr.column) for pr in problems]
        )
    return ratings


def is_illustrative(ratings: pd.DataFrame | None) -> bool:
    """True when any row of ``ratings`` is flagged ``illustrative = yes``."""
    if ratings is None or "illustrative" not in ratings.columns:
        return False
    return bool((ratings["illustrative"].astype("string").str.lower() == "yes").any())


# --------------------------------------------------------------------------- aggregates


def _ordered_counts(df: pd.DataFrame, by: str, col: str, rows: list[str], cols: list[str]) -> pd.DataFrame:
    tab = pd.crosstab(df[by], df[col]) if len(df) else pd.DataFrame()
    tab = tab.reindex(index=rows, columns=cols, fill_value=0).fillna(0).astype(int)
    tab["total"] = tab.sum(axis=1)
    tab.index.name = by
    return tab


def _with_theme(coding: Coding) -> pd.DataFrame:
    return coding.outcomes.merge(coding.projects[["project_id", "theme"]], on="project_id", how="left",
                                 validate="many_to_one")


def projects_by_theme(coding: Coding) -> pd.DataFrame:
    """Projects, projects with outcomes, empty panels and findings per theme, in booklet order.

    Returns
    -------
    pandas.DataFrame
        Columns ``theme, page, projects, with_outcomes, empty_panel, findings``
        and a final ``Total`` row.
    """
    pr = coding.projects
    n_out = coding.outcomes.groupby("project_id").size()
    rows = []
    for _, t in coding.themes.sort_values("theme_order").iterrows():
        sub = pr[pr["theme"] == t["theme"]]
        findings = int(n_out.reindex(sub["project_id"]).fillna(0).sum())
        rows.append({
            "theme": t["theme"],
            "page": int(t["page"]),
            "projects": len(sub),
            "with_outcomes": int((sub["outcome_panel"] == "listed").sum()),
            "empty_panel": int((sub["outcome_panel"] != "listed").sum()),
            "findings": findings,
        })
    out = pd.DataFrame(rows)
    total = {"theme": "Total", "page": pd.NA}
    total.update({c: int(out[c].sum()) for c in ("projects", "with_outcomes", "empty_panel", "findings")})
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def directions_by(coding: Coding, by: str = "theme") -> pd.DataFrame:
    """Counts of each direction by theme or by domain (rows in booklet / domain order).

    Parameters
    ----------
    coding
        From :func:`load_coding`.
    by
        ``"theme"`` or ``"domain"``.

    Returns
    -------
    pandas.DataFrame
        One row per theme or domain (all of them, zeros included), columns
        :data:`DIRECTIONS` and ``total``.
    """
    rows = _rows_for(coding, by)
    return _ordered_counts(_with_theme(coding), by, "direction", rows, DIRECTIONS)


def valence_by(coding: Coding, by: str = "theme") -> pd.DataFrame:
    """Counts of each valence (analyst coding) by theme or by domain; see :func:`directions_by`."""
    rows = _rows_for(coding, by)
    return _ordered_counts(_with_theme(coding), by, "valence", rows, VALENCES)


def _rows_for(coding: Coding, by: str) -> list[str]:
    if by == "theme":
        return coding.theme_order
    if by == "domain":
        return list(DOMAINS)
    raise EvidenceError(f"argument 'by' must be 'theme' or 'domain', not {by!r}")


def headline_counts(coding: Coding) -> dict[str, int]:
    """Counts a reader can check: projects, themes, findings, empty panels, findings by direction."""
    o = coding.outcomes
    out = {
        "themes": len(coding.themes),
        "projects": len(coding.projects),
        "projects_with_outcomes": int(o["project_id"].nunique()),
        "projects_empty_panel": int((coding.projects["outcome_panel"] != "listed").sum()),
        "findings": len(o),
    }
    for d in DIRECTIONS:
        out[f"findings_{d.lower().replace(' ', '_')}"] = int((o["direction"] == d).sum())
    return out


def directions_used(coding: Coding) -> str:
    """The directions that occur in the coding, lower case, in key order, joined by '; '."""
    present = set(coding.outcomes["direction"])
    return "; ".join(d.lower() for d in DIRECTIONS if d in present)


def summary_page_span(coding: Coding) -> int:
    """Pages from the first theme divider to the end of the last project spread.

    Each project is a two-page spread (contents pages rise in steps of 2 within
    a theme), so the last summary ends one page after its contents page.
    """
    return int(coding.projects["page"].max()) + 1 - int(coding.themes["page"].min()) + 1


def record_programme_parameters(rep: Any, stated: pd.DataFrame | None = None,
                                skip: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Mark the stated programme parameters (ids ``pNN_...``) as not reproducible, and why.

    They describe the interventions (ages, durations, numbers of components);
    the booklet holds no data from which to recompute them.

    Parameters
    ----------
    rep
        An :class:`evalkit.report.Reproduction`.
    stated
        Its stated-figures table (default ``rep.stated``).
    skip
        Figures checked otherwise (the length of a list printed beside them).

    Returns
    -------
    list of str
        The figure ids marked.
    """
    stated = rep.stated if stated is None else stated
    ids = [f for f in stated["figure_id"] if re.match(r"^p\d{2}_", str(f)) and f not in skip]
    for f in ids:
        rep.not_reproducible(
            f, "a programme parameter stated in the project description; the booklet gives no data to recompute it",
            locate=True,
        )
    return ids


# --------------------------------------------------------------------------- valence helpers


def code_valence(outcomes: pd.DataFrame) -> pd.Series:
    """Valence of each finding re-derived from ``direction`` and ``desired_direction``.

    Raises
    ------
    EvidenceError
        When a required column is missing or holds a value outside its fixed set
        (the message names the column and the row).
    """
    for c in ("direction", "desired_direction"):
        if c not in outcomes.columns:
            raise EvidenceError(f"outcomes: required column {c!r} is missing")
    out = []
    for i, (d, w) in enumerate(zip(outcomes["direction"], outcomes["desired_direction"], strict=True)):
        try:
            out.append(derive_valence(d, w))
        except ValueError as err:
            raise EvidenceError(f"outcomes row {i + 2}: {err}") from None
    return pd.Series(out, index=outcomes.index, name="valence")


# --------------------------------------------------------------------------- gap map


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _cell_layout(k: int) -> tuple[list[tuple[float, float]], float]:
    """Positions (dx, dy) of ``k`` category slots inside a unit cell, and the largest radius."""
    cols = math.ceil(k / 2)
    xs = np.linspace(-0.5 + 0.5 / cols, 0.5 - 0.5 / cols, cols)
    slots = [(float(xs[i % cols]), -0.25 if i < cols else 0.25) for i in range(k)]
    return slots, min(0.5 / cols, 0.25) * 0.92


def evidence_gap_map(coding: Coding, *, colour_by: str = "direction", ax: Any = None) -> Any:
    """Theme x outcome-domain evidence-gap map: circles coloured by direction, sized by count.

    Each cell has one slot per category (a fixed 2-row layout, e.g. Increase
    and Decrease above, No change and Inconclusive below). A category present
    in the cell is drawn as a circle whose area is proportional to its number
    of findings (the largest count fills its slot), with the count printed on
    it. Grey cells are gaps: no finding in that theme and domain. Row labels
    give each theme's number of projects and how many have an empty outcome
    panel.

    Parameters
    ----------
    coding
        From :func:`load_coding`.
    colour_by
        ``"direction"`` (as printed) or ``"valence"`` (analyst coding).
    ax
        Matplotlib axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, Patch, Rectangle

    if colour_by == "direction":
        cats, colours, col = DIRECTIONS, DIRECTION_COLOURS, "direction"
    elif colour_by == "valence":
        cats, colours, col = VALENCES, VALENCE_COLOURS, "valence"
    else:
        raise EvidenceError(f"argument 'colour_by' must be 'direction' or 'valence', not {colour_by!r}")
    themes = coding.theme_order
    domains = list(DOMAINS)
    df = _with_theme(coding)
    counts = df.groupby(["theme", "domain", col]).size()
    nmax = int(counts.max()) if len(counts) else 1
    slots, rmax = _cell_layout(len(cats))
    if ax is None:
        fig, ax = plt.subplots(figsize=(14, 8.5), dpi=100)
    else:
        fig = ax.figure
    for r, th in enumerate(themes):
        for c, dom in enumerate(domains):
            cell = [(k, int(counts.get((th, dom, k), 0))) for k in cats]
            if not any(n for _, n in cell):
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="#e6e6e6", lw=0, zorder=0))
                continue
            for (k, n), (dx, dy) in zip(cell, slots, strict=True):
                if n:
                    rad = rmax * math.sqrt(n / nmax)
                    ax.add_patch(Circle((c + dx, r + dy), rad, facecolor=colours[k], edgecolor="black",
                                        linewidth=0.4, zorder=3))
                    ax.text(c + dx, r + dy, str(n), ha="center", va="center", fontsize=6 if n < 3 else 8,
                            zorder=4)
    tab = projects_by_theme(coding).set_index("theme")
    labels = [f"{th} ({_plural(tab.at[th, 'projects'], 'project')}, {tab.at[th, 'empty_panel']} with no outcomes)"
              for th in themes]
    ax.set_aspect("equal")
    ax.set_xlim(-0.5, len(domains) - 0.5)
    ax.set_ylim(len(themes) - 0.5, -0.5)
    ax.set_xticks(range(len(domains)))
    ax.set_xticklabels([d.replace("_", " ") for d in domains], rotation=35, ha="right",
                       rotation_mode="anchor")
    ax.set_yticks(range(len(themes)))
    ax.set_yticklabels(labels)
    ax.set_xticks(np.arange(-0.5, len(domains)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(themes)), minor=True)
    ax.grid(False)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    handles = [Patch(facecolor=colours[k], edgecolor="black", label=k) for k in cats]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title="direction as printed" if col == "direction" else "valence (analyst coding)")
    order = " | ".join(cats[: math.ceil(len(cats) / 2)]) + " above; " + " | ".join(
        cats[math.ceil(len(cats) / 2):]) + " below"
    ax.set_xlabel(f"harmonised outcome domain (analyst coding)\nin each cell: {order}; "
                  f"circle area proportional to findings (largest = {nmax}); grey cell = gap")
    ax.set_title("Learning from Innovation (round 2): outcome findings by theme and domain")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- trend test


@dataclass
class TrendTestResult:
    """Result of :func:`robustness_trend_test`.

    ``status`` is ``"tested"`` or ``"untestable"`` (``reason`` says why);
    ``verdict`` is ``"supported"``, ``"not supported"`` or ``"untestable"``.
    The permutation test is the primary test; the GEE is reported beside it.
    """

    status: str
    reason: str = ""
    verdict: str = "untestable"
    robustness: str = "quality_level"
    illustrative: bool = False
    n_findings: int = 0
    n_projects: int = 0
    excluded_valence: tuple[str, ...] = ()
    by_level: pd.DataFrame = field(default_factory=pd.DataFrame)
    slope: float = float("nan")
    perm_p_one_sided: float = float("nan")
    perm_p_two_sided: float = float("nan")
    n_permutations: int = 0
    seed: int | None = None
    alpha: float = 0.05
    gee: dict[str, Any] | None = None
    data: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """GEE Wald interval for the log-odds slope (empty when untestable or not fitted)."""
        if self.gee is None:
            return pd.DataFrame(columns=["lower", "upper"])
        z = _norm_ppf(1 - alpha / 2)
        b, se = self.gee["slope_log_odds"], self.gee["se"]
        return pd.DataFrame({"lower": [b - z * se], "upper": [b + z * se]}, index=["robustness"])

    def summary(self) -> str:
        """Plain fixed text of the result (stable for output-checked cells)."""
        from evalkit.report import format_value as fv

        head = "ILLUSTRATIVE RATINGS - NOT THE BOOKLET'S - " if self.illustrative else ""
        lines = [f"{head}Robustness vs favourable findings (robustness = {self.robustness})"]
        if self.status != "tested":
            lines.append(f"status: untestable - {self.reason}")
            return "\n".join(lines)
        lines.append(
            f"findings: {self.n_findings} in {self.n_projects} rated projects"
            + (f" (excluded valence: {', '.join(self.excluded_valence)})" if self.excluded_valence else "")
        )
        bl = self.by_level.copy()
        bl["favourable_share"] = bl["favourable_share"].map(lambda v: fv(round(float(v), 3)))
        lines.append(bl.astype(str).to_string(index=False))
        lines.append(f"finding-level slope of favourable share per robustness step: {fv(round(self.slope, 4))}")
        lines.append(
            f"project-level permutation test ({self.n_permutations} permutations, seed {self.seed}): "
            f"one-sided p (claim direction, slope < 0) = {fv(round(self.perm_p_one_sided, 4))}; "
            f"two-sided p = {fv(round(self.perm_p_two_sided, 4))}"
        )
        if self.gee is not None:
            g = self.gee
            lines.append(
                f"GEE logistic, {g['cov_struct']} working correlation, {g['cov_type']} SE: "
                f"log-odds slope {fv(round(g['slope_log_odds'], 3))} (SE {fv(round(g['se'], 3))}), "
                f"one-sided p = {fv(round(g['p_one_sided'], 4))}"
            )
        else:
            lines.append("GEE: not estimable on these data (see permutation test)")
        lines.append(f"verdict (permutation test, alpha {fv(self.alpha)}): {self.verdict}")
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Any:
        """Favourable share by robustness level, dots sized by number of findings."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 4))
        else:
            fig = ax.figure
        if self.status != "tested":
            ax.text(0.5, 0.5, f"untestable:\n{self.reason}", ha="center", va="center", wrap=True,
                    transform=ax.transAxes, fontsize=9)
            ax.set_axis_off()
            return fig
        bl = self.by_level
        ax.scatter(bl["level"], bl["favourable_share"], s=30 * bl["findings"], color="#029e73",
                   edgecolor="black", zorder=3)
        for _, r in bl.iterrows():
            ax.annotate(f"{int(r['favourable'])}/{int(r['findings'])}", (r["level"], r["favourable_share"]),
                        textcoords="offset points", xytext=(0, 10), ha="center", fontsize=8)
        ax.set_ylim(-0.05, 1.1)
        ax.set_xticks(list(bl["level"]))
        ax.set_xlabel(f"{self.robustness} (higher = more robust)")
        ax.set_ylabel("share of findings favourable")
        title = "Favourable findings by evaluation robustness"
        if self.illustrative:
            title = "ILLUSTRATIVE ratings (made up): " + title
        ax.set_title(title, fontsize=10)
        return fig


def _norm_ppf(q: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(q))


def _robustness_values(ratings: pd.DataFrame, robustness: str) -> pd.Series:
    if robustness == "quality_level":
        v = pd.to_numeric(ratings["quality_level"], errors="coerce")
    elif robustness == "impact_evaluation":
        v = ratings["impact_evaluation"].map({"yes": 1.0, "no": 0.0})
    else:
        raise EvidenceError(f"argument 'robustness' must be one of {ROBUSTNESS_MEASURES}, not {robustness!r}")
    return pd.Series(pd.array(v, dtype="Float64").to_numpy(dtype=float, na_value=np.nan), index=ratings.index)


def finding_table(
    outcomes: pd.DataFrame,
    ratings: pd.DataFrame,
    *,
    robustness: str = "quality_level",
    exclude_valence: tuple[str, ...] = ("ambiguous",),
) -> pd.DataFrame:
    """One row per analysed finding: ``project_id``, ``robustness`` (x) and ``favourable`` (0/1).

    Findings of projects without a rating, and findings whose valence is in
    ``exclude_valence``, are dropped. ``favourable`` is 1 for valence
    ``favourable`` and 0 otherwise (null, unfavourable, inconclusive, and
    ambiguous if not excluded).
    """
    for c in ("project_id", "valence"):
        if c not in outcomes.columns:
            raise EvidenceError(f"outcomes: required column {c!r} is missing")
    bad = sorted(set(outcomes["valence"]) - set(VALENCES))
    if bad:
        raise EvidenceError(f"outcomes: column 'valence' holds {bad}, outside {VALENCES}")
    bad_ex = sorted(set(exclude_valence) - set(VALENCES))
    if bad_ex:
        raise EvidenceError(f"argument 'exclude_valence' holds {bad_ex}, outside {VALENCES}")
    x = _robustness_values(ratings, robustness)
    rmap = dict(zip(ratings["project_id"], x, strict=True))
    df = outcomes[["project_id", "valence"]].copy()
    df["robustness"] = df["project_id"].map(rmap).astype(float)
    df = df[df["robustness"].notna() & ~df["valence"].isin(exclude_valence)]
    df["favourable"] = (df["valence"] == "favourable").astype(int)
    return df.reset_index(drop=True)


def _perm_slopes(x: np.ndarray, n: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Finding-level OLS slope of favourable on robustness, for each row of ``x`` (projects in columns)."""
    N, F = n.sum(), f.sum()
    sx = x @ n
    sxx = (x**2) @ n
    sxy = x @ f
    den = sxx - sx**2 / N
    with np.errstate(divide="ignore", invalid="ignore"):
        return (sxy - sx * F / N) / den


def robustness_trend_test(
    outcomes: pd.DataFrame,
    ratings: pd.DataFrame | None = None,
    *,
    robustness: str = "quality_level",
    exclude_valence: tuple[str, ...] = ("ambiguous",),
    cov_struct: str = "exchangeable",
    cov_type: str = "bias_reduced",
    n_permutations: int = 9999,
    seed: int = 0,
    alpha: float = 0.05,
) -> TrendTestResult:
    """Test whether less robust evaluations report favourable findings more often.

    The unit of analysis is the finding; findings are clustered in projects and
    the robustness rating is a project attribute, so inference is at project
    level:

    * **Permutation test (primary).** The ratings are permuted across the rated
      projects (each project keeps its findings), and the finding-level OLS
      slope of ``favourable`` (0/1) on robustness is recomputed. The one-sided
      p-value, in the claim's direction (slope < 0), is
      ``(1 + #{perm slope <= observed}) / (n_permutations + 1)``. Exact in
      size under exchangeability of ratings across projects, whatever the
      number of clusters.
    * **GEE.** Logistic GEE of ``favourable`` on robustness with groups =
      project, an exchangeable (or independence) working correlation and a
      cluster-robust covariance (default Mancl-DeRouen ``bias_reduced``, for
      few clusters). Reported beside the permutation test; omitted when it
      cannot be estimated (e.g. perfect separation).

    Parameters
    ----------
    outcomes
        ``innovation_outcomes`` (needs ``project_id`` and ``valence``).
    ratings
        ``innovation_quality_ratings`` or ``None``. ``None``, no rated project,
        or fewer than two robustness levels among rated projects with findings
        gives ``status = "untestable"``.
    robustness
        ``"quality_level"`` (ordinal, linear trend) or ``"impact_evaluation"``
        (yes = 1, no = 0).
    exclude_valence
        Valences dropped before testing (default: ``ambiguous``, whose sign is
        undetermined). Inconclusive findings count as not favourable.
    cov_struct
        ``"exchangeable"`` or ``"independence"``.
    cov_type
        statsmodels GEE covariance: ``"robust"``, ``"bias_reduced"`` or ``"naive"``.
    n_permutations
        Number of random permutations (at least 99).
    seed
        Seed of the permutation RNG (``numpy.random.default_rng``).
    alpha
        Level of the one-sided permutation test behind ``verdict``.

    Returns
    -------
    TrendTestResult
    """
    if cov_struct not in ("exchangeable", "independence"):
        raise EvidenceError(f"argument 'cov_struct' must be 'exchangeable' or 'independence', not {cov_struct!r}")
    if cov_type not in ("robust", "bias_reduced", "naive"):
        raise EvidenceError(f"argument 'cov_type' must be 'robust', 'bias_reduced' or 'naive', not {cov_type!r}")
    if not isinstance(n_permutations, int | np.integer) or n_permutations < 99:
        raise EvidenceError(f"argument 'n_permutations' must be a whole number of at least 99, not {n_permutations!r}")
    if not 0 < alpha < 1:
        raise EvidenceError(f"argument 'alpha' must lie between 0 and 1, not {alpha!r}")
    if robustness not in ROBUSTNESS_MEASURES:
        raise EvidenceError(f"argument 'robustness' must be one of {ROBUSTNESS_MEASURES}, not {robustness!r}")
    base = {"robustness": robustness, "illustrative": is_illustrative(ratings),
            "excluded_valence": tuple(exclude_valence), "alpha": alpha}
    if ratings is None:
        return TrendTestResult(status="untestable", reason=RATINGS_LOST, **base)
    df = finding_table(outcomes, ratings, robustness=robustness, exclude_valence=tuple(exclude_valence))
    if df.empty:
        return TrendTestResult(status="untestable", reason="no rated project has an analysable finding "
                               f"(the ratings file gives no {robustness} for projects with outcomes)", **base)
    levels = sorted(df["robustness"].unique())
    if len(levels) < 2:
        return TrendTestResult(status="untestable", reason=f"all rated projects share one {robustness} "
                               "level, so there is no gradient to test", n_findings=len(df),
                               n_projects=int(df["project_id"].nunique()), data=df, **base)
    by = df.groupby("robustness").agg(projects=("project_id", "nunique"), findings=("favourable", "size"),
                                      favourable=("favourable", "sum")).reset_index()
    by = by.rename(columns={"robustness": "level"})
    by["favourable_share"] = by["favourable"] / by["findings"]
    by["level"] = by["level"].map(lambda v: int(v) if float(v).is_integer() else v)
    proj = df.groupby("project_id").agg(x=("robustness", "first"), n=("favourable", "size"),
                                        f=("favourable", "sum"))
    x, n, f = (proj[c].to_numpy(float) for c in ("x", "n", "f"))
    observed = float(_perm_slopes(x[None, :], n, f)[0])
    rng = np.random.default_rng(seed)
    perms = rng.permuted(np.tile(x, (n_permutations, 1)), axis=1)
    slopes = _perm_slopes(perms, n, f)
    tol = 1e-12
    p_one = (1 + int(np.sum(slopes <= observed + tol))) / (n_permutations + 1)
    p_two = (1 + int(np.sum(np.abs(slopes) >= abs(observed) - tol))) / (n_permutations + 1)
    gee = _fit_gee(df, cov_struct, cov_type)
    verdict = "supported" if (observed < 0 and p_one < alpha) else "not supported"
    return TrendTestResult(
        status="tested", verdict=verdict, n_findings=len(df), n_projects=len(proj), by_level=by,
        slope=observed, perm_p_one_sided=p_one, perm_p_two_sided=p_two, n_permutations=n_permutations,
        seed=seed, gee=gee, data=df, **base,
    )


def _fit_gee(df: pd.DataFrame, cov_struct: str, cov_type: str) -> dict[str, Any] | None:
    """Logistic GEE of favourable on robustness clustered by project; ``None`` if not estimable."""
    import statsmodels.api as sm
    from scipy.stats import norm

    y = df["favourable"].to_numpy(float)
    xr = df["robustness"].to_numpy(float)
    if y.min() == y.max():
        return None
    # (quasi-)complete separation on one predictor: the logistic slope is infinite
    if xr[y == 0].max() <= xr[y == 1].min() or xr[y == 1].max() <= xr[y == 0].min():
        return None
    exog = sm.add_constant(xr)
    groups = pd.factorize(df["project_id"])[0]
    cs = sm.cov_struct.Exchangeable() if cov_struct == "exchangeable" else sm.cov_struct.Independence()
    model = sm.GEE(y, exog, groups=groups, family=sm.families.Binomial(), cov_struct=cs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(cov_type=cov_type, maxiter=200)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        return None
    if res is None:
        return None
    b = float(res.params[1])
    se = float(res.bse[1])
    if not (math.isfinite(b) and math.isfinite(se)) or se <= 0 or abs(b) > 20:
        return None
    z = b / se
    return {
        "slope_log_odds": b,
        "se": se,
        "z": z,
        "p_two_sided": float(2 * norm.sf(abs(z))),
        "p_one_sided": float(norm.cdf(z)),
        "cov_struct": cov_struct,
        "cov_type": cov_type,
        "result": res,
    }


def gradient_claim_value(result: TrendTestResult, claim: str) -> str | None:
    """Value to check against the stated ``robustness_gradient`` claim.

    ``claim`` itself when the test supports it, a "no evidence ..." text when
    it does not, and ``None`` when untestable (so the figure is not_reproducible).
    """
    if result.status != "tested":
        return None
    return claim if result.verdict == "supported" else f"no evidence that {claim}"


def opcit_proxy_counts(ratings: pd.DataFrame | None) -> dict[str, int] | None:
    """Projects rated with / without an impact evaluation: a proxy for Opcit's 12 'stronger' vs 29.

    The proxy is WWCSC's impact-evaluation flag, not Opcit's three-way
    classification, and covers the booklet's 44 summaries, not Opcit's 41.
    ``None`` when ``ratings`` is ``None`` or gives no impact-evaluation flag.
    """
    if ratings is None:
        return None
    flag = ratings["impact_evaluation"].dropna()
    if flag.empty:
        return None
    return {"with_impact_evaluation": int((flag == "yes").sum()),
            "without_impact_evaluation": int((flag == "no").sum()),
            "rated": int(len(flag))}


def record_rating_claims(rep: Any, ratings: pd.DataFrame | None, result: TrendTestResult) -> None:
    """Record the introduction's rating-dependent claims in a reproduction table.

    ``opcit_stronger`` / ``opcit_weaker`` (12 vs 29) are checked against the
    proxy of :func:`opcit_proxy_counts` and ``robustness_gradient`` against
    :func:`gradient_claim_value`, but only with real ratings. Without ratings,
    or with ratings flagged illustrative, all three are ``not_reproducible``
    with the reason.

    Parameters
    ----------
    rep
        An :class:`evalkit.report.Reproduction` for the booklet's folder.
    ratings
        User ratings (``innovation_quality_ratings``) or ``None``.
    result
        :func:`robustness_trend_test` run on those ratings.
    """
    ids = ("opcit_stronger", "opcit_weaker", "robustness_gradient")
    if ratings is None:
        for f in ids:
            rep.not_reproducible(f, RATINGS_LOST, locate=True)
        return
    if is_illustrative(ratings):
        for f in ids:
            rep.not_reproducible(f, "only illustrative (made-up) ratings were supplied; " + RATINGS_LOST, locate=True)
        return
    proxy = opcit_proxy_counts(ratings)
    why = ("proxy: WWCSC's impact-evaluation flag over the booklet's summaries, not Opcit's three-way "
           "classification of 41 interventions")
    if proxy is None:
        rep.not_reproducible("opcit_stronger", "the ratings give no impact_evaluation flag")
        rep.not_reproducible("opcit_weaker", "the ratings give no impact_evaluation flag")
    else:
        note = f"{proxy['rated']} projects rated"
        rep.check("opcit_stronger", proxy["with_impact_evaluation"], reason=why, note=note)
        rep.check("opcit_weaker", proxy["without_impact_evaluation"], reason=why, note=note)
    claim = str(rep.stated.loc["robustness_gradient", "reported"]) if rep.wants("robustness_gradient") else ""
    value = gradient_claim_value(result, claim)
    if value is None:
        rep.not_reproducible("robustness_gradient", f"untestable with the supplied ratings: {result.reason}")
    else:
        from evalkit.report import format_value as fv

        rep.check("robustness_gradient", value,
                  reason=f"no gradient at alpha {fv(result.alpha)} in a project-level permutation test",
                  note=(f"slope {fv(round(result.slope, 4))} per {result.robustness} step; one-sided "
                        f"permutation p = {fv(round(result.perm_p_one_sided, 4))} "
                        f"({result.n_findings} findings, {result.n_projects} projects)"))


def illustrative_ratings(coding: Coding, *, seed: int = 2021, scale_max: int = 5) -> pd.DataFrame:
    """Made-up ratings for demonstrating the trend test; every row flagged ``illustrative = yes``.

    Recipe (so the shipped example file can be regenerated and checked):
    ``quality_level`` is drawn uniformly from 1..``scale_max`` per project with
    ``numpy.random.default_rng(seed)`` in project order; ``impact_evaluation``
    is ``yes`` when ``quality_level >= 3``; ``lacking_evidence`` is ``yes`` when
    ``quality_level <= 2``. CBA fields are left empty. The ratings are
    independent of the outcomes by construction, so a calibrated test should
    usually find no gradient in them.
    """
    if scale_max < 2:
        raise EvidenceError(f"argument 'scale_max' must be at least 2, not {scale_max!r}")
    rng = np.random.default_rng(seed)
    pr = coding.projects.sort_values("project_id")
    q = rng.integers(1, scale_max + 1, size=len(pr))
    return pd.DataFrame({
        "project_id": pr["project_id"].to_numpy(),
        "project": pr["project"].to_numpy(),
        "page": pr["page"].to_numpy(),
        "impact_evaluation": np.where(q >= 3, "yes", "no"),
        "quality_level": q,
        "quality_scale_max": scale_max,
        "quality_label": "",
        "lacking_evidence": np.where(q <= 2, "yes", "no"),
        "cba": "",
        "cba_effect": "",
        "coder": f"none: generated by evalkit.studies.innovation.evidence.illustrative_ratings(seed={seed})",
        "illustrative": "yes",
        "notes": "ILLUSTRATIVE: random, NOT read from the booklet",
    })


# --------------------------------------------------------------------------- design bridge


def design_bridge(coding: Coding) -> pd.DataFrame:
    """Projects by the type of their outcomes: LA-level rates (ITS/DiD) and child/family level (matching).

    A project with at least one ``la_aggregate`` outcome is an ITS/DiD
    candidate; one with at least one ``child_or_family`` outcome is a matching
    (PSM/CEM) candidate; a project can be both. Projects with an empty outcome
    panel are listed as "no outcomes summarised". Every row carries
    :data:`BRIDGE_LABEL`: this is a classification by outcome type, not the
    designs the evaluations used.

    Returns
    -------
    pandas.DataFrame
        ``project_id, project, theme, findings, la_aggregate, child_or_family,
        practitioner_or_carer, its_did_candidate, matching_candidate,
        classification, label``.
    """
    counts = pd.crosstab(coding.outcomes["project_id"], coding.outcomes["measure_level"])
    counts = counts.reindex(columns=MEASURE_LEVELS, fill_value=0)
    pr = coding.projects[["project_id", "project", "theme"]].merge(
        counts, left_on="project_id", right_index=True, how="left"
    )
    for c in MEASURE_LEVELS:
        pr[c] = pr[c].fillna(0).astype(int)
    pr.insert(3, "findings", pr[MEASURE_LEVELS].sum(axis=1))
    pr["its_did_candidate"] = pr["la_aggregate"] > 0
    pr["matching_candidate"] = pr["child_or_family"] > 0

    def _cls(r: pd.Series) -> str:
        if r["findings"] == 0:
            return "no outcomes summarised"
        parts = []
        if r["its_did_candidate"]:
            parts.append("LA-level rates: ITS/DiD")
        if r["matching_candidate"]:
            parts.append("child/family level: matching (PSM/CEM)")
        return "; ".join(parts) if parts else "practitioner/carer measures only"

    pr["classification"] = pr.apply(_cls, axis=1)
    pr["label"] = BRIDGE_LABEL
    return pr.reset_index(drop=True)
