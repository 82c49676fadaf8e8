"""The survey-baselines report behind ``notebooks/09_survey_baselines.ipynb``.

:func:`survey_baselines` runs every analysis a survey folder supports and
returns a :class:`SurveyBaselines` whose methods print fixed-format text (for
output-checked notebook cells), draw the plots, and save the suppressed tables.
A part the data cannot support (no ``likert_`` items, no items of the chosen
scale) says so instead of failing, so one notebook serves every authority.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit.disclosure import MARKER
from evalkit.surveys.analysis import LIKERT, ChangeAnalysis, analyse_change
from evalkit.surveys.ratings import AGREE5, LikertSummary, likert_summary, to_long


def table_text(df: pd.DataFrame) -> str:
    """Fixed-width text of a table: empty for missing, numbers as given (for checked cells)."""
    if df is None or df.empty:
        return "(no rows)"

    def cell(v) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return ""
        if isinstance(v, float):
            return f"{v:g}" if abs(v) >= 1e-4 or v == 0 else f"{v:.2e}"
        return str(v)

    body = df.map(cell) if hasattr(df, "map") else df.applymap(cell)
    return body.to_string(index=False)


def _items(df: pd.DataFrame, prefixes: Sequence[str]) -> list[str]:
    return [c for c in df.columns if any(str(c).startswith(p) for p in prefixes) and df[c].notna().any()]


def _rows(df: pd.DataFrame, group: str | None) -> pd.DataFrame:
    if group is None or "respondent_group" not in df:
        return df
    return df[df["respondent_group"] == group]


@dataclass
class SurveyBaselines:
    """Everything the survey notebook shows. Tables are suppressed aggregates."""

    la_name: str
    scale: str
    informant: str
    bands: str
    n_rows: int
    likert: LikertSummary | None
    professionals: ChangeAnalysis | None
    young_people: ChangeAnalysis | None
    truth: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ text
    def overview(self) -> str:
        lines = [f"{self.la_name}: {self.n_rows} questionnaire rows"]
        for label, a in (("professionals' likert items", self.professionals), (f"{self.scale}", self.young_people)):
            if a is None:
                lines.append(f"  {label}: not in this data")
            else:
                lines.append(f"  {label}: {a.n_baseline} at baseline, {a.n_followed_up} at follow-up "
                             f"({100 * a.n_followed_up / a.n_baseline:.0f}% followed up)")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def likert_text(self) -> str:
        if self.likert is None:
            return "No likert_ items in this data."
        return table_text(self.likert.statistics())

    def analysis_text(self, which: str) -> str:
        a = self._pick(which)
        if a is None:
            return f"No {which} data to analyse."
        return a.summary()

    def estimates_text(self, which: str) -> str:
        a = self._pick(which)
        if a is None:
            return f"No {which} data to analyse."
        return table_text(a.estimates(truth=self.truth_for(which)))

    def attrition_text(self, which: str, *, verdict: bool = True) -> str:
        """The completers-against-lost table and (with ``verdict``) the attrition verdict."""
        a = self._pick(which)
        if a is None:
            return f"No {which} data to analyse."
        return table_text(a.attrition_table()) + ("\n\n" + a.verdict.text if verdict else "")

    def verdict(self, which: str):
        """The attrition verdict as Markdown prose (``IPython.display.Markdown``)."""
        from evalkit.viz import prose

        a = self._pick(which)
        return prose(a.verdict.text if a is not None else f"No {which} data to analyse.")

    def findings(self):
        """The headline in plain language (:class:`evalkit.results.Summary`, Markdown in Jupyter)."""
        from evalkit.results import Summary

        text = []
        yp, pro = self.young_people, self.professionals
        if yp is not None:
            text.append("**Young people.** " + yp.plain_language(population="young people"))
        if pro is not None:
            text.append("**Professionals' survey.** " + pro.plain_language(population="professionals"))
        if not text:
            text.append("There is no survey data to describe.")
        return Summary(f"Findings: {self.la_name} survey baselines", "\n\n".join(text))

    def profile_text(self) -> str:
        a = self.young_people
        if a is None:
            return f"No {self.scale} items in this data."
        bands = a.baseline_bands()
        text = table_text(a.baseline_profile())
        if not bands.empty:
            text += "\n\n" + table_text(bands[bands["score"] == a.score])
        return text + ("\n\n" + "\n".join(a.scores.notes) if a.scores.notes else "")

    def rci_text(self) -> str:
        a = self.young_people
        if a is None or a.rci is None:
            return "No reliable-change analysis."
        return a.rci.summary()

    def plain_language(self) -> str:
        parts = [f"{self.la_name}:"]  # the title says "synthetic" when the data are
        if self.young_people is not None:
            parts.append(self.young_people.plain_language(population="young people"))
        if self.professionals is not None:
            parts.append("Professionals' survey: " + self.professionals.plain_language(population="professionals"))
        return "\n\n".join(parts) if len(parts) > 1 else f"{self.la_name}: there is no survey data to describe."

    def truth_for(self, which: str) -> dict[str, float]:
        t = self.truth
        if not t:
            return {}
        if which == "professionals" and "professionals_cohort_change" in t:
            return {"true change had all been followed up (synthetic)": t["professionals_cohort_change"]}
        if which == "young_people":
            key = {("SDQ", "total"): "sdq_total", ("SWEMWBS", "metric"): "swemwbs_metric"}.get(
                (self.scale, self.young_people.score if self.young_people else ""))
            if key and f"young_people_{key}_population_change" in t:
                return {"true change in the population (synthetic)": t[f"young_people_{key}_population_change"],
                        "true change had this cohort all been followed up (synthetic)":
                            t[f"young_people_{key}_cohort_change"]}
        return {}

    def _pick(self, which: str) -> ChangeAnalysis | None:
        if which not in {"professionals", "young_people"}:
            raise ValueError("which: 'professionals' or 'young_people'")
        return getattr(self, which)

    # ------------------------------------------------------------ plots
    def plot_likert(self, ax=None):
        import matplotlib.pyplot as plt

        if self.likert is None:
            _, ax = plt.subplots(figsize=(6, 1))
            ax.axis("off")
            ax.text(0.5, 0.5, "no likert_ items in this data", ha="center")
            return ax
        return self.likert.plot(ax=ax, title="Professionals' answers by wave (share of answers)")

    def plot_slope(self, which: str = "young_people", ax=None):
        a = self._pick(which)
        if a is None:
            return None
        # Individual lines only for synthetic data; an LA's real respondents are drawn in groups of >= 5.
        if self.truth:
            return a.plot_slope(ax=ax, jitter=0.04)
        from evalkit.disclosure import DEFAULT_THRESHOLD

        return a.plot_slope(ax=ax, min_group=DEFAULT_THRESHOLD)

    def plot_balance(self, which: str = "young_people", ax=None):
        a = self._pick(which)
        if a is None:
            return None
        return a.plot_balance(ax=ax, title=f"Baseline balance, {which.replace('_', ' ')}: "
                                             "completers against those lost")

    # ------------------------------------------------------------ outputs
    def tables(self) -> dict[str, tuple[pd.DataFrame, list[str]]]:
        """Every output table (already suppressed) with its count columns."""
        out: dict[str, tuple[pd.DataFrame, list[str]]] = {}
        if self.likert is not None:
            out["likert_categories"] = (self.likert.categories(), [c for c in self.likert.categories() if c.startswith("n")])
            out["likert_statistics"] = (self.likert.statistics(), ["n", "n_positive"])
        for which in ("professionals", "young_people"):
            a = self._pick(which)
            if a is None:
                continue
            out[f"{which}_change"] = (a.change_table(), ["n"])
            out[f"{which}_estimates"] = (a.estimates(truth=self.truth_for(which)), ["n"])
            out[f"{which}_attrition"] = (a.attrition_table(), ["n_followed_up", "n_lost", "count_followed_up",
                                                                "count_lost"])
            out[f"{which}_reliable_change"] = (a.rci_table(), ["n", "n_improved", "n_no_change", "n_deteriorated"])
            # A standardised difference of a hidden level (or group) gives its share, and so its count, away.
            out[f"{which}_balance"] = (hide_linked_rows(a.balance().reset_index(names="covariate"),
                                                        out[f"{which}_attrition"][0], key="covariate"), [])
        if self.young_people is not None:
            out["young_people_baseline_profile"] = (self.young_people.baseline_profile(), ["n"])
            out["young_people_baseline_bands"] = (self.young_people.baseline_bands(), ["count", "n"])
        return out

    def save(self, out_dir: str | Path) -> list[str]:
        """Save every table through :func:`evalkit.outputs.save_table` and the plain-language text."""
        from evalkit import outputs

        names = []
        for name, (df, counts) in self.tables().items():
            outputs.save_table(df, out_dir, name, counts=counts)
            names.append(f"{name}.csv")
        outputs.atomic_write_text(Path(out_dir) / "plain_language.txt", self.plain_language() + "\n")
        names.append("plain_language.txt")
        return names


def hide_linked_rows(df: pd.DataFrame, source: pd.DataFrame, *, key: str, marker: str = MARKER) -> pd.DataFrame:
    """Hide every statistic of ``df`` in rows whose ``key`` has a suppressed cell in ``source``.

    A balance table's standardised difference for a category level is a
    function of that level's shares; where the attrition table hid the level's
    count, its difference is hidden too (and all of them when ``source`` hid a
    whole group).
    """
    hidden = source.astype(object).eq(marker)
    keys = set(source.loc[hidden.any(axis=1), key]) if key in source else set()
    group_hidden = any(c in source and hidden[c].all() and len(source) for c in ("n_lost", "n_followed_up"))
    out = df.copy()
    rows = out[key].isin(keys) | group_hidden
    for c in out.columns:
        if c != key:
            col = out[c].astype(object)
            col[rows.to_numpy()] = marker
            out[c] = col
    return out


def survey_baselines(
    wide: pd.DataFrame,
    *,
    la_name: str,
    scale: str = "SDQ",
    informant: str = "self",
    bands: str = "3band",
    method: str = "ipw",
    professional_group: str = "professional",
    scale_group: str = "young_person",
    truth: dict[str, float] | None = None,
    seed: int = 0,
) -> SurveyBaselines:
    """Run the Likert summary, the professionals' change and the scale's change on a wide table.

    ``professional_group`` / ``scale_group`` select rows by ``respondent_group``
    when the table has that column; otherwise every row is used for both.
    """
    notes = []
    pro = _rows(wide, professional_group)
    likert_items = _items(pro, ["likert_"])
    likert = None
    professionals = None
    if likert_items:
        long = to_long(pro, likert_items, keep=["wave"])
        likert = likert_summary(long, by=["wave"], labels=AGREE5, seed=seed)
        try:
            professionals = analyse_change(pro, LIKERT, method=method, what="professionals")
        except ValueError as err:
            notes.append(f"professionals' change not analysed: {err}")
    yp = _rows(wide, scale_group)
    prefixes = {"SDQ": ["sdq_"], "WEMWBS": ["wemwbs_"], "SWEMWBS": ["swemwbs_", "wemwbs_"]}.get(scale.upper(), [])
    young = None
    if prefixes and _items(yp, prefixes):
        young = analyse_change(yp, scale, informant=informant, bands=bands, method=method, what="young people")
    elif not prefixes:
        notes.append(f"scale {scale!r} is not one evalkit scores (SDQ, WEMWBS, SWEMWBS)")
    return SurveyBaselines(la_name=la_name, scale=scale.upper(), informant=informant, bands=bands,
                           n_rows=len(wide), likert=likert, professionals=professionals, young_people=young,
                           truth=truth or {}, notes=notes)
