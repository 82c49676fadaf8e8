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

from evalkit.errors import shown as _value

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


#: Plain-language labels of measures (others are shown by name).
MEASURE_LABELS: dict[str, str] = {
    "adolescent_starts": "children starting to be looked after aged 10 and over",
    "started_count": "children starting to be looked after",
    "ceased_count": "children ceasing to be looked after",
    "cla_31mar_count": "children looked after at 31 March",
    "started_age_10_15": "children starting to be looked after aged 10 to 15",
    "started_age_16_over": "children starting to be looked after aged 16 and over",
    "cla_rate_per_10000": "children looked after at 31 March per 10,000 children",
    "started_rate_per_10000": "children starting to be looked after per 10,000 children",
}


def measure_label(measure: str) -> str:
    """A plain-language label for a measure: ``"<label> (<name>)"``, or the name itself."""
    lab = MEASURE_LABELS.get(measure)
    return f"{lab} ({measure})" if lab else measure


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
        raise ValueError(f"{path}: row {i + 2}: column 'year': {_value(df['year'].iloc[i])} is not a year")
    df["year"] = df["year"].astype(int)
    value = pd.to_numeric(df["value"], errors="coerce")
    bad_value = value.isna() & df["value"].notna()
    if bad_value.any():
        i = int(np.flatnonzero(bad_value.to_numpy())[0])
        raise ValueError(f"{path}: row {i + 2}: column 'value': {_value(df['value'].iloc[i])} is not a number")
    df["value"] = value.astype(float)
    sup = df["suppressed"].astype(str).str.strip().str.lower()
    if not sup.isin(["true", "false"]).all():
        i = int(np.flatnonzero(~sup.isin(["true", "false"]).to_numpy())[0])
        raise ValueError(
            f"{path}: row {i + 2}: column 'suppressed': {_value(df['suppressed'].iloc[i])} is not True/False"
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
            f"{path}: row {i + 2}: la_old_code={_value(r['la_old_code'])}, year={r['year']}, "
            f"measure={_value(r['measure'])} appears twice; the panel key must be unique"
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
        # only the LA-years that exist (a pivot_table with dropna=False would add every
        # LA x year combination, including years before or after an authority existed)
        wide = parts.set_index([*keys, "measure"])["value"].unstack("measure")
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
    out = out.sort_values(["la_old_code", "year"]).reset_index(drop=True)
    out.attrs = {"measure": measure}
    return out


_SYNTH_SUFFIX = re.compile(r"\s*\(synthetic\)\s*$", re.IGNORECASE)


def _norm(name: Any) -> str:
    s = _SYNTH_SUFFIX.sub("", str(name)).lower().strip()
    s = s.replace("&", " and ")
    s = re.sub(r"[.,'()]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def la_table(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per LA entity: ``la_old_code, la_code, la_name, region, first_year, last_year``.

    Accepts the panel or a :func:`measure_series` frame (``la_code`` and
    ``region`` are then taken as available).
    """
    if not isinstance(panel, pd.DataFrame):
        raise TypeError(f"panel: expected a DataFrame from load_panel(), got {type(panel).__name__}")
    missing = [c for c in ("la_old_code", "la_name", "year") if c not in panel.columns]
    if missing:
        raise ValueError(f"panel: columns {missing} are missing; pass the result of load_panel()")
    df = panel.assign(
        la_code=panel["la_code"] if "la_code" in panel.columns else "",
        region=panel["region"] if "region" in panel.columns else "",
    )
    g = df.groupby("la_old_code", sort=True)
    out = g.agg(
        la_code=("la_code", "last"),
        la_name=("la_name", "last"),
        region=("region", "last"),
        first_year=("year", "min"),
        last_year=("year", "max"),
    )
    out["la_code"] = out["la_code"].fillna("").astype(str)
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
    if not q:
        raise UnknownLA("la_name: empty; give a local authority name or code")
    codes = {c.upper(): c for c in las["la_old_code"]}
    if q.upper() in codes:
        return codes[q.upper()]
    by_code = las.loc[(las["la_code"] != "") & (las["la_code"].str.upper() == q.upper())]
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
            "real and say nothing about any real authority. Built-in effect: "
            f"{panel.attrs['truth']['treated_la_name']} has adolescent starts multiplied by "
            f"{panel.attrs['truth']['level_ratio']:g} (and by {panel.attrs['truth']['slope_ratio']:g} "
            f"per further year) from {panel.attrs['truth']['start_year']}.",
        )
    n = panel["la_old_code"].nunique()
    years = f"{panel['year'].min()}-{panel['year'].max()}"
    return (
        panel,
        True,
        f"Using the DfE children-looked-after panel ({PANEL_FILE}): {n} local-authority "
        f"entities, years ending 31 March {years}.",
    )


def series_from_table(table: pd.DataFrame, measure: str) -> pd.DataFrame:
    """An authority's own figures (table ``la_timeseries``) in :func:`measure_series` form.

    Parameters
    ----------
    table
        The validated ``la_timeseries`` table (``evalkit.schemas.load_table(folder,
        "la_timeseries")``), yearly (a ``year`` column).
    measure
        The measure to take.

    Returns
    -------
    pandas.DataFrame
        ``la_old_code, la_name, region, year, value, suppressed``. Authorities
        supplied this way have no DfE number; ``la_old_code`` is ``"own:<name>"``
        and ``region`` is empty.
    """
    if "year" not in table.columns or table["year"].isna().all():
        raise ValueError(
            "table: la_timeseries has no 'year' column; the LA panel analysis is yearly "
            "(for a monthly series call evalkit.its.fit_its directly)"
        )
    have = sorted(table["measure"].unique())
    if measure not in have:
        raise UnknownMeasure(f"measure: {measure!r} is not in la_timeseries (it has: {', '.join(have)})")
    sub = table.loc[table["measure"] == measure]
    sup = sub["suppressed"] if "suppressed" in sub.columns else pd.Series(False, index=sub.index)
    out = pd.DataFrame(
        {
            "la_old_code": "own:" + sub["la_name"].astype(str),
            "la_name": sub["la_name"].astype(str),
            "region": "",
            "year": sub["year"].astype(int),
            "value": sub["value"].astype(float),
            "suppressed": sup.fillna(False).astype(bool),
        }
    )
    out = out.sort_values(["la_old_code", "year"]).reset_index(drop=True)[SERIES_COLUMNS]
    out.attrs = {"measure": measure}
    return out


def series_for_its(
    measure: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    seed: int = 0,
    path: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, bool, str]:
    """One measure for every authority: the DfE panel (or the synthetic fallback),
    optionally with an authority's own figures from ``data_dir``.

    Parameters
    ----------
    measure
        Raw or derived measure (see :func:`measure_series`).
    data_dir
        Folder holding ``la_timeseries.csv`` (schema ``la_timeseries``). Its
        authorities' figures for ``measure`` replace the panel's series of the
        authority with the same name, or are added if the panel has none.
    seed
        Seed of the synthetic panel used when the DfE panel is absent.
    path
        The panel file (default ``../shared/external/dfe_cla_la_panel.csv``).

    Returns
    -------
    series : pandas.DataFrame
        :data:`SERIES_COLUMNS`; ``attrs["measure"]`` is ``measure``.
    is_real : bool
        Whether the panel is the real DfE one.
    message : str
        What was loaded, in one or two sentences (no absolute paths).
    """
    panel, is_real, msg = load_or_synthetic(seed=seed, path=path)
    series = measure_series(panel, measure)
    if data_dir is None:
        return series, is_real, msg
    from evalkit import paths, schemas

    folder = paths.resolve(data_dir)
    own = series_from_table(schemas.load_table(folder, "la_timeseries"), measure)
    names = set(own["la_name"].map(_norm))
    replaced = sorted(series.loc[series["la_name"].map(_norm).isin(names), "la_name"].unique())
    series = series.loc[~series["la_name"].map(_norm).isin(names)]
    out = pd.concat([series, own], ignore_index=True).sort_values(["la_old_code", "year"])
    out = out.reset_index(drop=True)
    out.attrs = {"measure": measure}
    who = ", ".join(sorted(own["la_name"].unique()))
    msg += (f" Figures for {who} come from the folder's la_timeseries.csv"
            + (f" (replacing the panel's series for {', '.join(replaced)})." if replaced else "."))
    return out, is_real, msg


NATIONAL_FILE = "dfe_cla_national.csv"


def load_cla_national(path: str | Path | None = None) -> pd.DataFrame:
    """England and regional children-looked-after totals (``../shared/external/dfe_cla_national.csv``).

    Returns the rows of the ``release_table`` series (the same DfE files as the
    LA panel) with columns ``area_name, area_code, geographic_level, year,
    measure, value, suppressed``.

    Raises
    ------
    PanelMissing
        When the file is absent.
    ValueError
        When the file lacks a required column.
    """
    from evalkit import paths

    p = Path(path) if path is not None else paths.external(NATIONAL_FILE)
    if p is None or not Path(p).is_file():
        where = p if p is not None else paths.shared_dir() / "external" / NATIONAL_FILE
        raise PanelMissing(f"the DfE national children-looked-after file is not present at {where}")
    raw = pd.read_csv(p, dtype={"area_code": str, "area_name": str, "measure": str, "series": str},
                      keep_default_na=False, na_values={"value": [""]})
    need = ["geographic_level", "area_code", "area_name", "year", "measure", "value", "suppressed", "series"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise ValueError(f"{p}: not the DfE national file: columns {missing} are missing")
    df = raw.loc[raw["series"] == "release_table", need[:-1]].copy()
    df["year"] = pd.to_numeric(df["year"], errors="raise").astype(int)
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    df["suppressed"] = df["suppressed"].astype(str).str.lower().eq("true")
    return df.reset_index(drop=True)
