"""Schema of the programme adopters: authorities the seeds name as running a service, with start years.

``data/raw/programme_adopters/adopters.csv`` lists, for
:func:`evalkit.counterfactual.programme`, every authority a seed names as
having started an edge-of-care or innovation service, the start year (year
ending 31 March) when the seed allows one, the range it allows, and how sure
the date is (``date_quality``). A start year is never guessed: where the seed
gives only a window, ``start_year`` is empty and the window's ends are in
``start_year_earliest`` and ``start_year_latest``.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from evalkit.schemas._core import TableSpec, register

SOURCE = "programme_adopters"

#: How a start year was obtained, from surest to least sure.
DATE_QUALITY = ["stated_month", "inferred", "planned", "approximate", "window_only", "not_stated"]

SEED_SOURCES = ["000_gloucestershire_yst", "001_sefton_cas", "002_gloucestershire_iis",
                "003_learning_from_innovation", "004_ofsted_edging_away"]

_YEAR = pa.Check.in_range(2000, 2030)


def _range_problems(df: pd.DataFrame) -> list[tuple[int | None, str | None, str, str]]:
    """start_year_earliest <= start_year <= start_year_latest where given."""
    out: list[tuple[int | None, str | None, str, str]] = []
    lo, sy, hi = (pd.to_numeric(df[c], errors="coerce") for c in
                  ("start_year_earliest", "start_year", "start_year_latest"))
    for pos in range(len(df)):
        a, b, c = lo.iloc[pos], sy.iloc[pos], hi.iloc[pos]
        if pd.notna(a) and pd.notna(b) and b < a:
            out.append((pos, "start_year", "range", f"start_year {int(b)} is before start_year_earliest {int(a)}"))
        if pd.notna(c) and pd.notna(b) and b > c:
            out.append((pos, "start_year", "range", f"start_year {int(b)} is after start_year_latest {int(c)}"))
        if pd.notna(a) and pd.notna(c) and a > c:
            out.append((pos, "start_year_latest", "range", "start_year_latest is before start_year_earliest"))
        q = df["date_quality"].iloc[pos]
        if q in ("window_only", "not_stated") and pd.notna(b):
            out.append((pos, "start_year", "not-stated",
                        f"date_quality {q!r}: the seed gives no start year, so start_year must be empty"))
    return out


register(TableSpec(
    name="adopters",
    source=SOURCE,
    description="Authorities the seeds name as starting a service, with start years and date quality",
    unique=["la_name", "service"],
    schema=pa.DataFrameSchema({
        "la_name": pa.Column(str, description="Authority as named in the DfE panel"),
        "authority_as_named": pa.Column(str, description="Authority as the seed names it"),
        "service": pa.Column(str, description="The service or project"),
        "source": pa.Column(str, pa.Check.isin(SEED_SOURCES), description="Seed folder"),
        "seed_file": pa.Column(str, pa.Check.str_matches(r"^00[0-4]_[0-9a-f]+\.txt$"), description="Seed file"),
        "seed_lines": pa.Column(str, description="Lines of the seed text"),
        "start_year": pa.Column("Int64", _YEAR, nullable=True,
                                description="First year ending 31 March with the service, if the seed allows one"),
        "start_year_earliest": pa.Column("Int64", _YEAR, nullable=True, description="Earliest possible start year"),
        "start_year_latest": pa.Column("Int64", _YEAR, nullable=True, description="Latest possible start year"),
        "date_quality": pa.Column(str, pa.Check.isin(DATE_QUALITY), description="How sure the start year is"),
        "basis": pa.Column(str, description="The seed's words the date rests on"),
        "notes": pa.Column(str, required=False, nullable=True),
    }, coerce=True, strict=False),
    checks=[_range_problems],
    example={"la_name": "Sefton", "authority_as_named": "Sefton", "service": "Community Adolescent Service",
             "source": "001_sefton_cas", "seed_file": "001_99c9679375b286c4.txt", "seed_lines": "125;1590",
             "start_year": 2016, "start_year_earliest": 2016, "start_year_latest": 2016,
             "date_quality": "inferred", "basis": "phase 1 – early development (October 2015)"},
))
