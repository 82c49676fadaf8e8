"""Uprating money to a price year with a price index.

An :class:`IndexTable` maps a year to an index level; the factor from year
``a`` prices to year ``b`` prices is ``index[b] / index[a]``. Index tables the
package ships live in ``evalkit/resources/`` with their sources in
``evalkit/resources/SOURCES.md``; :func:`load_index` reads one by name. A local
authority can pass its own table (e.g. the PSSRU pay-and-prices index its
unit costs were built with) as ``IndexTable.from_frame(df, ...)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

import pandas as pd

from evalkit.cba.errors import CBAError, PriceYearError

#: Index tables shipped in ``evalkit/resources`` (name -> file).
SHIPPED = {"gdp_deflator": "gdp_deflator_hmt.csv"}


@dataclass(frozen=True)
class IndexTable:
    """A price index keyed by year.

    Parameters
    ----------
    levels
        ``year -> index level`` (any base).
    name
        Short name shown in notes (e.g. ``"HMT GDP deflator"``).
    source
        Where the levels come from.
    """

    levels: Mapping[int, float]
    name: str = "index"
    source: str = ""
    years: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        clean: dict[int, float] = {}
        for y, v in dict(self.levels).items():
            if int(y) != y:
                raise CBAError(f"index {self.name!r}: year {y!r} is not a whole number")
            v = float(v)
            if not math.isfinite(v) or v <= 0:
                raise CBAError(f"index {self.name!r}: level {v!r} for {y} must be a positive number")
            clean[int(y)] = v
        if not clean:
            raise CBAError(f"index {self.name!r} has no years")
        object.__setattr__(self, "levels", dict(sorted(clean.items())))
        object.__setattr__(self, "years", tuple(sorted(clean)))

    def level(self, year: int) -> float:
        """Index level for ``year``; :class:`PriceYearError` when the table lacks it."""
        try:
            return self.levels[int(year)]
        except KeyError:
            raise PriceYearError(
                f"index {self.name!r} has no level for {year} (it covers {self.years[0]}-{self.years[-1]})"
            ) from None

    def factor(self, from_year: int, to_year: int) -> float:
        """Multiply a ``from_year`` price by this to get the ``to_year`` price."""
        return self.level(to_year) / self.level(from_year)

    def uprate(self, value: float, from_year: int | None, to_year: int) -> float:
        """``value`` in ``from_year`` prices expressed in ``to_year`` prices."""
        if from_year is None:
            raise PriceYearError(f"cannot uprate {value} to {to_year} prices: its price year is not known")
        return float(value) * self.factor(from_year, to_year)

    @classmethod
    def from_frame(
        cls, df: pd.DataFrame, *, year: str = "year", value: str = "index", name: str = "index", source: str = ""
    ) -> IndexTable:
        """Build from a two-column table (``year``, ``index``)."""
        missing = {year, value} - set(df.columns)
        if missing:
            raise CBAError(f"index table {name!r} lacks columns {sorted(missing)}")
        return cls({int(y): float(v) for y, v in zip(df[year], df[value], strict=True)}, name=name, source=source)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"year": list(self.levels), "index": list(self.levels.values())})


def load_index(name: str = "gdp_deflator") -> IndexTable:
    """Read an index table shipped in ``evalkit/resources``.

    Parameters
    ----------
    name
        One of :data:`SHIPPED` (``"gdp_deflator"``: HM Treasury GDP deflator at
        market prices, calendar years, 2024 = 100; see SOURCES.md for its
        provenance and the caveat on verification).
    """
    try:
        fname = SHIPPED[name]
    except KeyError:
        raise CBAError(f"no shipped index named {name!r}; shipped: {sorted(SHIPPED)}") from None
    text = resources.files("evalkit").joinpath("resources", fname).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    header = lines[0].split(",")
    rows = [ln.split(",") for ln in lines[1:]]
    df = pd.DataFrame(rows, columns=header)
    return IndexTable.from_frame(df, name=name, source=f"evalkit/resources/{fname}")
