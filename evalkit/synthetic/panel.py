"""A seeded synthetic panel of local authorities, shaped like the DfE CLA panel.

:func:`make_la_panel` returns the same long columns as
:func:`evalkit.la_panel.load_panel` (``la_old_code, la_code, la_name, region,
year, measure, value, suppressed, marker, source_file``) with the same measures
and year coverage as the real file: totals 2010-2024, starts by age band
2011-2022, population 2010 and 2019-2024, rates 2019-2024. Counts of 1-5 are
suppressed as DfE does.

One authority is *treated*: from ``start_year`` its expected adolescent starts
(both the 10-15 and the 16-and-over bands) are multiplied by
``level_ratio * slope_ratio ** (year - start_year)``. Nothing else differs, so a
controlled interrupted time series of ``adolescent_starts`` should recover
``level_ratio`` and ``slope_ratio``. The truth is in ``panel.attrs["truth"]``.

All names carry "synthetic": the treated authority is ``"<treated_name>
(synthetic)"`` and the others ``"Synthetic LA NN"``; codes start with ``X``
so they can never be confused with DfE numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REGIONS = [
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
]

AGE_BANDS = ["under1", "1_4", "5_9", "10_15", "16_over"]
#: Expected starts in each band per adolescent start (10_15 and 16_over share 1).
_YOUNGER_PER_ADOLESCENT = {"under1": 0.55, "1_4": 0.45, "5_9": 0.45}


def make_la_panel(
    n_las: int = 40,
    *,
    treated_name: str = "Sefton",
    start_year: int = 2016,
    level_ratio: float = 0.8,
    slope_ratio: float = 1.0,
    years: tuple[int, int] = (2010, 2024),
    age_years: tuple[int, int] = (2011, 2022),
    year_shock_sd: float = 0.06,
    la_year_sd: float = 0.08,
    suppress_small: bool = True,
    seed: int = 0,
) -> pd.DataFrame:
    """Make a seeded synthetic LA panel with a known effect on adolescent starts.

    Parameters
    ----------
    n_las
        Number of authorities (at least 6), the treated one included.
    treated_name
        Name of the treated authority; shown as ``"<name> (synthetic)"``.
    start_year
        First year (ending 31 March) with the effect.
    level_ratio, slope_ratio
        Multiplicative effect on the treated authority's expected adolescent
        starts at ``start_year``, and its change per year after.
    years
        First and last year of the totals.
    age_years
        First and last year of the starts by age band (as in the DfE panel).
    year_shock_sd
        SD of the year effects on the log scale, shared by every authority
        (a national change the comparators also see).
    la_year_sd
        SD of authority-by-year noise on the log scale (over-dispersion).
    suppress_small
        Suppress counts of 1-5 (value NaN, ``suppressed`` True), as DfE does.
    seed
        Random seed.

    Returns
    -------
    pandas.DataFrame
        Long panel; ``attrs["truth"]`` holds the effect and the treated
        authority's code, ``attrs["synthetic"]`` is True.
    """
    if n_las < 6:
        raise ValueError(f"n_las: need at least 6 authorities, got {n_las}")
    y0, y1 = years
    a0, a1 = age_years
    if not (y0 <= a0 <= a1 <= y1):
        raise ValueError(f"age_years: {age_years} must lie within years {years}")
    if not (a0 < start_year <= a1):
        raise ValueError(
            f"start_year: {start_year} must be after {a0} and no later than {a1} "
            "(the years with starts by age)"
        )
    if level_ratio <= 0 or slope_ratio <= 0:
        raise ValueError("level_ratio and slope_ratio must be positive ratios")
    rng = np.random.default_rng(seed)
    yrs = np.arange(y0, y1 + 1)
    centre = start_year

    codes = [f"X{k:02d}" for k in range(1, n_las + 1)]
    names = [f"{treated_name} (synthetic)"] + [f"Synthetic LA {k:02d}" for k in range(2, n_las + 1)]
    regions = [REGIONS[(k * 4) % len(REGIONS)] for k in range(n_las)]
    pop = np.round(rng.uniform(25_000, 250_000, n_las), -2)
    pop[0] = 58_000.0
    # adolescent starts per 10,000 children at the centre year, and the trend
    rate = np.exp(rng.normal(np.log(9.0), 0.35, n_las))
    rate[0] = 12.0
    trend = rng.normal(0.02, 0.03, n_las)
    trend[0] = 0.03
    share_10_15 = np.clip(rng.normal(0.74, 0.05, n_las), 0.5, 0.9)
    share_10_15[0] = 0.72
    pop_growth = rng.normal(0.004, 0.003, n_las)
    shock = rng.normal(0.0, year_shock_sd, len(yrs))

    rows: list[tuple] = []
    for i in range(n_las):
        noise = rng.normal(0.0, la_year_sd, len(yrs))
        for j, y in enumerate(yrs):
            pop_iy = pop[i] * (1 + pop_growth[i]) ** (y - centre)
            base = pop_iy / 1e4 * rate[i] * np.exp(trend[i] * (y - centre) + shock[j] + noise[j])
            effect = 1.0
            if i == 0 and y >= start_year:
                effect = level_ratio * slope_ratio ** (y - start_year)
            adol_mu = base * effect
            values: dict[str, float] = {}
            younger_mu = {b: base * f for b, f in _YOUNGER_PER_ADOLESCENT.items()}
            if a0 <= y <= a1:
                bands = {
                    "under1": rng.poisson(younger_mu["under1"]),
                    "1_4": rng.poisson(younger_mu["1_4"]),
                    "5_9": rng.poisson(younger_mu["5_9"]),
                    "10_15": rng.poisson(adol_mu * share_10_15[i]),
                    "16_over": rng.poisson(adol_mu * (1 - share_10_15[i])),
                }
                for b, v in bands.items():
                    values[f"started_age_{b}"] = float(v)
                started = float(sum(bands.values()))
            else:
                started = float(rng.poisson(adol_mu + sum(younger_mu.values())))
            values["started_count"] = started
            values["ceased_count"] = float(rng.poisson(0.95 * started + 0.5))
            values["cla_31mar_count"] = float(rng.poisson(2.2 * started + 1))
            if y == y0 or y >= 2019:
                values["population_under18"] = float(np.round(pop_iy, -2 if y == y0 else 0))
            if y >= 2019:
                for m in ("cla_31mar_count", "started_count", "ceased_count"):
                    stem = m.replace("_count", "")
                    rate_name = (
                        "cla_rate_per_10000" if m == "cla_31mar_count" else f"{stem}_rate_per_10000"
                    )
                    values[rate_name] = float(np.round(values[m] / pop_iy * 1e4))
            for m, v in values.items():
                rows.append((codes[i], f"X{i + 1:08d}", names[i], regions[i], int(y), m, v))

    df = pd.DataFrame(
        rows, columns=["la_old_code", "la_code", "la_name", "region", "year", "measure", "value"]
    )
    df["value"] = df["value"].astype(float)
    df["suppressed"] = False
    df["marker"] = ""
    if suppress_small:
        is_count = ~df["measure"].str.contains("rate|population")
        small = is_count & df["value"].between(1, 5)
        df.loc[small, "suppressed"] = True
        df.loc[small, "marker"] = np.where(df.loc[small, "year"] <= 2017, "x", "c")
        df.loc[small, "value"] = np.nan
    df["source_file"] = "synthetic"
    df = df.sort_values(["la_old_code", "year", "measure"]).reset_index(drop=True)
    df.attrs["synthetic"] = True
    df.attrs["truth"] = {
        "treated_la_old_code": codes[0],
        "treated_la_name": names[0],
        "measure": "adolescent_starts",
        "start_year": int(start_year),
        "level_ratio": float(level_ratio),
        "slope_ratio": float(slope_ratio),
        "seed": int(seed),
    }
    return df
