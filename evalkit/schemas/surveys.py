"""Survey responses a local authority supplies: wide and long layouts.

Wide (``survey_responses_wide.csv``): one row per respondent per wave, one column
per item. Long (``survey_responses_long.csv``): one row per respondent, wave and item.

Item columns (wide) and item names (long) say which scale they belong to by
their prefix, which fixes the allowed answers:

=============  ===========  ==========================================
prefix         answers      scale
=============  ===========  ==========================================
``sdq_``       0, 1, 2      SDQ items 01-25, as ticked (before reverse scoring)
``wemwbs_``    1-5          WEMWBS items 01-14
``swemwbs_``   1-5          SWEMWBS items 01-07
``likert_``    1-5          any five-point agreement or rating item
=============  ===========  ==========================================

Any other column of the wide layout is a respondent characteristic (role, age,
sex ...) used to compare completers with those lost; give it on the baseline row.

Checks, each reported as one line naming the file, row, column and respondent:
an answer outside its scale or text in an item, a respondent twice in a wave,
a follow-up with no baseline, and (by the schema) a missing ``wave`` column.
The survey templates with column notes are in ``evalkit/resources/templates``.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from evalkit.schemas._core import TableSpec, register

WAVES = ["baseline", "follow_up"]
#: Item prefix -> (lowest, highest) answer.
ITEM_RANGES: dict[str, tuple[int, int]] = {"sdq_": (0, 2), "swemwbs_": (1, 5), "wemwbs_": (1, 5), "likert_": (1, 5)}
ITEM_PATTERN = re.compile(r"^(sdq|wemwbs|swemwbs|likert)_[a-z0-9_]+$")

Issue = tuple[int | None, str | None, str, str]


def item_range(name: str) -> tuple[int, int] | None:
    """Allowed answers of an item column or item name, from its prefix (``None`` if not an item)."""
    if not ITEM_PATTERN.match(str(name)):
        return None
    for prefix in ("swemwbs_", "wemwbs_", "sdq_", "likert_"):
        if str(name).startswith(prefix):
            return ITEM_RANGES[prefix]
    return None


def item_columns(df: pd.DataFrame) -> list[str]:
    """The columns of a wide table that are survey items."""
    return [c for c in df.columns if item_range(c) is not None]


def _who(df: pd.DataFrame, i, id_column: str) -> Callable[[], str]:
    """The respondent a row belongs to, for a message: built only when a message is written."""

    def who() -> str:
        rid = df.at[i, id_column] if id_column in df else None
        wave = df.at[i, "wave"] if "wave" in df else None
        return f"respondent {rid!r}" + (f" ({wave})" if wave is not None else "")

    return who


def _plainly_valid(values: pd.Series, lo: int, hi: int) -> np.ndarray:
    """Cells written as plain digits (``"3"``) with a value from ``lo`` to ``hi``: these need no
    further check. Anything else (empty, ``"3.0"``, text, numbers not read as text) goes through
    :func:`_answer_issue`, which decides it and words the message."""
    is_text = values.map(lambda v: isinstance(v, str)).to_numpy(bool)
    txt = values.where(is_text, "").astype(str).str.strip()
    digits = txt.str.fullmatch(r"[0-9]{1,9}").to_numpy(bool)
    v = pd.to_numeric(txt.where(digits, "0")).to_numpy()
    return digits & (v >= lo) & (v <= hi)


def _answer_issue(value, lo: int, hi: int, who: Callable[[], str], item: str) -> tuple[str, str] | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return None
    s = str(value).strip()
    try:
        v = float(s)
    except ValueError:
        return ("text-in-numeric-item",
                f"{who()}, item {item}: {s!r} is not a number; answers are whole numbers {lo}-{hi} "
                "(leave the cell empty if not answered)")
    if not math.isfinite(v) or v != int(v) or not lo <= v <= hi:
        return ("out-of-range",
                f"{who()}, item {item}: {s!r} is outside the allowed answers {lo}-{hi}; it is not clipped - "
                "correct the entry")
    return None


def _followup_without_baseline(df: pd.DataFrame, id_column: str) -> list[Issue]:
    base = set(df.loc[df["wave"] == "baseline", id_column].astype(str))
    out: list[Issue] = []
    seen: set[str] = set()
    for i in df.index[df["wave"] == "follow_up"]:
        rid = str(df.at[i, id_column])
        if rid not in base and rid not in seen:
            seen.add(rid)
            out.append((int(i), id_column, "follow-up-without-baseline",
                        f"respondent {rid!r} has a follow_up row but no baseline row; add the baseline "
                        "or check the id"))
    return out


def wide_checks(id_column: str = "respondent_id"):
    """Whole-table checks of the wide layout, for a given respondent id column."""

    def check(df: pd.DataFrame) -> list[Issue]:
        issues: list[Issue] = []
        for c in item_columns(df):
            lo, hi = item_range(c)  # type: ignore[misc]
            for i in df.index[~_plainly_valid(df[c], lo, hi)]:
                bad = _answer_issue(df.at[i, c], lo, hi, _who(df, i, id_column), c)
                if bad:
                    issues.append((int(i), c, *bad))
        issues += _followup_without_baseline(df, id_column)
        return issues

    return check


def long_checks(id_column: str = "respondent_id"):
    """Whole-table checks of the long layout, for a given respondent id column."""

    def check(df: pd.DataFrame) -> list[Issue]:
        issues: list[Issue] = []
        for i in df.index:
            item = str(df.at[i, "item"])
            rng = item_range(item)
            if rng is None:
                issues.append((int(i), "item", "unknown-item",
                               f"item {item!r} does not start with sdq_, wemwbs_, swemwbs_ or likert_ "
                               "(lower case, digits and _ only)"))
                continue
            bad = _answer_issue(df.at[i, "response"], *rng, _who(df, i, id_column), item)
            if bad:
                issues.append((int(i), "response", *bad))
        issues += _followup_without_baseline(df, id_column)
        return issues

    return check


_ID = pa.Column(str, description="Respondent identifier (pseudonymous), the same at both waves")
_WAVE = pa.Column(str, pa.Check.isin(WAVES), description="Survey wave: baseline or follow_up")
_GROUP = pa.Column(str, required=False, nullable=True,
                   description="Respondent group (e.g. young_person, parent, professional)")
_DATE = pa.Column("datetime64[ns]", required=False, nullable=True, description="Date completed (optional)")


def wide_spec(id_column: str = "respondent_id") -> TableSpec:
    """TableSpec of the wide layout with the respondent id in ``id_column``."""
    spec = copy.deepcopy(survey_responses_wide)
    if id_column != "respondent_id":
        spec.schema = spec.schema.rename_columns({"respondent_id": id_column})
        spec.unique = [id_column, "wave"]
        spec.checks = [wide_checks(id_column)]
    return spec


def long_spec(id_column: str = "respondent_id") -> TableSpec:
    """TableSpec of the long layout with the respondent id in ``id_column``."""
    spec = copy.deepcopy(survey_responses_long)
    if id_column != "respondent_id":
        spec.schema = spec.schema.rename_columns({"respondent_id": id_column})
        spec.unique = [id_column, "wave", "item"]
        spec.checks = [long_checks(id_column)]
    return spec


survey_responses_wide = register(
    TableSpec(
        name="survey_responses_wide",
        source="la",
        description=(
            "Survey answers, wide: one row per respondent per wave, one column per item "
            "(sdq_01-25, wemwbs_01-14, swemwbs_01-07, likert_*), plus respondent characteristics"
        ),
        unique=["respondent_id", "wave"],
        date_columns=["date"],
        schema=pa.DataFrameSchema(
            {"respondent_id": _ID, "wave": _WAVE, "respondent_group": _GROUP, "date": _DATE},
            coerce=True,
            strict=False,
        ),
        checks=[wide_checks()],
        example={"respondent_id": "YP001", "wave": "baseline", "respondent_group": "young_person",
                 "date": "2024-03-31", "sdq_01": 2, "swemwbs_01": 3},
    )
)

survey_responses_long = register(
    TableSpec(
        name="survey_responses_long",
        source="la",
        description="Survey answers, long: one row per respondent, wave and item",
        unique=["respondent_id", "wave", "item"],
        date_columns=["date"],
        schema=pa.DataFrameSchema(
            {
                "respondent_id": _ID,
                "wave": _WAVE,
                "item": pa.Column(str, description="Item name: sdq_01-25, wemwbs_01-14, swemwbs_01-07 or likert_*"),
                "response": pa.Column(str, nullable=True,
                                      description="The answer as a whole number (SDQ 0-2, others 1-5); empty if "
                                                  "not answered", metadata={"unit": "scale points"}),
                "respondent_group": _GROUP,
                "date": _DATE,
            },
            coerce=True,
            strict=False,
        ),
        checks=[long_checks()],
        example={"respondent_id": "YP001", "wave": "baseline", "item": "sdq_01", "response": 2,
                 "respondent_group": "young_person", "date": "2024-03-31"},
    )
)
