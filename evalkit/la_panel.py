"""The DfE children-looked-after panel of English local authorities, 2010-2024.

Reads ``../shared/external/dfe_cla_la_panel.csv`` (see its README) in place:
one row per local authority x year (ending 31 March) x measure, as DfE
published it. Nothing here imputes or splices a series.

Keys and pitfalls the loader deals with
---------------------------------------
- ``la_old_code`` (DfE's 3-digit number, text) is the panel key. It changes
  only when the territory changes. Names are not keys: two different entities
  are both called "Dorset" (835 runs 2010-2019, 838 from 2020).
- Suppressed cells (DfE ``x`` before 2018, ``c`` from 2018) have
  ``value`` NaN and ``suppressed`` True; not-available cells have ``value`` NaN
  and ``suppressed`` False.
- Starts by age band exist only for 2011-2022; rates only from 2019;
  population only for 2010 and 2019-2024.

Derived measures
----------------
``adolescent_starts``
    ``started_age_10_15 + started_age_16_over``: children who started to be
    looked after aged 10 or over. NaN when either band is missing or
    suppressed (a suppressed band holds 1-5 children, so the sum is not known).
    Available 2011-2022.

Examples
--------
>>> from evalkit import la_panel
>>> panel, is_real, msg = la_panel.load_or_synthetic()
>>> code = la_panel.find_la(panel, "Sefton")
>>> series = la_panel.measure_series(panel, "adolescent_starts")
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: File name of the panel in ``../shared/external``.
PANEL_FILE = "dfe_cla_la_panel.csv"

#: Columns every panel (real or synthetic) has, in this order.
PANEL_COLUMNS: list[str] = [
    "la_old_code",
    "la_code",
    "la_name",
    "region",
    "year",
    "measure",
    "value",
    "suppressed",
]
#: Extra columns kept from the file for traceability.
EXTRA_COLUMNS: list[str] = ["marker", "source_file"]

#: Columns of :func:`measure_series` output.
SERIES_COLUMNS: list[str] = ["la_old_code", "la_name", "region", "year", "value", "suppressed"]


@dataclass(frozen=True)
class DerivedMeasure:
    """A measure computed as the sum of published measures."""

    name: str
    components: tuple[str, ...]
    description: str


#: Measures derived from published ones (sum of components; NaN if any is missing).
DERIVED_MEASURES: dict[str, DerivedMeasure] = {
    "adolescent_starts": DerivedMeasure(
        "adolescent_starts",
        ("started_age_10_15", "started_age_16_over"),
        "children who started to be looked after aged 10 and over "
        "(started_age_10_15 + started_age_16_over); 2011-2022",
    ),
}


class PanelMissing(FileNotFoundError):
    """The DfE panel file is not where it should be."""


class UnknownMeasure(ValueError):
    """A measure name that is neither in the panel nor derived from it."""


class UnknownLA(ValueError):
    """A local authority name or code that is not in the panel, or is ambiguous."""


_CACHE: dict[tuple[str, int, int], pd.DataFrame] = {}


def panel_path() -> Path | None:
    """Path to the panel in ``../shared/external``, or ``None`` when it is absent."""
    from evalkit import paths

    return paths.external(PANEL_FILE)


def _parse(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(
            path,
            dtype={"la_old_code": str, "la_code": str, "la_name": str, "region": str,
                   "measure": str, "marker": str, "source_file": str},
            keep_default_na=False,
            na_values={"value": [""]},
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: cannot be read as the DfE CLA panel CSV ({err})") from None
    missing = [c for c in PANEL_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(
            f"{path}: not the DfE CLA panel: required columns {missing} are missing "
            f"(found {list(raw.columns)})"
        )
    df = raw.copy()
    df["la_old_code"] = df["la_old_code"].str.strip()
    bad_year = pd.to_numeric(df["year"], errors="coerce").isna()
    if bad_year.any():
        i = int(np.flatnonzero(bad_year.to_numpy())[0])
        raise ValueError(f"{path}: row {i + 2}: column 'year': {df['year'].iloc[i]!r} is not a year")
    df["year"] = df["year"].astype(int)
    value = pd.to_numeric(df["value"], errors="coerce")
    bad_value = value.isna() & df["value"].notna()
    if bad_value.any():
        i = int(np.flatnonzero(bad_value.to_numpy())[0])
        raise ValueError(f"{path}: row {i + 2}: column 'value': {df['value'].iloc[i]!r} is not a number")
    df["value"] = value.astype(float)
    sup = df["suppressed"].astype(str).str.strip().str.lower()
    if not sup.isin(["true", "false"]).all():
        i = int(np.flatnonzero(~sup.isin(["true", "false"]).to_numpy())[0])
        raise ValueError(
            f"{path}: row {i + 2}: column 'suppressed': {df['suppressed'].iloc[i]!r} is not True/False"
        )
    df["suppressed"] = sup.eq("true")
    for c in EXTRA_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    dup = df.duplicated(["la_old_code", "year", "measure"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        r = df.iloc[i]
        raise ValueError(
            f"{path}: row {i + 2}: la_old_code={r['la_old_code']!r}, year={r['year']}, "
            f"measure={r['measure']!r} appears twice; the panel key must be unique"
        )
    return df[PANEL_COLUMNS + EXTRA_COLUMNS].reset_index(drop=True)


def load_panel(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load the DfE CLA local-authority panel (long format).

    Parameters
    ----------
    path
        The CSV file. Default: ``../shared/external/dfe_cla_la_panel.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``la_old_code`` (str), ``la_code``, ``la_name``, ``region``,
        ``year`` (int), ``measure``, ``value`` (float; NaN when suppressed or
        not available), ``suppressed`` (bool), plus ``marker`` and
        ``source_file`` from the file. A fresh copy each call; the parsed file
        is cached (keyed by path, size and modification time).

    Raises
    ------
    PanelMissing
        When the file does not exist.
    ValueError
        When the file is not the panel (missing columns, bad values, repeated keys).
    """
    if path is None:
        p = panel_path()
        if p is None:
            from evalkit import paths

            expected = paths.shared_dir() / "external" / PANEL_FILE
            raise PanelMissing(
                f"the DfE children-looked-after panel is not present at {expected}; "
                "it lives in ../shared/external beside the repository (set EVALKIT_SHARED "
                "to point elsewhere), or use load_or_synthetic() to fall back to synthetic data"
            )
    else:
        p = Path(path).expanduser().resolve()
        if not p.is_file():
            raise PanelMissing(f"path: the DfE panel file {p} does not exist")
    stat = p.stat()
    key = (str(p), stat.st_size, stat.st_mtime_ns)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _parse(p)
    return _CACHE[key].copy()


def available_measures(panel: pd.DataFrame) -> list[str]:
    """Raw measures in ``panel`` plus the derived measures it supports, sorted."""
    raw = set(panel["measure"].unique())
    derived = {n for n, d in DERIVED_MEASURES.items() if set(d.components) <= raw}
    return sorted(raw | derived)


def _check_panel(panel: pd.DataFrame) -> None:
    if not isinstance(panel, pd.DataFrame):
        raise TypeError(f"panel: expected a DataFrame from load_panel(), got {type(panel).__name__}")
    missing = [c for c in PANEL_COLUMNS if c not in panel.columns]
    if missing:
        raise ValueError(f"panel: columns {missing} are missing; pass the result of load_panel()")


def measure_series(panel: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One measure for every LA and year, raw or derived.

    Parameters
    ----------
    panel
        From :func:`load_panel` or :func:`evalkit.synthetic.panel.make_la_panel`.
    measure
        A measure in the panel (e.g. ``"started_count"``) or a derived one
        (``"adolescent_starts"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``la_old_code, la_name, region, year, value, suppressed``, one
        row per LA and year where the measure (or, for a derived measure, any
        of its components) has a row, sorted by ``la_old_code`` and ``year``.
        ``value`` is NaN when missing or suppressed; for a derived measure,
        ``suppressed`` is True when any component is suppressed.

    Raises
    ------
    UnknownMeasure
        Naming the valid measures.
    """
    _check_panel(panel)
    raw = set(panel["measure"].unique())
    if measure in DERIVED_MEASURES and measure not in raw:
        d = DERIVED_MEASURES[measure]
        absent = [c for c in d.components if c not in raw]
        if absent:
            raise UnknownMeasure(
                f"measure: {measure!r} needs {list(d.components)} but the panel has no {absent}"
            )
        parts = panel.loc[panel["measure"].isin(d.components)]
        keys = ["la_old_code", "year"]
        wide = parts.pivot_table(index=keys, columns="measure", values="value", aggfunc="first",
                                 dropna=False)
        wide = wide.reindex(columns=list(d.components))
        sup = parts.groupby(keys)["suppressed"].any()
        present = parts.groupby(keys)["measure"].nunique()
        value = wide.sum(axis=1, min_count=len(d.components))
        value[present.reindex(value.index) < len(d.components)] = np.nan
        out = pd.DataFrame({"value": value.astype(float), "suppressed": sup.reindex(value.index)})
        out = out.reset_index()
        labels = parts.drop_duplicates(keys)[keys + ["la_name", "region"]]
        out = out.merge(labels, on=keys, how="left")
    elif measure in raw:
        out = panel.loc[panel["measure"] == measure, ["la_old_code", "la_name", "region", "year",
                                                       "value", "suppressed"]]
    else:
        valid = available_measures(panel)
        close = difflib.get_close_matches(str(measure), valid, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownMeasure(
            f"measure: {measure!r} is not in the panel and is not a derived measure.{hint} "
            f"Valid measures: {', '.join(valid)}"
        )
    out = out[SERIES_COLUMNS].copy()
    out["suppressed"] = out["suppressed"].astype(bool)
    out["year"] = out["year"].astype(int)
    return out.sort_values(["la_old_code", "year"]).reset_index(drop=True)


_SYNTH_SUFFIX = re.compile(r"\s*\(synthetic\)\s*$", re.IGNORECASE)


def _norm(name: Any) -> str:
    s = _SYNTH_SUFFIX.sub("", str(name)).lower().strip()
    s = s.replace("&", " and ")
    s = re.sub(r"[.,'()]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def la_table(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per LA entity: ``la_old_code, la_code, la_name, region, first_year, last_year``."""
    _check_panel(panel)
    g = panel.groupby("la_old_code", sort=True)
    out = g.agg(
        la_code=("la_code", "last"),
        la_name=("la_name", "last"),
        region=("region", "last"),
        first_year=("year", "min"),
        last_year=("year", "max"),
    )
    return out.reset_index()


def find_la(panel: pd.DataFrame, name_or_code: str | int) -> str:
    """The ``la_old_code`` of a local authority given its name or code.

    Parameters
    ----------
    panel
        The panel.
    name_or_code
        DfE 3-digit number (``"343"`` or ``343``), ONS code (``"E08000014"``)
        or name, case-insensitive ("sefton", "Bristol, City of"; "&" and
        "and", and a " (synthetic)" suffix, are ignored).

    Returns
    -------
    str
        The ``la_old_code``.

    Raises
    ------
    UnknownLA
        When nothing matches (listing close names) or a name matches more than
        one entity (e.g. "Dorset": 835 for 2010-2019, 838 from 2020), in which
        case pass the code.
    """
    las = la_table(panel)
    q = str(name_or_code).strip()
    if q in set(las["la_old_code"]):
        return q
    by_code = las.loc[las["la_code"].str.upper() == q.upper()]
    if len(by_code) == 1:
        return str(by_code["la_old_code"].iloc[0])
    norm = las["la_name"].map(_norm)
    hits = las.loc[norm == _norm(q)]
    if len(hits) == 1:
        return str(hits["la_old_code"].iloc[0])
    if len(hits) > 1 or len(by_code) > 1:
        rows = hits if len(hits) > 1 else by_code
        opts = "; ".join(
            f"{r.la_old_code} ({r.la_name}, {r.la_code}, {r.first_year}-{r.last_year})"
            for r in rows.itertuples()
        )
        raise UnknownLA(
            f"la_name: {q!r} matches more than one local authority: {opts}. "
            "Pass the la_old_code (DfE 3-digit number) instead."
        )
    close = difflib.get_close_matches(_norm(q), list(norm), n=5, cutoff=0.6)
    names = sorted({las.loc[norm == c, "la_name"].iloc[0] for c in close})
    hint = f" Close matches: {', '.join(names)}." if names else ""
    raise UnknownLA(f"la_name: no local authority named or coded {q!r} in the panel.{hint}")


def load_or_synthetic(
    seed: int = 0, path: str | os.PathLike[str] | None = None, **kw: Any
) -> tuple[pd.DataFrame, bool, str]:
    """The real panel if present, else a seeded synthetic one.

    Parameters
    ----------
    seed
        Seed for the synthetic panel.
    path
        Panel file (default ``../shared/external/dfe_cla_la_panel.csv``).
    **kw
        Passed to :func:`evalkit.synthetic.panel.make_la_panel`.

    Returns
    -------
    panel : pandas.DataFrame
    is_real : bool
    message : str
        One plain sentence saying which data are in use.
    """
    try:
        panel = load_panel(path)
    except PanelMissing:
        from evalkit.synthetic.panel import make_la_panel

        panel = make_la_panel(seed=seed, **kw)
        n = panel["la_old_code"].nunique()
        where = f"../shared/external/{PANEL_FILE}" if path is None else Path(path).name
        return (
            panel,
            False,
            f"The DfE panel ({where}) was not found. Using a SYNTHETIC panel of {n} made-up "
            f"local authorities (seed {seed}) so the notebook still runs; its numbers are not "
            "real and say nothing about any real authority.",
        )
    n = panel["la_old_code"].nunique()
    years = f"{panel['year'].min()}-{panel['year'].max()}"
    return (
        panel,
        True,
        f"Using the DfE children-looked-after panel ({PANEL_FILE}): {n} local-authority "
        f"entities, years ending 31 March {years}.",
    )
