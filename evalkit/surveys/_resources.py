"""Scoring rules shipped as data in ``evalkit/resources/scales`` (see its SOURCES.md)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

SCALES_DIR = Path(__file__).resolve().parent.parent / "resources" / "scales"

#: Scales whose scoring rules ship with evalkit.
SCALES = ("SDQ", "WEMWBS", "SWEMWBS")


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SCALES_DIR / name, keep_default_na=False, na_values=[""])


@cache
def scale_table() -> pd.DataFrame:
    """One row per scale: item prefix, item range, missing-item rule and source."""
    return _read("scales.csv").set_index("scale", drop=False)


@cache
def score_table() -> pd.DataFrame:
    """One row per score a scale yields: range and whether higher is better."""
    df = _read("scores.csv")
    df["higher_is_better"] = df["higher_is_better"].astype(str).str.lower() == "true"
    return df


@cache
def sdq_items() -> pd.DataFrame:
    """SDQ item keys: item number, column name, subscale and reverse scoring."""
    df = _read("sdq_items.csv")
    df["reverse_scored"] = df["reverse_scored"].astype(str).str.lower() == "true"
    return df


@cache
def sdq_bands() -> pd.DataFrame:
    """SDQ band cut-offs by informant (parent, teacher, self) and scheme (3band, 4band)."""
    return _read("sdq_bands.csv")


@cache
def wemwbs_items() -> pd.DataFrame:
    """WEMWBS item keys, with the seven items that make up SWEMWBS."""
    return _read("wemwbs_items.csv")


@cache
def swemwbs_conversion() -> pd.Series:
    """SWEMWBS raw total (7-35) to metric score, indexed by raw total."""
    df = _read("swemwbs_conversion.csv")
    return df.set_index("raw")["metric"].astype(float)


@cache
def reliabilities() -> pd.DataFrame:
    """Published reliabilities, with source and whether each was verified against it."""
    return _read("reliabilities.csv")


def canonical_scale(scale: str) -> str:
    """Return the canonical name of ``scale`` (case-insensitive), or raise ``ValueError``."""
    for s in SCALES:
        if str(scale).strip().upper() == s:
            return s
    raise ValueError(f"scale {scale!r} is not one evalkit scores; choose one of {', '.join(SCALES)}")


def score_info(scale: str, score: str) -> pd.Series:
    """Range and direction of one score of one scale."""
    scale = canonical_scale(scale)
    t = score_table()
    hit = t[(t["scale"] == scale) & (t["score"] == score)]
    if hit.empty:
        known = ", ".join(t.loc[t["scale"] == scale, "score"])
        raise ValueError(f"{scale} has no score {score!r}; its scores are {known}")
    return hit.iloc[0]


def published_reliability(
    scale: str, score: str, informant: str = "self", statistic: str | None = None, *, verified_only: bool = True
) -> pd.Series:
    """The shipped reliability for a score, preferring internal consistency for the informant.

    Returns the row (value, source, checked). Raises ``ValueError`` when none ships,
    so the analyst must give one explicitly rather than have one invented. With
    ``verified_only`` (the default) only rows whose ``checked`` column says
    ``verified`` are used: a value whose source could not be found is kept in the
    file for the record but never used silently.
    """
    scale = canonical_scale(scale)
    t = reliabilities()
    if verified_only:
        t = t[t["checked"].str.startswith("verified")]
    hit = t[(t["scale"] == scale) & (t["score"] == score)]
    if informant:
        exact = hit[hit["informant"] == informant]
        hit = exact if not exact.empty else hit
    if statistic:
        hit = hit[hit["statistic"] == statistic]
    if hit.empty:
        raise ValueError(
            f"no verified published reliability for {scale} {score!r} ships with evalkit; pass "
            "reliability= with a value and cite its source"
        )
    alpha = hit[hit["statistic"].str.startswith("cronbach_alpha")]
    return (alpha if not alpha.empty else hit).iloc[0]
