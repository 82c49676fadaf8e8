"""An authority's own time series, for the interrupted-time-series notebook.

A local authority that wants to use its own figures (instead of, or besides,
the DfE panel) supplies ``la_timeseries.csv``: one row per authority, measure
and year (or month). Missing or suppressed figures are rows with an empty
``value``, never absent rows and never 0, so the time index has no gaps.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from evalkit.schemas._core import NotGreater, TableSpec, register


def _time_index_problems(df: pd.DataFrame) -> list[tuple[int | None, str | None, str, str]]:
    """One time column; no repeated and no missing time points within a series."""
    # a column left empty (as in the template, which lists both) counts as absent
    has_year = "year" in df.columns and bool(df["year"].notna().any())
    has_month = "month" in df.columns and bool(df["month"].notna().any())
    if not has_year and not has_month:
        return [(None, None, "missing-column",
                 "give a 'year' column (year ending 31 March, e.g. 2016) or a 'month' column (YYYY-MM)")]
    if has_year and has_month:
        return [(None, "month", "time-columns",
                 "give either 'year' or 'month', not both: one series has one time index")]
    col = "year" if has_year else "month"
    out: list[tuple[int | None, str | None, str, str]] = []
    miss = df[col].isna()
    for pos in df.index[miss][:20]:
        out.append((int(pos), col, "missing-value", f"a {col} is required in every row"))
    if miss.any():
        return out
    if col == "year":
        idx = df[col].astype(int)
        label = lambda v: f"{int(v)}"  # noqa: E731
    else:
        per = pd.PeriodIndex(pd.to_datetime(df[col]), freq="M")
        idx = pd.Series(per.year * 12 + per.month - 1, index=df.index)
        label = lambda v: f"{int(v) // 12}-{int(v) % 12 + 1:02d}"  # noqa: E731
    key = ["la_name", "measure"]
    seen: dict[tuple, int] = {}
    for pos, (la, m, t) in enumerate(zip(df["la_name"], df["measure"], idx, strict=True)):
        k = (la, m, int(t))
        if k in seen:
            out.append((int(df.index[pos]), col,
                        "duplicate-time",
                        f"{col} {label(t)} for la_name={la!r}, measure={m!r} already appears in an "
                        "earlier row; one row per time point"))
        else:
            seen[k] = int(df.index[pos])
    for (la, m), sub in pd.DataFrame({"la_name": df["la_name"], "measure": df["measure"], "t": idx}).groupby(
        key, sort=False
    ):
        ts = sub["t"].sort_values()
        diffs = ts.diff().iloc[1:]
        for pos_after, d in diffs.items():
            if d > 1:
                before = int(ts[ts < ts[pos_after]].max())
                gap = [label(v) for v in range(before + 1, int(ts[pos_after]))]
                shown = ", ".join(gap[:6]) + (" ..." if len(gap) > 6 else "")
                out.append((int(pos_after), col, "time-gap",
                            f"la_name={la!r}, measure={m!r}: no row for {col} {shown} (between "
                            f"{label(before)} and {label(ts[pos_after])}); add the row with an empty "
                            "value if the figure is missing or suppressed"))
    return out


la_timeseries = register(
    TableSpec(
        name="la_timeseries",
        source="la",
        description=(
            "An authority's own figures over time (one row per authority, measure and year or "
            "month), for an interrupted time series. Empty value = missing or suppressed."
        ),
        unique=[],
        month_columns=["month"],
        schema=pa.DataFrameSchema(
            {
                "la_name": pa.Column(str, description="Local authority name (as in the DfE panel if "
                                     "it is to be compared with it)"),
                "year": pa.Column(
                    "Int64",
                    pa.Check.in_range(1990, 2100),
                    required=False,
                    nullable=True,
                    description="Year ending 31 March (2016 = April 2015 to March 2016); or use month",
                    metadata={"unit": "year"},
                ),
                "month": pa.Column(
                    "datetime64[ns]",
                    required=False,
                    nullable=True,
                    description="Month as YYYY-MM (instead of year, for monthly series)",
                ),
                "measure": pa.Column(
                    str,
                    pa.Check.str_matches(r"^[a-z0-9][a-z0-9_]*$"),
                    description="Measure name, lower case (e.g. adolescent_starts)",
                ),
                "value": pa.Column(
                    float,
                    pa.Check.ge(0),
                    nullable=True,
                    description="The figure (count or rate); empty when missing or suppressed",
                    metadata={"unit": "count or rate"},
                ),
                "population": pa.Column(
                    float,
                    pa.Check.gt(0),
                    required=False,
                    nullable=True,
                    description="Population the figure relates to (e.g. children aged 0-17), for rates",
                    metadata={"unit": "people"},
                ),
                "suppressed": pa.Column(
                    bool,
                    required=False,
                    nullable=True,
                    description="True when the figure was suppressed (value empty)",
                ),
                "source": pa.Column(str, required=False, nullable=True,
                                    description="Where the figure comes from"),
            },
            coerce=True,
            strict=False,
        ),
        checks=[_time_index_problems],
        requires=[NotGreater(part="value", whole="population")],
        example={
            "la_name": "Sefton",
            "year": 2016,
            "measure": "adolescent_starts",
            "value": 52,
            "population": "",
            "suppressed": "false",
            "source": "SSDA903 return",
        },
    )
)
