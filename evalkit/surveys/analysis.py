"""One call from survey responses to baseline profile, change, reliable change and attrition.

:func:`analyse_change` scores a scale at both waves, links the waves, and
returns a :class:`ChangeAnalysis` whose tables are all suppressed aggregates:
the baseline profile, the paired change, the reliable-change categories, the
comparison of completers with those lost, and the completers-only and weighted
estimates side by side, with a plain statement on attrition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.disclosure import DEFAULT_THRESHOLD
from evalkit.surveys import _resources as res
from evalkit.surveys._safe import safe_table, secondary_within
from evalkit.surveys.attrition import (
    NonresponseWeights,
    Verdict,
    attrition_table,
    attrition_verdict,
    nonresponse_weights,
    weighted_mean,
)
from evalkit.surveys.change import (
    BASELINE,
    FOLLOW_UP,
    PairedChange,
    ReliableChange,
    link_waves,
    paired_change,
    reliable_change,
)
from evalkit.surveys.ratings import proportion_ci
from evalkit.surveys.scales import ScaleScores, default_score, score_scale

LIKERT = "LIKERT"


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha of complete rows: ``k / (k - 1) * (1 - sum(item variances) / variance(total))``."""
    x = items.dropna().to_numpy(dtype=float)
    k = x.shape[1]
    if k < 2 or len(x) < 3:
        return np.nan
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return np.nan
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total_var))


def scale_item_alpha(df: pd.DataFrame, scale: str, score: str, *, wave: str = BASELINE) -> float:
    """Cronbach's alpha, at one wave, of the items that make up one score of a standard scale.

    SDQ items are reverse-scored where the scoring key says so; composites (total,
    internalising, externalising) use the items of all their subscales. Returns NaN
    when fewer than two of the items are present.
    """
    scale = res.canonical_scale(scale)
    rows = df[df["wave"].astype(str) == wave] if "wave" in df else df
    if scale == "SDQ":
        keys = res.sdq_items()
        info = res.score_info(scale, score)
        parts = str(info["parts"]).split(";")
        keys = keys[keys["subscale"].isin(parts)]
        cols = [c for c in keys["column"] if c in rows]
        items = rows[cols].astype(float)
        rev = [c for c, r in zip(keys["column"], keys["reverse_scored"].astype(str).str.lower() == "true",
                                 strict=True) if r and c in items]
        items[rev] = 2 - items[rev]
    else:
        prefix = "wemwbs_" if scale == "WEMWBS" else "swemwbs_"
        items = rows[[c for c in rows.columns if str(c).startswith(prefix)]].astype(float)
    return cronbach_alpha(items) if items.shape[1] >= 2 else float("nan")


def score_likert(df: pd.DataFrame, items: Sequence[str] | None = None, *, min_answered: float = 0.5) -> ScaleScores:
    """Composite of five-point ``likert_*`` items: the mean of answered items (1-5).

    Missing when fewer than ``min_answered`` of the items are answered.
    """
    items = list(items) if items else [c for c in df.columns if str(c).startswith("likert_")]
    if not items:
        raise ValueError("no likert_* item columns in the table")
    x = df[items].apply(pd.to_numeric, errors="coerce")
    answered = x.notna().sum(axis=1)
    keep = answered > 0
    out = df.loc[keep, [c for c in ("respondent_id", "wave") if c in df]].copy()
    comp = x[keep].mean(axis=1)
    comp[answered[keep] < min_answered * len(items)] = np.nan
    out["composite"] = comp
    out["composite_items"] = answered[keep]
    return ScaleScores(LIKERT, out, notes=[f"composite = mean of {len(items)} items: {', '.join(items)}"])


@dataclass
class ChangeAnalysis:
    """Results of :func:`analyse_change`. Every table method returns a suppressed aggregate."""

    scale: str
    score: str
    higher_is_better: bool
    scores: ScaleScores = field(repr=False)
    linked: pd.DataFrame = field(repr=False)
    covariates: list[str]
    paired: PairedChange
    rci: ReliableChange | None
    weights: NonresponseWeights | None
    verdict: Verdict
    alpha: float = 0.05
    weight_error: str = ""

    # ----------------------------------------------------------------- tables
    @property
    def n_baseline(self) -> int:
        return int(self.linked[f"{self.score}_{BASELINE}"].notna().sum())

    @property
    def n_followed_up(self) -> int:
        return int(self.completers()[f"{self.score}_{FOLLOW_UP}"].notna().sum())

    def completers(self) -> pd.DataFrame:
        """Person-level rows seen at both waves (internal; never save)."""
        b, f = f"{self.score}_{BASELINE}", f"{self.score}_{FOLLOW_UP}"
        return self.linked[self.linked[b].notna() & self.linked[f].notna()]

    def baseline_profile(self) -> pd.DataFrame:
        """Baseline distribution of every score of the scale: n, mean, SD, median, quartiles (suppressed)."""
        base = self.scores.scores
        if "wave" in base:
            base = base[base["wave"].astype(str) == BASELINE]
        names = [s for s in (self.scores.score_names or [self.score]) if s in base]
        if self.scale == LIKERT:
            names = [self.score]
        rows = []
        for s in names:
            v = base[s].dropna().astype(float)
            rows.append({"score": s, "n": len(v), "mean": round(v.mean(), 2) if len(v) else np.nan,
                         "sd": round(v.std(ddof=1), 2) if len(v) > 1 else np.nan,
                         "median": round(v.median(), 2) if len(v) else np.nan,
                         "q1": round(v.quantile(0.25), 2) if len(v) else np.nan,
                         "q3": round(v.quantile(0.75), 2) if len(v) else np.nan})
        df = pd.DataFrame(rows)
        return safe_table(df, counts=["n"], n_column="n", statistics=["mean", "sd", "median", "q1", "q3"])

    def baseline_bands(self) -> pd.DataFrame:
        """Baseline counts in each published band with Wilson intervals (SDQ only; suppressed)."""
        base = self.scores.scores
        if "wave" in base:
            base = base[base["wave"].astype(str) == BASELINE]
        band_cols = [c for c in base.columns if c.endswith("_band")]
        rows = []
        for c in band_cols:
            v = base[c].dropna()
            n = len(v)
            for label in base[c].cat.categories:
                k = int((v == label).sum())
                lo, hi = proportion_ci(k, n, alpha=self.alpha) if n else (np.nan, np.nan)
                rows.append({"score": c[: -len("_band")], "band": label, "count": k, "n": n,
                             "pct": round(100 * k / n, 1) if n else np.nan,
                             "pct_low": round(100 * lo, 1), "pct_high": round(100 * hi, 1)})
        df = pd.DataFrame(rows, columns=["score", "band", "count", "n", "pct", "pct_low", "pct_high"])
        df = safe_table(df, counts=["count", "n"], linked={"count": ["pct", "pct_low", "pct_high"]})
        # The bands of a score add up to its n: hide a second band where one is hidden.
        return secondary_within(df, "score", "count", linked=["pct", "pct_low", "pct_high"])

    def change_table(self) -> pd.DataFrame:
        """Paired change among completers (suppressed)."""
        return self.paired.to_frame()

    def rci_table(self) -> pd.DataFrame:
        """Reliable-change categories (suppressed)."""
        return self.rci.counts() if self.rci is not None else pd.DataFrame()

    def attrition_table(self) -> pd.DataFrame:
        """Completers against those lost, at baseline (suppressed)."""
        cov = [f"{self.score}_{BASELINE}", *self.covariates]
        return attrition_table(self._for_attrition(), cov)

    def _for_attrition(self) -> pd.DataFrame:
        b, f = f"{self.score}_{BASELINE}", f"{self.score}_{FOLLOW_UP}"
        df = self.linked[self.linked[b].notna()].copy()
        df["followed_up"] = df[f].notna()
        return df

    def estimates(self, truth: float | dict[str, float] | None = None) -> pd.DataFrame:
        """Completers-only and weighted estimates side by side (suppressed).

        Rows: everyone at baseline (baseline mean only), completers unweighted,
        completers weighted to everyone at baseline; with ``truth`` (a value, or
        ``{label: value}``), rows for the known true mean change (synthetic data only).
        """
        comp = self.completers()
        b, f = f"{self.score}_{BASELINE}", f"{self.score}_{FOLLOW_UP}"
        allb = self.linked[b].dropna()
        d = (comp[f] - comp[b]).to_numpy()
        rows = [{"estimate": "everyone at baseline", "n": len(allb), "effective_n": float(len(allb)),
                 "baseline_mean": allb.mean(), "follow_up_mean": np.nan, "mean_change": np.nan,
                 "ci_low": np.nan, "ci_high": np.nan}]
        un = weighted_mean(d, alpha=self.alpha)
        rows.append({"estimate": "completers, unweighted", "n": un.n, "effective_n": un.effective_n,
                     "baseline_mean": comp[b].mean(), "follow_up_mean": comp[f].mean(),
                     "mean_change": un.mean, "ci_low": un.ci[0], "ci_high": un.ci[1]})
        if self.weights is not None:
            w = self.weights.weights.reindex(comp.index).to_numpy()
            wm = weighted_mean(d, w, alpha=self.alpha)
            rows.append({"estimate": f"completers, weighted ({self.weights.method})", "n": wm.n,
                         "effective_n": wm.effective_n,
                         "baseline_mean": float(np.average(comp[b], weights=w)),
                         "follow_up_mean": float(np.average(comp[f], weights=w)),
                         "mean_change": wm.mean, "ci_low": wm.ci[0], "ci_high": wm.ci[1]})
        truths = {"true mean change (synthetic data)": truth} if isinstance(truth, (int, float)) else (truth or {})
        for label, value in truths.items():
            rows.append({"estimate": label, "n": np.nan, "effective_n": np.nan,
                         "baseline_mean": np.nan, "follow_up_mean": np.nan, "mean_change": value,
                         "ci_low": np.nan, "ci_high": np.nan})
        df = pd.DataFrame(rows)
        df["n"] = df["n"].astype("Int64")
        for c in ["effective_n"]:
            df[c] = df[c].round(1)
        for c in ["baseline_mean", "follow_up_mean", "mean_change", "ci_low", "ci_high"]:
            df[c] = df[c].astype(float).round(2)
        stats_cols = ["effective_n", "baseline_mean", "follow_up_mean", "mean_change", "ci_low", "ci_high"]
        return safe_table(df, counts=["n"], n_column="n", statistics=stats_cols)

    def balance(self) -> pd.DataFrame:
        """Absolute standardised differences per covariate (aggregate, for the balance plot)."""
        from evalkit.surveys.attrition import _asmd, _design

        cov = [f"{self.score}_{BASELINE}", *self.covariates]
        df = self._for_attrition()
        X = _design(df, cov)
        fu = df["followed_up"].to_numpy()
        out = pd.DataFrame({"completers vs lost": _asmd(X[fu], X[~fu])})
        if self.weights is not None:
            out["weighted completers vs everyone at baseline"] = self.weights.asmd["weighted"]
            out.insert(1, "completers vs everyone at baseline", self.weights.asmd["unweighted"])
        return out.round(3)

    # ------------------------------------------------------------------ plots
    def plot_slope(self, ax=None, **kw):
        from evalkit.surveys.plots import slope_chart

        comp = self.completers()
        return slope_chart(comp[f"{self.score}_{BASELINE}"], comp[f"{self.score}_{FOLLOW_UP}"], ax=ax,
                           ylabel=f"{self.scale} {self.score}", higher_is_better=self.higher_is_better, **kw)

    def plot_balance(self, ax=None, **kw):
        from evalkit.surveys.plots import balance_plot

        return balance_plot(self.balance(), ax=ax, **kw)

    # ------------------------------------------------------------------- text
    def summary(self) -> str:
        """Plain text of the headline results (safe to print)."""
        lines = [self.paired.summary()]
        if self.rci is not None:
            lines.append(self.rci.summary())
        if self.weights is not None:
            lines.append(self.weights.summary())
        elif self.weight_error:
            lines.append(f"no nonresponse weights: {self.weight_error}")
        lines.append(f"attrition: {self.verdict.level}")
        return "\n".join(lines)

    def plain_language(self, *, population: str = "respondents", service: str = "the service") -> str:
        """A paragraph on what the survey can and cannot show."""
        est = self.estimates()
        un = est[est["estimate"] == "completers, unweighted"].iloc[0]
        direction = "higher is better" if self.higher_is_better else "lower is better"
        parts = [
            f"{self.n_baseline} {population} gave a {self.paired.name} score at baseline and "
            f"{self.n_followed_up} gave one again at follow-up ({direction})."
        ]
        if str(un["mean_change"]) != "c" and self.paired.n >= DEFAULT_THRESHOLD:
            parts.append(
                f"Among those who answered twice the average changed by {float(un['mean_change']):+.2f} points "
                f"(95% CI {float(un['ci_low']):+.2f} to {float(un['ci_high']):+.2f}).")
        if self.rci is not None:
            c = self.rci.counts().iloc[0]
            parts.append(
                f"A change counts as reliable - larger than measurement error alone would give - when it "
                f"exceeds {self.rci.criterion:.1f} points; {c['n_improved']} improved reliably and "
                f"{c['n_deteriorated']} deteriorated reliably ('c' marks a suppressed count of 1 to "
                f"{DEFAULT_THRESHOLD - 1}).")
        wrow = est[est["estimate"].str.startswith("completers, weighted")]
        if len(wrow) and str(wrow.iloc[0]["mean_change"]) != "c":
            w = wrow.iloc[0]
            parts.append(
                f"Weighted to resemble everyone who answered at baseline, the change is "
                f"{float(w['mean_change']):+.2f} (95% CI {float(w['ci_low']):+.2f} to {float(w['ci_high']):+.2f}; "
                f"worth {float(w['effective_n']):.0f} respondents).")
        parts.append(self.verdict.text)
        parts.append(
            f"What this can show: whether scores moved among those who answered twice, and by more than "
            f"measurement error. What it cannot show: that {service} caused the change. There is no comparison "
            f"group, so natural recovery, regression to the mean (people often start when things are at their "
            f"worst) and anything else that happened in the period are not ruled out.")
        return " ".join(parts)


def analyse_change(
    wide: pd.DataFrame,
    scale: str,
    *,
    score: str | None = None,
    covariates: Sequence[str] | None = None,
    informant: str = "self",
    bands: str = "3band",
    reliability: float | None = None,
    reliability_source: str | None = None,
    method: str = "ipw",
    max_missing: int = 0,
    alpha: float = 0.05,
    respondent_group: str | None = None,
    what: str = "respondents",
) -> ChangeAnalysis:
    """Score ``scale`` at both waves and analyse change and attrition.

    Parameters
    ----------
    wide
        Wide survey responses (:func:`evalkit.surveys.load_responses`), with
        ``respondent_id`` and ``wave``.
    scale
        ``"SDQ"``, ``"WEMWBS"``, ``"SWEMWBS"`` or ``"LIKERT"`` (mean of ``likert_*`` items).
    score
        Which score; default the headline score (SDQ total, WEMWBS total,
        SWEMWBS metric, Likert composite).
    covariates
        Baseline characteristics for the attrition comparison and the weights
        (the baseline score is always included). Default: every non-item
        column of the table with at least one value at baseline.
    informant, bands, max_missing
        Passed to the scorer.
    reliability, reliability_source
        For the RCI; default the shipped published reliability (see
        ``resources/scales/reliabilities.csv``), or the sample's Cronbach's alpha
        for Likert composites (labelled as such).
    method
        ``"ipw"`` or ``"rake"`` nonresponse weights (``balance``).
    respondent_group
        Keep only rows of this ``respondent_group`` (ignored when the table has no such column).
    """
    from evalkit.surveys.io import covariate_columns

    df = wide
    if respondent_group is not None and "respondent_group" in df:
        df = df[df["respondent_group"] == respondent_group]
    if scale.upper() == LIKERT:
        scale = LIKERT
        scores = score_likert(df)
        score = "composite"
        higher = True
        items = [c for c in df.columns if str(c).startswith("likert_")]
        base_items = df.loc[df["wave"].astype(str) == BASELINE, items]
        rel_value = reliability if reliability is not None else cronbach_alpha(base_items)
        rel_source = reliability_source or ("given" if reliability is not None else
                                            "Cronbach's alpha of this sample at baseline, not a published value")
    else:
        scale = res.canonical_scale(scale)
        scores = score_scale(df, scale, informant=informant, bands=bands, max_missing=max_missing)
        score = score or default_score(scale)
        higher = bool(res.score_info(scale, score)["higher_is_better"])
        if reliability is not None:
            rel_value, rel_source = reliability, reliability_source or "given"
        else:
            rel_score = "raw" if (scale == "SWEMWBS" and score == "metric") else score
            try:
                row = res.published_reliability(scale, rel_score, informant)
                rel_value, rel_source = float(row["value"]), str(row["source"])
            except ValueError:
                rel_value = scale_item_alpha(df, scale, rel_score)
                rel_source = ("Cronbach's alpha of this sample at baseline: evalkit ships no verified "
                              f"published reliability for the {scale} {rel_score} score")
    if covariates is None:
        covariates = [c for c in covariate_columns(df)
                      if df.loc[df["wave"].astype(str) == BASELINE, c].notna().any()]
    covariates = list(covariates)
    keyed = scores.scores.merge(
        df[["respondent_id", "wave", *covariates]], on=["respondent_id", "wave"], how="left")
    linked = link_waves(keyed, [score], keep=covariates)
    b, f = f"{score}_{BASELINE}", f"{score}_{FOLLOW_UP}"
    linked = linked[linked[b].notna()]
    label = "Likert composite" if scale == LIKERT else f"{scale} {score}"
    paired = paired_change(linked[b], linked[f], name=label, alpha=alpha, higher_is_better=higher)
    rci = None
    if rel_value is not None and np.isfinite(rel_value):
        both = linked[linked[f].notna()]
        rci = reliable_change(both[b], both[f], reliability=rel_value, sd=float(linked[b].std(ddof=1)),
                              higher_is_better=higher, alpha=alpha, name=label,
                              reliability_source=rel_source)
    att = linked.copy()
    att["followed_up"] = att[f].notna()
    weights, werr = None, ""
    try:
        weights = nonresponse_weights(att, [b, *covariates], method=method)
    except ValueError as err:
        werr = str(err)
    from evalkit.surveys.attrition import _asmd, _design

    X = _design(att, [b, *covariates])
    fu = att["followed_up"].to_numpy()
    before = _asmd(X[fu], X[~fu]) if fu.sum() > 1 and (~fu).sum() > 1 else None
    verdict = attrition_verdict(
        len(att), int(fu.sum()), before,
        weights.asmd["weighted"] if weights is not None else None,
        weights.ess if weights is not None else None, what=what)
    return ChangeAnalysis(scale=scale, score=score, higher_is_better=higher, scores=scores, linked=linked,
                          covariates=covariates, paired=paired, rci=rci, weights=weights, verdict=verdict,
                          alpha=alpha, weight_error=werr)
