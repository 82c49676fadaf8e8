"""Data preparation shared by the designs: one treated authority, its comparators, log values."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.errors import InputDataError

SERIES_COLUMNS = ["la_old_code", "la_name", "year", "value"]


def check_series(series: pd.DataFrame, arg: str = "series") -> pd.DataFrame:
    """The long series with string codes, integer years and float values (a copy)."""
    if not isinstance(series, pd.DataFrame):
        raise InputDataError(
            f"{arg}: expected the DataFrame from la_panel.measure_series(), got {type(series).__name__}"
        )
    missing = [c for c in SERIES_COLUMNS if c not in series.columns]
    if missing:
        raise InputDataError(f"{arg}: columns {missing} are missing (need {SERIES_COLUMNS})")
    s = series.copy()
    s["la_old_code"] = s["la_old_code"].astype(str)
    s["year"] = pd.to_numeric(s["year"], errors="raise").astype(int)
    s["value"] = pd.to_numeric(s["value"], errors="coerce").astype(float)
    if s.duplicated(["la_old_code", "year"]).any():
        r = s[s.duplicated(["la_old_code", "year"], keep=False)].iloc[0]
        raise InputDataError(f"{arg}: la_old_code {r['la_old_code']!r} has two rows for {r['year']}")
    return s


def resolve(s: pd.DataFrame, la: str | int) -> str:
    """``la_old_code`` of an authority given by code or (case-insensitive) name."""
    q = str(la).strip()
    if q in set(s["la_old_code"]):
        return q
    names = s.drop_duplicates("la_old_code", keep="last")
    hits = names.loc[names["la_name"].astype(str).str.casefold() == q.casefold(), "la_old_code"]
    if len(hits) == 1:
        return str(hits.iloc[0])
    if len(hits) > 1:
        raise InputDataError(f"la: {q!r} names several authorities ({sorted(hits)}); pass the la_old_code")
    from evalkit import la_panel

    try:  # the panel's own matching (spelling variants, the synthetic panel's "(synthetic)" suffix)
        return str(la_panel.find_la(s, q))
    except (la_panel.UnknownLA, ValueError) as e:
        raise InputDataError(f"la: {q!r} is not an la_old_code or la_name in the series ({e})") from None


def names_of(s: pd.DataFrame) -> pd.Series:
    """``la_old_code`` -> ``la_name`` (latest name)."""
    return s.drop_duplicates("la_old_code", keep="last").set_index("la_old_code")["la_name"].astype(str)


@dataclass
class Setup:
    """One treated authority's log series and the complete, positive log series of the pool.

    ``logs`` holds every authority with a positive value in each year the treated
    authority has (rows ``la_old_code``, columns years); ``comparators`` are the
    ``n`` nearest to the treated authority in pre-period level and trend of the
    log series (pre-period data only).
    """

    code: str
    name: str
    start_year: int
    years: list[int]
    logs: pd.DataFrame
    comparators: list[str]
    distance: pd.Series
    notes: list[str] = field(default_factory=list)
    n_placebos: int = 1000
    _placebo_sets: dict[str, list[str]] | None = field(default=None, repr=False)

    @property
    def pre(self) -> np.ndarray:
        """Boolean mask of the pre-period years."""
        return np.asarray(self.years) < self.start_year

    @property
    def treated(self) -> np.ndarray:
        """The treated authority's log values."""
        return self.logs.loc[self.code].to_numpy(float)

    def placebo_sets(self) -> dict[str, list[str]]:
        """Placebo units and their own comparators, chosen by the same rule (treated authority excluded).

        The placebo units are the ``n_placebos`` authorities nearest the treated
        one (so of similar size and trend, hence similar noise); each gets its
        own ``n_comparators`` nearest. Placebo estimates then come from the
        whole procedure, comparator choice included, so the treated authority
        and its placebos are treated alike.
        """
        if self._placebo_sets is None:
            f = pre_features(self.logs, self.pre, self.years)
            k = min(self.n_placebos, len(self.logs) - 1)
            units = _nearest_from(f, self.code, k)[0]
            self._placebo_sets = {c: _nearest_from(f, c, len(self.comparators), [self.code])[0]
                                  for c in units}
        return self._placebo_sets

    def comp_matrix(self, comps: list[str] | None = None) -> np.ndarray:
        """Log values of the comparators (rows) by year (columns)."""
        return self.logs.loc[comps if comps is not None else self.comparators].to_numpy(float)


def pre_features(logs: pd.DataFrame, pre: np.ndarray, years: list[int]) -> pd.DataFrame:
    """Pre-period mean and OLS trend of each row's log values."""
    x = np.asarray(years, float)[pre]
    y = logs.to_numpy(float)[:, pre]
    xc = x - x.mean()
    level = y.mean(axis=1)
    trend = (y - level[:, None]) @ xc / (xc @ xc) if len(x) > 1 else np.zeros(len(y))
    return pd.DataFrame({"pre_level": level, "pre_trend": trend}, index=logs.index)


def nearest(logs: pd.DataFrame, code: str, pre: np.ndarray, years: list[int], n: int,
            exclude: list[str] | None = None) -> tuple[list[str], pd.Series]:
    """The ``n`` authorities nearest ``code`` in standardised pre-period level and trend.

    Euclidean distance on the pre-period mean and trend of the log series, each
    divided by its standard deviation across the pool; ties broken by code.
    Only pre-period values enter, so the choice cannot depend on the outcome
    after the start.
    """
    return _nearest_from(pre_features(logs, pre, years), code, n, exclude)


def _nearest_from(f: pd.DataFrame, code: str, n: int, exclude: list[str] | None = None
                  ) -> tuple[list[str], pd.Series]:
    # Called about a thousand times per assessment (every placebo unit picks its own
    # comparators), so it works on arrays. The arithmetic is pandas' own, in its order (column
    # sums over a contiguous row per feature, as ``DataFrame.std`` does on its block), so the
    # distances are the same to the last bit as ``(pool - f.loc[code]) / pool.std()``.
    drop = {code, *(exclude or [])}
    labels = f.index
    keep = ~labels.isin(list(drop))
    pool = np.ascontiguousarray(f.to_numpy(float)[keep].T)  # features x units
    m = pool.shape[1]
    sd = np.ones(len(pool))  # pandas' std of fewer than two units is NaN, read as 1
    if m > 1:
        avg = pool.sum(axis=1, dtype=np.float64) / m
        sd = np.sqrt(((avg[:, None] - pool) ** 2).sum(axis=1, dtype=np.float64) / (m - 1))
        sd = np.where(np.isnan(sd) | (sd == 0), 1.0, sd)
    z = (pool - f.loc[code].to_numpy(float)[:, None]) / sd[:, None]
    d = np.sqrt((z**2).sum(axis=0))
    units = labels[keep]
    names = units.tolist()
    order = sorted(zip([round(x, 12) for x in d.tolist()], names, strict=True))
    return [c for _, c in order[:n]], pd.Series(d, index=units).sort_values()


def setup(series: pd.DataFrame, la: str | int, start_year: int, *, n_comparators: int = 20,
          first_year: int | None = None, end_year: int | None = None,
          drop_years: tuple[int, ...] = (), n_placebos: int = 1000) -> Setup:
    """Log values of the treated authority and the pool, and the chosen comparators.

    Years where the treated authority's value is missing, suppressed or not
    positive are left out for every authority (noted). The pool is the
    authorities with a positive value in each remaining year.
    """
    s = check_series(series)
    code = resolve(s, la)
    name = str(names_of(s).get(code, code))
    if first_year is not None:
        s = s[s["year"] >= first_year]
    if end_year is not None:
        s = s[s["year"] <= end_year]
    tr = s[s["la_old_code"] == code].sort_values("year")
    ok = tr["value"].notna() & (tr["value"] > 0) & ~tr["year"].isin(drop_years)
    years = [int(y) for y in tr.loc[ok, "year"]]
    notes = []
    gone = [int(y) for y in tr.loc[~ok & ~tr["year"].isin(drop_years), "year"]]
    if gone:
        notes.append(f"{name} has no usable (positive, unsuppressed) value in {', '.join(map(str, gone))}; "
                     "that year is left out for every authority")
    n_pre = sum(y < start_year for y in years)
    n_post = sum(y >= start_year for y in years)
    if n_pre < 3 or n_post < 1:
        raise InputDataError(
            f"start_year: {name} has {n_pre} usable year(s) before {start_year} and {n_post} from it; "
            "at least 3 before and 1 from the start are needed"
        )
    w = s.pivot(index="la_old_code", columns="year", values="value").reindex(columns=years)
    w = w[(w.notna() & (w > 0)).all(axis=1)]
    logs = np.log(w.astype(float))
    pre = np.asarray(years) < start_year
    if len(logs) - 1 < n_comparators:
        raise InputDataError(
            f"n_comparators: only {len(logs) - 1} authorities have a positive value in every year "
            f"{name} has; ask for fewer than {n_comparators}"
        )
    comps, dist = nearest(logs, code, pre, years, n_comparators)
    return Setup(code=code, name=name, start_year=int(start_year), years=years, logs=logs,
                 comparators=comps, distance=dist, notes=notes, n_placebos=n_placebos)


#: Components of the within-authority control of the triple difference.
UNDER10_MEASURES = ("started_age_under1", "started_age_1_4", "started_age_5_9")


def under10_series(panel: pd.DataFrame) -> pd.DataFrame:
    """Children starting to be looked after aged under 10, per authority and year.

    The panel has no under-10 measure; this sums the three published age bands
    (under 1, 1-4, 5-9; years ending March 2011-2022). A year with any band
    missing or suppressed is missing. Long form like
    :func:`evalkit.la_panel.measure_series`.
    """
    from evalkit import la_panel

    parts = [la_panel.measure_series(panel, m).set_index(["la_old_code", "year"]) for m in UNDER10_MEASURES]
    value = parts[0]["value"] + parts[1]["value"] + parts[2]["value"]
    out = parts[0][["la_name", "region"]].assign(value=value).reset_index()
    out = out[["la_old_code", "la_name", "region", "year", "value"]]
    out.attrs = {"measure": "under10_starts"}
    return out
