"""Shared pieces of the ITS model: options, errors and the design matrix."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evalkit.errors import shown as _value

FAMILIES = ("gaussian", "poisson", "quasipoisson")
ERRORS = ("newey-west", "ar1", "naive")
IMPACTS = ("level", "slope", "level+slope")

#: Default ``errors``: AR(1) errors fitted by REML, with t intervals on
#: Satterthwaite's degrees of freedom. In the simulation study
#: (``benchmarks/bench_its_simulation.py``: gaussian series, level change 2, slope
#: change 0.1, innovation SD 1, 1000 replicates per cell) its 95% coverage was
#: 0.934-0.967 for n >= 48 and rho <= 0.4 (level and slope), and 0.917-0.967 in
#: every cell down to n = 24, rho = 0.7. Newey-West covered only 0.79-0.93 at
#: n >= 48, rho <= 0.4 (0.54-0.93 overall), Prais-Winsten 0.89-0.95, and naive
#: errors 0.79-0.82 at rho = 0.4 (n >= 48). This agrees with Turner, Forbes, Karahalios,
#: Taljaard and McKenzie (2021), "Evaluation of statistical methods used in the
#: analysis of interrupted time series studies: a simulation study", BMC Med Res
#: Methodol 21:181 (REML least biased for rho; Newey-West poor with high
#: autocorrelation). They preferred plain OLS for series of fewer than 12 points;
#: the price of REML-Satterthwaite here is much wider intervals in short series
#: (see the benchmark's mean widths), so compare errors="naive" there.
DEFAULT_ERRORS = "ar1"

#: Fewer points than this on either side of the start draws a warning.
MIN_POINTS_WARN = 8

_ERROR_LABEL = {
    "newey-west": "Newey-West (HAC, Bartlett kernel, {lags} lags)",
    "ar1": "AR(1) errors ({how}; estimated rho = {rho:.3f})",
    "naive": "model-based, assuming independent errors",
}


class ITSError(ValueError):
    """Bad input to :func:`fit_its` (names the argument, column, row and rule)."""


# --------------------------------------------------------------------------- input


def _check_columns(df: pd.DataFrame, name: str, cols: dict[str, str | None]) -> None:
    for arg, col in cols.items():
        if col is None:
            continue
        if col not in df.columns:
            raise ITSError(
                f"{arg}: column {col!r} is not in {name} (columns: {', '.join(map(str, df.columns))})"
            )


def _numeric(df: pd.DataFrame, col: str, name: str, arg: str, *, allow_missing: bool) -> pd.Series:
    s = df[col]
    if pd.api.types.is_datetime64_any_dtype(s):
        raise ITSError(
            f"{arg}: column {col!r} of {name} holds dates; give a numeric time index "
            "(e.g. year, or months since the start as 1, 2, 3, ...)"
        )
    v = pd.to_numeric(s, errors="coerce")
    bad = v.isna() & s.notna() & (s.astype(str).str.strip() != "")
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise ITSError(
            f"{arg}: column {col!r} of {name}, row {i} (position {i}): {_value(s.iloc[i])} is not a number"
        )
    if not allow_missing and v.isna().any():
        i = v.isna().to_numpy().nonzero()[0][0]
        raise ITSError(f"{arg}: column {col!r} of {name}, row {i} (position {i}): value is missing")
    return v.astype(float)


def _series_frame(
    df: pd.DataFrame,
    name: str,
    *,
    outcome: str,
    time: str,
    offset: str | None,
    season: str | None,
    family: str,
    notes: list[str],
) -> pd.DataFrame:
    """Validate one series and return columns ``t, y, off, season`` (sorted by t)."""
    if not isinstance(df, pd.DataFrame):
        raise ITSError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
    _check_columns(df, name, {"outcome": outcome, "time": time, "offset": offset, "season": season})
    df = df.reset_index(drop=True)
    t = _numeric(df, time, name, "time", allow_missing=False)
    y = _numeric(df, outcome, name, "outcome", allow_missing=True)
    out = pd.DataFrame({"t": t, "y": y})
    dup = out["t"].duplicated(keep=False)
    if dup.any():
        times = sorted(out.loc[dup, "t"].unique().tolist())[:5]
        rows = dup.to_numpy().nonzero()[0][:6].tolist()
        raise ITSError(
            f"time: column {time!r} of {name} repeats values {times} (rows {rows}); an ITS needs "
            "one row per time point. For several series in long format, pass control= and group="
        )
    if offset is not None:
        off = _numeric(df, offset, name, "offset", allow_missing=True)
        bad = (off <= 0) & off.notna()
        if bad.any():
            i = bad.to_numpy().nonzero()[0][0]
            raise ITSError(
                f"offset: column {offset!r} of {name}, row {i}: {_value(off.iloc[i])} is not positive; "
                "the offset is a population (used as log(offset))"
            )
        miss = off.isna() & y.notna()
        if miss.any():
            i = miss.to_numpy().nonzero()[0][0]
            raise ITSError(f"offset: column {offset!r} of {name}, row {i}: population is missing")
        out["off"] = off
    else:
        out["off"] = 1.0
    if season is not None:
        out["season"] = _numeric(df, season, name, "season", allow_missing=False)
    else:
        out["season"] = np.nan
    if family in ("poisson", "quasipoisson"):
        neg = (y < 0) & y.notna()
        if neg.any():
            i = neg.to_numpy().nonzero()[0][0]
            raise ITSError(
                f"outcome: column {outcome!r} of {name}, row {i}: {_value(y.iloc[i])} is negative; "
                f"family={family!r} needs counts >= 0"
            )
        if family == "poisson":
            frac = (y != np.round(y)) & y.notna()
            if frac.any():
                i = frac.to_numpy().nonzero()[0][0]
                raise ITSError(
                    f"outcome: column {outcome!r} of {name}, row {i}: {_value(y.iloc[i])} is not a whole "
                    "number; family='poisson' needs counts (use 'quasipoisson' or 'gaussian')"
                )
    miss = out["y"].isna()
    if miss.any():
        dropped = ", ".join(f"{v:g}" for v in out.loc[miss, "t"])
        notes.append(f"{name}: outcome missing at time {dropped}; these points are left out")
        out = out.loc[~miss]
    return out.sort_values("t").reset_index(drop=True)


def _pool(
    frame: pd.DataFrame, groups: pd.Series, how: str, name: str, notes: list[str]
) -> pd.DataFrame:
    """Pool several comparison series into one (sum or mean by time point)."""
    frame = frame.assign(_unit=groups.to_numpy())
    units = frame["_unit"].unique()
    if len(units) == 1:
        return frame.drop(columns="_unit")
    counts = frame.groupby("t")["_unit"].nunique()
    incomplete = counts.index[counts < len(units)]
    if len(incomplete):
        notes.append(
            f"{name}: not every comparison series has a value at time "
            f"{', '.join(f'{v:g}' for v in incomplete)}; the pooled comparison leaves those times out"
        )
        frame = frame.loc[~frame["t"].isin(incomplete)]
    agg = {"y": how, "off": "sum" if how == "sum" else "mean", "season": "first"}
    pooled = frame.groupby("t", as_index=False).agg(agg)
    notes.append(f"comparison: {len(units)} series pooled by {how} at each time point")
    return pooled


# --------------------------------------------------------------------------- design


def _design(
    frame: pd.DataFrame, start: float, impact: str, harmonics: int, period: float, controlled: bool
) -> tuple[pd.DataFrame, dict[str, str]]:
    t = frame["t"].to_numpy(float)
    post = (t >= start).astype(float)
    # time is centred at the start: the intercept is the pre-intervention line's value
    # at the start (better conditioned than at time 0; the other coefficients are unchanged)
    tc = t - start
    cols: dict[str, np.ndarray] = {"intercept": np.ones(len(t)), "trend": tc}
    if "level" in impact:
        cols["post"] = post
    if "slope" in impact:
        cols["post_trend"] = (t - start) * post
    if controlled:
        g = frame["g"].to_numpy(float)
        cols["group"] = g
        cols["group_trend"] = g * tc
        if "level" in impact:
            cols["group_post"] = g * post
        if "slope" in impact:
            cols["group_post_trend"] = g * (t - start) * post
    for k in range(1, harmonics + 1):
        x = 2 * np.pi * k * frame["season"].to_numpy(float) / period
        cols[f"sin{k}"] = np.sin(x)
        cols[f"cos{k}"] = np.cos(x)
    X = pd.DataFrame(cols, index=frame.index)
    pre = "group_" if controlled else ""
    terms = {}
    if "level" in impact:
        terms["level"] = f"{pre}post"
    if "slope" in impact:
        terms["slope"] = f"{pre}post_trend"
    return X, terms


def newey_west_lags(n: int) -> int:
    """Newey and West's (1994) automatic lag for the Bartlett kernel: ``floor(4 (n/100)^(2/9))``."""
    return int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


# --------------------------------------------------------------------------- AR(1) fits

