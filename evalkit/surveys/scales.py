"""Scoring standard outcome scales from item responses: SDQ, WEMWBS and SWEMWBS.

The scoring rules (item keys, reverse-scored items, bands, the SWEMWBS
conversion table) are data in ``evalkit/resources/scales``, each with its
source in that folder's ``SOURCES.md``. No questionnaire wording ships with
evalkit: items are known by number and column name only.

Item columns are named by scale: ``sdq_01`` ... ``sdq_25`` (as ticked on the
form, 0 = not true, 1 = somewhat true, 2 = certainly true, *before* reverse
scoring), ``wemwbs_01`` ... ``wemwbs_14`` and ``swemwbs_01`` ... ``swemwbs_07``
(1 = none of the time ... 5 = all of the time). SWEMWBS can also be scored from
the seven WEMWBS items it shares.

A response outside an item's range, or text in an item, is an error naming the
respondent and the item. Nothing is clipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.errors import shown as _value
from evalkit.schemas import InputError, Problem
from evalkit.surveys import _resources as res


class ScaleInputError(InputError):
    """Item responses that cannot be scored (out of range, text, missing columns)."""


@dataclass
class ScaleScores:
    """Scores of one scale, one row per respondent and wave.

    Attributes
    ----------
    scale
        ``"SDQ"``, ``"WEMWBS"`` or ``"SWEMWBS"``.
    scores
        Person-level frame: the id (and wave) columns, one column per score,
        ``<score>_band`` columns for SDQ, and ``<score>_items`` counting the
        items answered. Person-level: never save or print it.
    informant, bands
        SDQ informant (``parent``, ``teacher``, ``self``) and band scheme.
    notes
        What the scoring did that a reader should know (prorated subscales,
        scores missing because too few items were answered).
    """

    scale: str
    scores: pd.DataFrame
    informant: str | None = None
    bands: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def score_names(self) -> list[str]:
        t = res.score_table()
        return list(t.loc[t["scale"] == self.scale, "score"])

    def summary(self) -> str:
        """Plain text: what was scored and how many scores could be computed."""
        lines = [f"{self.scale} scored for {len(self.scores)} questionnaires"]
        if self.informant:
            lines[0] += f" ({self.informant} report, {self.bands} bands)"
        for s in self.score_names:
            if s in self.scores:
                lines.append(f"  {s}: {int(self.scores[s].notna().sum())} scored")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _round_half_up_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Round ``num / den`` half up exactly, for non-negative integers (``floor(x + 1/2)``)."""
    return np.floor((2 * num + den) / (2 * den))


def _item_problems(
    df: pd.DataFrame,
    columns: Sequence[str],
    lo: int,
    hi: int,
    scale: str,
    id_column: str,
    source: str,
    wave_column: str | None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse item columns to numbers; report text, fractions and out-of-range values by respondent."""
    problems: list[Problem] = []
    out = pd.DataFrame(index=df.index)
    for c in columns:
        raw = df[c]
        text = raw.astype("string").str.strip()
        blank = raw.isna() | (text == "")
        num = pd.to_numeric(text.mask(blank), errors="coerce")
        is_text = ~blank & num.isna()
        bad = ~blank & num.notna() & ((num != np.floor(num)) | (num < lo) | (num > hi))
        for i in df.index[is_text | bad]:
            who = f"respondent {_value(df.at[i, id_column])}" if id_column in df else f"row {i + 2}"
            if wave_column and wave_column in df:
                who += f" ({df.at[i, wave_column]})"
            row = int(i) + 2 if isinstance(i, (int, np.integer)) else None
            if is_text.at[i]:
                problems.append(
                    Problem(source, "text-in-numeric-item",
                            f"{who}, item {c}: {_value(raw.at[i])} is not a number; {scale} items are "
                            f"whole numbers from {lo} to {hi} (leave the cell empty if not answered)",
                            row=row, column=c))
            else:
                problems.append(
                    Problem(source, "out-of-range",
                            f"{who}, item {c}: {_value(raw.at[i])} is outside the {scale} item range "
                            f"{lo}-{hi} (whole numbers only); it is not clipped - correct the entry",
                            row=row, column=c))
        out[c] = num
    return out, problems


def _require_columns(df: pd.DataFrame, columns: Sequence[str], scale: str, source: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        raise ScaleInputError(
            [Problem(source, "missing-column",
                     f"{scale} needs item columns {shown}; add them (empty cells are allowed "
                     "for unanswered items)")]
        )


def _keys(df: pd.DataFrame, id_column: str, wave_column: str | None) -> pd.DataFrame:
    cols = [c for c in (id_column, wave_column) if c and c in df.columns]
    return df[cols].copy()


def score_sdq(
    df: pd.DataFrame,
    *,
    informant: str = "self",
    bands: str = "3band",
    id_column: str = "respondent_id",
    wave_column: str | None = "wave",
    source: str = "<SDQ items>",
) -> ScaleScores:
    """Score the SDQ: five subscales, total difficulties, internalising and externalising.

    Parameters
    ----------
    df
        One row per questionnaire, with columns ``sdq_01`` ... ``sdq_25`` holding the
        responses as ticked (0, 1, 2; empty = not answered).
    informant
        ``"self"``, ``"parent"`` or ``"teacher"``: selects the published bands.
    bands
        ``"3band"`` (normal / borderline / abnormal) or ``"4band"`` (close to
        average / slightly raised / high / very high).
    id_column, wave_column
        Carried through to the result and used to name respondents in errors.
    source
        Name of the input used in error messages (file name).

    Returns
    -------
    ScaleScores

    Notes
    -----
    Items 7, 11, 14, 21 and 25 are reverse scored (2 - response). A subscale is
    prorated when at least 3 of its 5 items are answered: 5 x the mean of the
    answered items, rounded half up (the sdqinfo rule: 4 from 3 items -> 6.67 -> 7).
    With fewer, the subscale is missing, and so are the composite scores that add it.
    """
    informant = str(informant).strip().lower()
    if informant not in {"self", "parent", "teacher"}:
        raise ValueError(f"informant {informant!r}: choose 'self', 'parent' or 'teacher'")
    if bands not in {"3band", "4band"}:
        raise ValueError(f"bands {bands!r}: choose '3band' or '4band'")
    keys = res.sdq_items()
    info = res.scale_table().loc["SDQ"]
    cols = list(keys["column"])
    _require_columns(df, cols, "SDQ", source)
    items, problems = _item_problems(
        df, cols, int(info["item_min"]), int(info["item_max"]), "SDQ", id_column, source, wave_column
    )
    if problems:
        raise ScaleInputError(problems)
    scored = items.copy()
    for c in keys.loc[keys["reverse_scored"], "column"]:
        scored[c] = 2 - scored[c]
    out = _keys(df, id_column, wave_column)
    min_items = int(info["min_items_per_subscale"])
    notes = []
    for sub in ["emotional", "conduct", "hyperactivity", "peer", "prosocial"]:
        sc = list(keys.loc[keys["subscale"] == sub, "column"])
        answered = scored[sc].notna().sum(axis=1).to_numpy()
        total = scored[sc].sum(axis=1, min_count=1).fillna(0).to_numpy()
        full = len(sc)
        value = np.where(
            answered == full,
            total,
            np.where(answered >= min_items, _round_half_up_ratio(full * total, np.maximum(answered, 1)), np.nan),
        )
        out[sub] = value
        out[f"{sub}_items"] = answered
        n_pro = int(((answered >= min_items) & (answered < full)).sum())
        n_miss = int((answered < min_items).sum())
        if n_pro:
            notes.append(f"{sub}: {n_pro} prorated from {min_items}-{full - 1} answered items")
        if n_miss:
            notes.append(f"{sub}: {n_miss} missing (fewer than {min_items} of {full} items answered)")
    t = res.score_table()
    for _, row in t[(t["scale"] == "SDQ") & (t["kind"] == "sum")].iterrows():
        parts = row["parts"].split(";")
        out[row["score"]] = out[parts].sum(axis=1, min_count=len(parts))
        out.loc[out[parts].isna().any(axis=1), row["score"]] = np.nan
    b = res.sdq_bands()
    b = b[(b["informant"] == informant) & (b["scheme"] == bands)]
    for score, grp in b.groupby("score", sort=False):
        out[f"{score}_band"] = band_of(out[score], grp)
    return ScaleScores("SDQ", out, informant=informant, bands=bands, notes=notes)


def band_of(values: pd.Series, bands: pd.DataFrame) -> pd.Series:
    """Label each value with the band whose [low, high] holds it (an ordered categorical)."""
    bands = bands.sort_values("band_order")
    labels = list(bands["band"])
    out = pd.Series(pd.NA, index=values.index, dtype="object")
    for _, r in bands.iterrows():
        hit = values.notna() & (values >= r["low"]) & (values <= r["high"])
        out[hit] = r["band"]
    return pd.Series(pd.Categorical(out, categories=labels, ordered=True), index=values.index)


def _sum_with_missing(items: pd.DataFrame, max_missing: int) -> tuple[np.ndarray, np.ndarray]:
    n = items.shape[1]
    answered = items.notna().sum(axis=1).to_numpy()
    total = items.sum(axis=1, min_count=1).to_numpy(dtype=float)
    ok = answered >= n - max_missing
    value = np.where(answered == n, total, np.where(ok, total / np.maximum(answered, 1) * n, np.nan))
    return value, answered


def score_wemwbs(
    df: pd.DataFrame,
    *,
    max_missing: int = 0,
    id_column: str = "respondent_id",
    wave_column: str | None = "wave",
    source: str = "<WEMWBS items>",
) -> ScaleScores:
    """Score the 14-item WEMWBS (sum of items 1-5, range 14-70).

    ``max_missing`` items may be missing, filled with the respondent's own item
    mean. The default, 0, scores complete questionnaires only: no published
    missing-item rule was verified for evalkit (see SOURCES.md).
    """
    keys = res.wemwbs_items()
    info = res.scale_table().loc["WEMWBS"]
    cols = list(keys["column"])
    _require_columns(df, cols, "WEMWBS", source)
    items, problems = _item_problems(
        df, cols, int(info["item_min"]), int(info["item_max"]), "WEMWBS", id_column, source, wave_column
    )
    if problems:
        raise ScaleInputError(problems)
    out = _keys(df, id_column, wave_column)
    out["total"], out["total_items"] = _sum_with_missing(items, max_missing)
    notes = _missing_notes(out["total_items"], len(cols), max_missing, "total")
    return ScaleScores("WEMWBS", out, notes=notes)


def _missing_notes(answered: pd.Series, n: int, max_missing: int, name: str) -> list[str]:
    notes = []
    imputed = int(((answered < n) & (answered >= n - max_missing)).sum())
    missing = int((answered < n - max_missing).sum())
    if imputed:
        notes.append(f"{name}: {imputed} with up to {max_missing} items filled with the person's item mean")
    if missing:
        notes.append(f"{name}: {missing} missing (more than {max_missing} items unanswered)")
    return notes


def score_swemwbs(
    df: pd.DataFrame,
    *,
    max_missing: int = 0,
    id_column: str = "respondent_id",
    wave_column: str | None = "wave",
    source: str = "<SWEMWBS items>",
) -> ScaleScores:
    """Score SWEMWBS: raw total of 7 items (7-35) and the published metric score.

    Items are read from ``swemwbs_01`` ... ``swemwbs_07`` or, when those are
    absent, from the seven WEMWBS items SWEMWBS shares (1, 2, 3, 6, 7, 9, 11).
    The raw total is converted with the published raw-to-metric table
    (Stewart-Brown et al. 2009). A total with imputed items is rounded half up
    before conversion.
    """
    keys = res.wemwbs_items().dropna(subset=["swemwbs_item"])
    info = res.scale_table().loc["SWEMWBS"]
    own = list(keys["swemwbs_column"])
    shared = list(keys["column"])
    if all(c in df.columns for c in own):
        cols = own
    elif all(c in df.columns for c in shared):
        cols = shared
    else:
        raise ScaleInputError(
            [Problem(source, "missing-column",
                     f"SWEMWBS needs item columns {', '.join(own)} (or the WEMWBS items "
                     f"{', '.join(shared)}); add them (empty cells allowed for unanswered items)")]
        )
    items, problems = _item_problems(
        df, cols, int(info["item_min"]), int(info["item_max"]), "SWEMWBS", id_column, source, wave_column
    )
    if problems:
        raise ScaleInputError(problems)
    out = _keys(df, id_column, wave_column)
    raw, answered = _sum_with_missing(items, max_missing)
    raw = np.where(np.isnan(raw), np.nan, np.floor(raw + 0.5))
    out["raw"] = raw
    out["raw_items"] = answered
    out["metric"] = swemwbs_metric(out["raw"])
    notes = _missing_notes(out["raw_items"], len(cols), max_missing, "raw")
    if cols == shared:
        notes.append("SWEMWBS scored from the seven WEMWBS items it shares")
    return ScaleScores("SWEMWBS", out, notes=notes)


def swemwbs_metric(raw: pd.Series | Sequence[float] | float) -> pd.Series | float:
    """Convert SWEMWBS raw totals (whole numbers 7-35) to metric scores with the published table.

    Raises ``ValueError`` for a total outside 7-35 or not a whole number.
    """
    table = res.swemwbs_conversion()
    scalar = np.isscalar(raw)
    s = pd.Series([raw] if scalar else raw, dtype=float)
    bad = s.notna() & (~s.isin(table.index.astype(float)))
    if bad.any():
        raise ValueError(
            f"SWEMWBS raw totals must be whole numbers from 7 to 35; got {list(s[bad].unique()[:5])}"
        )
    out = s.map(lambda v: table.get(int(v)) if pd.notna(v) else np.nan).astype(float)
    if scalar:
        return float(out.iloc[0])
    if isinstance(raw, pd.Series):
        out.index = raw.index
    return out


def score_scale(
    df: pd.DataFrame,
    scale: str,
    *,
    informant: str = "self",
    bands: str = "3band",
    max_missing: int = 0,
    id_column: str = "respondent_id",
    wave_column: str | None = "wave",
    source: str = "<items>",
) -> ScaleScores:
    """Score ``scale`` (``"SDQ"``, ``"WEMWBS"`` or ``"SWEMWBS"``) from item responses.

    Rows with no item of the scale answered are dropped first (a wide table may
    hold several scales or respondent groups). See :func:`score_sdq`,
    :func:`score_wemwbs` and :func:`score_swemwbs`.
    """
    scale = res.canonical_scale(scale)
    prefix = str(res.scale_table().loc[scale, "column_prefix"])
    prefixes = [prefix] + (["wemwbs_"] if scale == "SWEMWBS" else [])
    item_cols = [c for c in df.columns if any(str(c).startswith(p) for p in prefixes)]
    if item_cols:
        any_answer = df[item_cols].astype("string").apply(lambda s: s.str.strip().fillna("") != "").any(axis=1)
        df = df.loc[any_answer]
    if scale == "SDQ":
        return score_sdq(df, informant=informant, bands=bands, id_column=id_column,
                         wave_column=wave_column, source=source)
    if scale == "WEMWBS":
        return score_wemwbs(df, max_missing=max_missing, id_column=id_column,
                            wave_column=wave_column, source=source)
    return score_swemwbs(df, max_missing=max_missing, id_column=id_column,
                         wave_column=wave_column, source=source)


def default_score(scale: str) -> str:
    """The headline score of a scale: SDQ total difficulties, WEMWBS total, SWEMWBS metric."""
    return {"SDQ": "total", "WEMWBS": "total", "SWEMWBS": "metric"}[res.canonical_scale(scale)]
