"""Statistical disclosure control for every table that leaves a notebook.

Follows the Department for Education's convention for children looked after
statistics: **counts of 1 to 5 are suppressed** (``DEFAULT_THRESHOLD = 6``: a
count ``n`` is hidden when ``0 < n < 6``) and shown as ``c`` (the GSS symbol
for confidential), and further cells are suppressed where a total would let a
reader work a suppressed cell out (secondary suppression). Zero is shown as
zero, as DfE does.

Source of the threshold: DfE's children looked after data suppress values of
1 to 5 ("DfE suppressed values of 1 to 5 and, where needed, other cells so
that suppressed values could not be worked out from totals",
``../shared/external/README.md``, on the SSDA903 local-authority tables
2010-2024; no unsuppressed value from 1 to 5 occurs in them, and 6 does), and
DfE's methodology for the same statistics ("'c' to protect confidentiality.
Secondary suppression may be required", *Children looked after: a focus on
placement location*, methodology, explore-education-statistics.service.gov.uk).
Every table, printed count and statistic in evalkit uses this one threshold;
see ``docs/conventions.md``.

Statistics of a suppressed group (means, medians, shares, standardised
differences) are hidden too (:func:`suppress_statistics`), because a share or
mean of a small group gives its members' values, or its count, away.

Tables that look child-level (an identifier column, or one row per person)
are refused outright by :func:`assert_aggregate`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

#: Counts from 1 to ``DEFAULT_THRESHOLD - 1`` (1-5) are suppressed: DfE's convention (module docstring).
DEFAULT_THRESHOLD = 6
MARKER = "c"
#: Column names that identify a person; a table carrying one is child-level.
ID_PATTERN = re.compile(
    r"(^|_)(id|child_id|person_id|respondent_id|young_person_id|upn|nhs_number|dob|date_of_birth|name|postcode)$",
    re.IGNORECASE,
)
#: Identifier-like columns that are allowed in aggregate tables.
ALLOWED_ID_COLUMNS = {"figure_id", "case_id", "la_name", "la_code", "project_id", "outcome_id", "item_id",
                      "scale_name", "la_old_code", "feature_id", "check_id", "table_name"}


#: Column names that hold counts of people, for scanning written outputs.
COUNT_PATTERN = re.compile(
    r"^(n|count|cases|persons|people|children|young_people|respondents|families|parents)$"
    r"|^n_|_n$|_count$|^count_|_cases$|_persons$|_respondents$|_children$",
    re.IGNORECASE,
)


#: Count-like names that count something other than people (years, LAs, draws): not suppressed.
NOT_PEOPLE = re.compile(
    r"^n_(pre|post|years?|months?|weeks?|donors|comparators|las?|placebos|draws|reps|items|outcomes|projects"
    r"|findings|themes|features|covariates|periods)(_|$)",
    re.IGNORECASE,
)


class DisclosureError(ValueError):
    """A table would disclose individual-level data."""


_TRUE = {"true", "yes", "y", "1", "t", "on"}
_FALSE = {"false", "no", "n", "0", "f", "off"}


def as_bool(value: object, *, name: str = "value") -> bool:
    """Read a yes/no setting strictly: ``'false'``, ``'no'`` and ``'0'`` are False.

    A notebook parameter set from ``params.yaml`` or ``papermill -p`` may arrive
    as text, and the text ``'false'`` is truthy in Python. Disclosure settings
    (such as ``case_level_public``) go through this function, so that only a
    clear yes publishes anything.

    Raises
    ------
    ValueError
        For any other text or type (never guessed).
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        s = value.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    from evalkit.errors import ConfigError

    raise ConfigError(f"{name}: {value!r} is not true or false (use true/false, yes/no or 1/0)")


def id_like_columns(df: pd.DataFrame) -> list[str]:
    """Columns whose names look like personal identifiers."""
    return [c for c in df.columns if ID_PATTERN.search(str(c)) and str(c) not in ALLOWED_ID_COLUMNS]


def assert_aggregate(df: pd.DataFrame, *, name: str = "table") -> None:
    """Raise :class:`DisclosureError` if ``df`` carries personal identifier columns."""
    bad = id_like_columns(df)
    if bad:
        raise DisclosureError(
            f"{name}: columns {bad} look like personal identifiers; only aggregate tables may be saved"
        )


def _small(v: float, threshold: int) -> bool:
    return bool(pd.notna(v) and 0 < v < threshold)


def suppress(
    df: pd.DataFrame,
    counts: Sequence[str],
    *,
    threshold: int | None = None,
    totals: Sequence[str] = (),
    marker: str = MARKER,
    by_column_totals: bool = False,
) -> pd.DataFrame:
    """Return a copy of ``df`` with small counts replaced by ``marker``.

    Parameters
    ----------
    df
        Aggregate table.
    counts
        Count columns to protect.
    threshold
        Counts from 1 to ``threshold - 1`` are suppressed (default :data:`DEFAULT_THRESHOLD`, so 1-5).
    totals
        Count columns that are the row sum of the other count columns. Where a
        row has exactly one suppressed component and the total is shown, the
        next-smallest component is suppressed too (secondary suppression), so
        the suppressed value cannot be recovered by subtraction.
    marker
        Text shown in place of a suppressed count.
    by_column_totals
        Treat the last row as a column total of the rows above, and apply the
        same secondary rule down each column.
    """
    threshold = DEFAULT_THRESHOLD if threshold is None else int(threshold)
    counts = [c for c in counts if c in df.columns]
    totals = [c for c in totals if c in counts]
    parts = [c for c in counts if c not in totals]
    values = df[counts].apply(pd.to_numeric, errors="coerce").astype(float)
    hide = values.apply(lambda s: s.map(lambda v: _small(v, threshold)))

    def secondary_rows(hide: pd.DataFrame) -> pd.DataFrame:
        if not totals or len(parts) < 2:
            return hide
        for i in hide.index:
            hidden = [c for c in parts if hide.at[i, c]]
            if len(hidden) == 1 and not all(hide.at[i, t] for t in totals):
                shown = [c for c in parts if not hide.at[i, c] and pd.notna(values.at[i, c])]
                if shown:
                    nxt = min(shown, key=lambda c: values.at[i, c])
                    hide.at[i, nxt] = True
        return hide

    def secondary_cols(hide: pd.DataFrame) -> pd.DataFrame:
        if not by_column_totals or len(hide) < 3:
            return hide
        body = hide.index[:-1]
        total_row = hide.index[-1]
        for c in counts:
            hidden = [i for i in body if hide.at[i, c]]
            if len(hidden) == 1 and not hide.at[total_row, c]:
                shown = [i for i in body if not hide.at[i, c] and pd.notna(values.at[i, c])]
                if shown:
                    nxt = min(shown, key=lambda i: values.at[i, c])
                    hide.at[nxt, c] = True
        return hide

    # Iterate to a fixed point: a cell hidden by one rule can trigger the other.
    for _ in range(10):
        before = hide.to_numpy().copy()
        hide = secondary_cols(secondary_rows(hide))
        if np.array_equal(before, hide.to_numpy()):
            break
    out = df.copy()
    for c in counts:
        col = out[c].astype(object)
        col[hide[c].to_numpy()] = marker
        out[c] = col
    return out


def suppress_statistics(
    df: pd.DataFrame,
    count: str,
    stats: Sequence[str],
    *,
    threshold: int | None = None,
    marker: str = MARKER,
) -> pd.DataFrame:
    """Hide summary statistics (means, medians, minima, maxima) of groups smaller than ``threshold``.

    A minimum or a maximum of three ratings is one person's answer; a mean of
    two with one known answer gives the other away. Groups with ``count`` from
    1 to ``threshold - 1`` have their ``stats`` replaced by ``marker``.
    """
    threshold = DEFAULT_THRESHOLD if threshold is None else int(threshold)
    out = df.copy()
    n = pd.to_numeric(out[count], errors="coerce").astype(float)  # nullable counts: NA is not small
    small = ((n > 0) & (n < threshold)).fillna(False).astype(bool)
    for c in stats:
        if c in out.columns:
            col = out[c].astype(object)
            col[small.to_numpy()] = marker
            out[c] = col
    return out


def suppress_counts(
    counts: Mapping[str, float], *, total: str | None = None, threshold: int | None = None, marker: str = MARKER
) -> dict[str, object]:
    """Suppress a mapping of named counts (``{"cases": 12, "closed_to_social_care": 1}``).

    Counts from 1 to ``threshold - 1`` become ``marker``. With ``total`` (the
    key of the count the others are parts of), a part whose complement
    ``total - part`` is from 1 to ``threshold - 1`` is hidden too: "12 cases,
    11 closed" tells a reader that one case was not. The total itself is
    hidden when it is small.
    """
    t = DEFAULT_THRESHOLD if threshold is None else int(threshold)
    whole = counts.get(total) if total else None
    out: dict[str, object] = {}
    for k, v in counts.items():
        hide = _small(v, t)
        if not hide and total and k != total and whole is not None and pd.notna(v):
            hide = _small(float(whole) - float(v), t)
        out[k] = marker if hide else v
    return out


def counts_text(counts: Mapping[str, float], *, total: str | None = None, public: bool = False) -> str:
    """``"cases: 12, closed to social care: c, ..."``: named counts for printing, suppressed unless ``public``.

    ``public`` is for counts the source document itself publishes (a seed
    reproduction); an LA's own counts are never public.
    """
    shown = dict(counts) if as_bool(public, name="public") else suppress_counts(counts, total=total)
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in shown.items())


def unsuppressed_small_counts(df: pd.DataFrame, counts: Sequence[str], threshold: int = DEFAULT_THRESHOLD) -> list[tuple[int, str]]:
    """(row, column) of every count that should have been suppressed but was not."""
    found = []
    for c in counts:
        if c not in df.columns:
            continue
        v = pd.to_numeric(df[c], errors="coerce")
        for i in df.index[(v > 0) & (v < threshold)]:
            found.append((int(i), c))
    return found


def count_like_columns(df: pd.DataFrame) -> list[str]:
    """Columns whose names say they count people (``n``, ``n_*``, ``*_count``, ``respondents`` ...)."""
    return [c for c in df.columns if COUNT_PATTERN.search(str(c)) and not NOT_PEOPLE.search(str(c))]


def scan_file(path) -> list[str]:
    """Disclosure problems in one written file (CSV or HTML): small counts and id-like columns.

    Used by the tests to check everything a batch writes.
    """
    from pathlib import Path

    path = Path(path)
    frames: list[pd.DataFrame] = []
    if path.suffix == ".csv":
        frames = [pd.read_csv(path, dtype=str, keep_default_na=False)]
    elif path.suffix == ".html":
        from io import StringIO

        text = path.read_text(encoding="utf-8")
        if "<table" in text:
            try:
                frames = pd.read_html(StringIO(text))
            except ValueError:
                frames = []
    problems = []
    for i, df in enumerate(frames):
        df.columns = [str(c[-1]) if isinstance(c, tuple) else str(c) for c in df.columns]
        where = f"{path.name}" + (f" table {i + 1}" if len(frames) > 1 else "")
        for c in id_like_columns(df):
            problems.append(f"{where}: column {c!r} looks like a personal identifier")
        for row, c in unsuppressed_small_counts(df, count_like_columns(df)):
            problems.append(f"{where}: row {row + 2}, column {c!r}: count {df.at[row, c]} is below the threshold")
    return problems
