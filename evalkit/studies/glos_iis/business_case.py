"""The Gloucestershire Intensive Intervention Service business case (seed 002).

Three parts, in the order a reader checks a business case:

1. **Reproduction helpers.** The Cabinet report states its figures without
   workings. :func:`spend_paths` and :func:`overspend_paths` find the growth
   path that turns £7.8m into £9.2m in six years and the overspend paths from
   £1.6m to over £2.1m a year, and show which (if any) sums to the stated £8.7m.
2. **A projection model** (:class:`BusinessCase`) with named parameters: the
   growth of do-nothing spend, the young people diverted from out-of-county
   placements (to local residential, foster care or home), the unit costs of
   those placement types, the ramp-up of the service, the revenue and capital
   investment. It compares the do-nothing and invest scenarios year by year,
   discounted (HM Treasury Green Book, 3.5%) and undiscounted, with the
   arithmetic done by :mod:`evalkit.cba` (discounting, NPV, BCR, payback,
   break-even, tornado, seeded Monte Carlo).
3. **Cross-check against DfE statistics** (:func:`cla_crosscheck`): the
   report's children-in-care claims (465 -> 627, +26%; England +5%; South West
   +10%; "some councils ... double") against the published 31 March series.

What :mod:`evalkit.cba` does not do, and this module adds as a thin adapter:
the *structural* parameters (the year the service starts diverting young
people, the years it takes to reach full operation, and real growth in the
out-of-county unit cost) change the year weights of the streams, which a
:class:`evalkit.cba.Parameter` cannot. :meth:`BusinessCase.tornado` therefore
re-builds the model at their low and high values and appends them to
:func:`evalkit.cba.one_way_sensitivity`'s table; the Monte Carlo holds them at
their central values (said in its summary).

All money is in pounds at 2016/17 prices (the report's own, undeflated);
year 0 is 2017/18, the first year of investment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from evalkit import cba
from evalkit.errors import InputDataError
from evalkit.la_panel import NATIONAL_FILE, load_cla_national  # noqa: F401 - re-exported

#: Payer of every stream: the report's investment is the council's, and it does not
#: say how the system-wide savings would be shared with the clinical commissioning group.
PAYER = "local_authority"

#: Figures of the reproduction table that depend on the external DfE data.
EXTERNAL_FIGURES = (
    "cic_2011_12",
    "cic_sep_2016",
    "england_increase_pct",
    "south_west_increase_pct",
    "some_councils_doubled",
)



class BusinessCaseError(InputDataError):
    """Bad input to the business-case model: names the argument and the rule it breaks."""


# --------------------------------------------------------------------------- reading


def load_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Read the business-case tables of a data folder through their schemas.

    ``glos_iis_finance`` is required; ``glos_iis_children_in_care``,
    ``glos_iis_cohort`` and ``glos_iis_service`` are optional (absent ones are
    left out of the result).
    """
    from evalkit import schemas

    out = {"glos_iis_finance": schemas.load_table(folder, "glos_iis_finance")}
    for name in ("glos_iis_children_in_care", "glos_iis_cohort", "glos_iis_service"):
        t = schemas.load_optional(folder, name)
        if t is not None:
            out[name] = t
    return out


@dataclass(frozen=True)
class Mentions:
    """Every mention of one figure in the document, and whether they agree."""

    item: str
    values: tuple[float, ...]
    lines: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def agree(self) -> bool:
        return len(set(self.values)) == 1

    @property
    def value(self) -> float:
        """The common value. Raises :class:`BusinessCaseError` when the mentions disagree."""
        if not self.agree:
            raise BusinessCaseError(
                f"glos_iis_finance: the {self.n} mentions of {self.item!r} disagree "
                f"({', '.join(f'{v:g} (l.{ln})' for v, ln in zip(self.values, self.lines, strict=True))})"
            )
        return self.values[0]

    def describe(self) -> str:
        where = ", ".join(f"l.{ln}" for ln in self.lines)
        if self.n == 1:
            return f"stated once ({where})"
        if self.agree:
            return f"its {self.n} mentions ({where}) agree"
        return f"its {self.n} mentions ({where}) disagree"


def mentions(finance: pd.DataFrame, item: str) -> Mentions:
    """All mentions of ``item`` in the ``glos_iis_finance`` table."""
    rows = finance.loc[finance["item"] == item]
    if rows.empty:
        raise BusinessCaseError(
            f"glos_iis_finance: no row has item {item!r} (items present: {sorted(finance['item'].unique())})"
        )
    lines = tuple(str(x) if pd.notna(x) else "?" for x in rows.get("seed_lines", pd.Series(["?"] * len(rows))))
    return Mentions(item, tuple(float(v) for v in rows["value_gbp_m"]), lines)


def finance_value(finance: pd.DataFrame, item: str) -> float:
    """The figure ``item`` in pounds (the table holds millions); its mentions must agree."""
    return mentions(finance, item).value * 1e6


def finance_horizon(finance: pd.DataFrame, item: str) -> int | None:
    """The horizon in years stated with ``item`` (e.g. 5 for '£6.9m over 5 years'), if any."""
    h = finance.loc[finance["item"] == item, "horizon_years"].dropna()
    return int(h.iloc[0]) if len(h) else None


# --------------------------------------------------------------------------- arithmetic


def _positive(x: float, name: str) -> float:
    x = float(x)
    if not math.isfinite(x) or x <= 0:
        raise BusinessCaseError(f"{name} must be a positive number, got {x!r}")
    return x


def _whole(n: Any, name: str, minimum: int = 1) -> int:
    if isinstance(n, bool) or int(n) != n or n < minimum:
        raise BusinessCaseError(f"{name} must be a whole number >= {minimum}, got {n!r}")
    return int(n)


def pct_change(start: float, end: float) -> float:
    """Percentage change from ``start`` to ``end`` (on the starting value).

    >>> round(pct_change(465, 627), 2)
    34.84
    """
    return (float(end) - _positive(start, "start")) / float(start) * 100


def pct_of_end(start: float, end: float) -> float:
    """The change from ``start`` to ``end`` as a percentage of the *end* value.

    A common slip: (627 - 465) / 627 = 25.8%, the report's "26% increase".

    >>> round(pct_of_end(465, 627), 1)
    25.8
    """
    return (float(end) - float(start)) / _positive(end, "end") * 100


def cagr(start: float, end: float, years: float) -> float:
    """Compound annual growth rate taking ``start`` to ``end`` in ``years`` years.

    >>> round(cagr(7.8, 9.2, 6) * 100, 2)
    2.79
    """
    years = _positive(years, "years")
    return (_positive(end, "end") / _positive(start, "start")) ** (1 / years) - 1


def compound_path(start: float, rate: float, years: int) -> np.ndarray:
    """``start * (1 + rate)^t`` for ``t = 1 .. years`` (the years after the start year)."""
    years = _whole(years, "years")
    if rate <= -1:
        raise BusinessCaseError(f"rate must be > -1, got {rate!r}")
    return float(start) * (1 + float(rate)) ** np.arange(1, years + 1)


def linear_path(start: float, end: float, n: int) -> np.ndarray:
    """``n`` equally spaced values from ``start`` to ``end`` inclusive."""
    n = _whole(n, "n", 2)
    return np.linspace(float(start), float(end), n)


def power_path(start: float, end: float, n: int, power: float) -> np.ndarray:
    """``n`` values from ``start`` to ``end``: ``start + (end - start) * (t / (n - 1))^power``.

    ``power`` 1 is linear; above 1 the rise is back-loaded (flat, then steep).
    """
    n = _whole(n, "n", 2)
    power = _positive(power, "power")
    t = np.arange(n) / (n - 1)
    return float(start) + (float(end) - float(start)) * t**power


def solve_power(start: float, end: float, n: int, total: float) -> float | None:
    """The ``power`` for which :func:`power_path` sums to ``total``; ``None`` when none does.

    The sum runs from ``n * start`` (power -> infinity, all the rise in the last
    year) to ``n * end`` (power -> 0); a total outside that range has no path.
    """
    lo_sum = (n - 1) * start + end
    hi_sum = start + (n - 1) * end
    if not min(lo_sum, hi_sum) < total < max(lo_sum, hi_sum):
        return None

    def f(p: float) -> float:
        return float(power_path(start, end, n, p).sum() - total)

    return float(optimize.brentq(f, 1e-6, 1e3, xtol=1e-12))


def solve_constant_growth(start: float, total: float, years: int, *, include_start: bool) -> float:
    """Constant growth rate ``g`` for which ``years`` yearly values sum to ``total``.

    With ``include_start`` the years are ``start, start(1+g), ...``; without it
    they are ``start(1+g), start(1+g)^2, ...`` (the years after the start year).
    """
    years = _whole(years, "years")
    start = _positive(start, "start")
    total = _positive(total, "total")
    offset = 0 if include_start else 1

    def f(g: float) -> float:
        return float((start * (1 + g) ** (np.arange(years) + offset)).sum() - total)

    return float(optimize.brentq(f, -0.99, 10.0, xtol=1e-14))


def spend_paths(start: float, end: float, years: int) -> pd.DataFrame:
    """Candidate paths taking annual spend from ``start`` (now) to ``end`` in ``years`` years.

    The report says £7.8m "is estimated to rise to at least £9.2 million in
    the next 6 years" without saying how. Rows: compound growth over ``years``
    steps; the same reached in ``years - 1`` steps (if 'the next 6 years' means
    the 6th year counted from now); a linear rise. Each row gives the growth
    per year, the value in the final year and the cumulative spend over the
    ``years`` years after now.
    """
    years = _whole(years, "years", 2)
    rows = []
    for name, steps in (("compound, 6 steps", years), ("compound, 5 steps", years - 1)):
        g = cagr(start, end, steps)
        path = compound_path(start, g, years)
        rows.append({"path": name.replace("6", str(years)).replace("5", str(years - 1)), "growth_per_year": g,
                     "final_year": path[-1], "cumulative": path.sum()})
    step = (end - start) / years
    lin = start + step * np.arange(1, years + 1)
    rows.append({"path": "linear", "growth_per_year": step / start, "final_year": lin[-1], "cumulative": lin.sum()})
    return pd.DataFrame(rows)


def overspend_paths(start: float, end: float, total: float, years: int) -> pd.DataFrame:
    """Which overspend paths from ``start`` to ``end`` a year sum to the stated ``total``?

    The report: the 2016/17 overspend of £1.6m "will continue to rise to over
    £2.1 million per annum should nothing change (cumulative overspend of £8.7
    million over 5 years)". The five years are not named. Rows (values in
    the same unit as the inputs):

    - ``linear from start``: ``start`` .. ``end`` over the ``years`` years, the
      first being the start year;
    - ``linear after start``: the ``years`` years after the start year, rising
      evenly to ``end``;
    - ``compound to end``: constant growth from ``start`` reaching ``end`` in
      the last year (start year included);
    - ``constant growth matching total``: the growth rate that makes the sum
      equal ``total`` (start year included); it does not reach ``end``;
    - ``back-loaded (power)``: :func:`power_path` whose sum is ``total`` and
      which does reach ``end``; the ``power`` column says how back-loaded;
    - ``flat at end``: ``end`` every year (a ceiling for 'over £2.1m').

    Columns: ``path``, ``values`` (text), ``sum``, ``last``, ``reaches_end``
    (last >= end), ``matches_total`` (sum within 0.05 of ``total``, the
    rounding of a figure printed to one decimal), ``power``/``growth``.
    """
    years = _whole(years, "years", 2)
    cands: list[tuple[str, np.ndarray, float | None, float | None]] = []
    cands.append(("linear from start", linear_path(start, end, years), 1.0, None))
    cands.append(("linear after start", start + (end - start) * np.arange(1, years + 1) / years, None, None))
    g_end = cagr(start, end, years - 1)
    cands.append(("compound to end", start * (1 + g_end) ** np.arange(years), None, g_end))
    g_tot = solve_constant_growth(start, total, years, include_start=True)
    cands.append(("constant growth matching total", start * (1 + g_tot) ** np.arange(years), None, g_tot))
    p = solve_power(start, end, years, total)
    if p is not None:
        cands.append(("back-loaded (power)", power_path(start, end, years, p), p, None))
    cands.append(("flat at end", np.full(years, float(end)), None, None))
    rows = []
    for name, v, pw, g in cands:
        rows.append(
            {
                "path": name,
                "values": ", ".join(f"{x:.3f}" for x in v),
                "sum": float(v.sum()),
                "last": float(v[-1]),
                "reaches_end": bool(v[-1] >= end - 1e-9),
                "matches_total": bool(abs(v.sum() - total) <= 0.05 + 1e-9),
                "power": pw,
                "growth": g,
            }
        )
    return pd.DataFrame(rows)


def mentions_table(finance: pd.DataFrame) -> pd.DataFrame:
    """One row per money figure: value (GBP m), framing, number of mentions, whether they agree, where."""
    rows = []
    for item in finance["item"].unique():
        m = mentions(finance, item)
        rows.append({"item": item, "value_gbp_m": m.values[0],
                     "framing": finance.loc[finance["item"] == item, "framing"].iloc[0],
                     "mentions": m.n, "agree": m.agree, "where": m.describe()})
    return pd.DataFrame(rows)


def plot_overspend(paths: pd.DataFrame, total: float, revenue_total: float, capital: float, ax: Any = None) -> Any:
    """Left: the candidate overspend paths (:func:`overspend_paths`). Right: cumulative overspend against investment."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(12, 4.2))
    a0, a1 = ax
    for _, r in paths.iterrows():
        vals = [float(x) for x in r["values"].split(", ")]
        a0.plot(range(1, len(vals) + 1), vals, marker="o", label=f"{r['path']} (sum {r['sum']:.2f})")
    a0.set_xticks(range(1, len(paths["values"].iloc[0].split(", ")) + 1))
    a0.set_xlabel("Year of the path (1 = the first)")
    a0.set_ylabel("Overspend (£m)")
    a0.set_title(f"Overspend paths; stated total {total:g}")
    a0.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    linear = float(paths.loc[paths["path"] == "linear from start", "sum"].iloc[0])
    bars = pd.Series({"cumulative overspend\n(stated)": total, "linear path\noverspend": linear,
                      "revenue\ninvestment": revenue_total, "revenue +\ncapital": revenue_total + capital})
    a1.bar(range(len(bars)), bars.to_numpy(), color=["C3", "C3", "C0", "C0"])
    a1.set_xticks(range(len(bars)))
    a1.set_xticklabels(bars.index, fontsize=8)
    for i, v in enumerate(bars):
        a1.text(i, v, f"{v:.2f}", ha="center", va="bottom", fontsize=9)
    a1.set_ylabel("£m over the period")
    a1.set_title("Council framing: investment against the overspend")
    return ax


def investment_claim(revenue_total: float, capital: float, cumulative_overspend: float) -> str:
    """Test 'the investment required will be less than the predicted cumulative overspend'.

    Returns the claim's wording when it holds both for revenue alone and for
    revenue plus capital, and says which reading fails otherwise.
    """
    ok_rev = revenue_total < cumulative_overspend
    ok_all = revenue_total + capital < cumulative_overspend
    if ok_rev and ok_all:
        return "less than the cumulative overspend"
    if ok_rev:
        return "less than the cumulative overspend for revenue only, not with capital"
    return "not less than the cumulative overspend"


# --------------------------------------------------------------------------- DfE cross-check


@dataclass
class CLACheck:
    """The report's children-in-care claims against DfE's 31 March counts.

    Attributes
    ----------
    series : pandas.DataFrame
        ``area, level (la/region/england), year, value, index`` (value at
        ``base_year`` = 100) for the LA, its region and England.
    la_name, region : str
    base_year, end_year : int
        Years ending 31 March compared (the report's '2011/12' is the year
        ending 31 March 2012; 2016 is the last year published before its
        September 2016 figure).
    values : dict
        Named numbers used by the reproduction table (see :func:`cla_crosscheck`).
    """

    series: pd.DataFrame
    la_name: str
    region: str
    base_year: int
    end_year: int
    values: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """Plain text of the comparison (fixed formatting)."""
        v = self.values
        b, e = self.base_year, self.end_year
        lines = [
            f"DfE children looked after at 31 March ({self.la_name}, {self.region}, England)",
            f"{self.la_name}: {v['la_base']:.0f} ({b}) -> {v['la_end']:.0f} ({e}) -> {v['la_next']:.0f} ({e + 1}); "
            f"change {b}-{e} {v['la_change']:+.1f}%",
            f"{self.region}: {v['region_base']:.0f} -> {v['region_end']:.0f}, {v['region_change']:+.1f}% "
            f"({b - 1}-{e}: {v['region_change_from_prev']:+.1f}%; {b}-{e + 1}: {v['region_change_to_next']:+.1f}%)",
            f"England: {v['england_base']:.0f} -> {v['england_end']:.0f}, {v['england_change']:+.1f}%",
            f"largest LA rise {b}-{e}: {v['max_la']} {v['max_la_change']:+.1f}% "
            f"({v['n_doubled']} LAs doubled; by {e + 1}: {v['n_doubled_next']})",
        ]
        return "\n".join(lines)


def _series(df: pd.DataFrame, year: int) -> float:
    s = df.loc[df["year"] == year, "value"]
    return float(s.iloc[0]) if len(s) and pd.notna(s.iloc[0]) else float("nan")


def cla_crosscheck(
    panel: pd.DataFrame,
    national: pd.DataFrame,
    la_name: str,
    *,
    base_year: int = 2012,
    end_year: int = 2016,
) -> CLACheck:
    """Compare the report's children-in-care claims with DfE's published 31 March counts.

    Parameters
    ----------
    panel
        The LA panel (:func:`evalkit.la_panel.load_panel`).
    national
        England and regional totals (:func:`load_cla_national`).
    la_name
        The local authority (name or code, as :func:`evalkit.la_panel.find_la`).
    base_year, end_year
        Years ending 31 March to compare (defaults: 2012, the end of 2011/12,
        and 2016, the latest published before September 2016).

    Returns
    -------
    CLACheck
        ``values`` holds: ``la_base``, ``la_end``, ``la_next`` (end_year + 1),
        ``la_change``; ``region_*`` and ``england_*`` likewise, with
        ``region_change_from_prev`` (from ``base_year - 1``) and
        ``region_change_to_next`` (to ``end_year + 1``); ``max_la``,
        ``max_la_change``, ``n_doubled`` (LAs whose count at least doubled from
        ``base_year`` to ``end_year``) and ``n_doubled_next`` (to ``end_year + 1``).
    """
    from evalkit import la_panel

    code = la_panel.find_la(panel, la_name)
    cla = panel.loc[panel["measure"] == "cla_31mar_count"]
    la = cla.loc[cla["la_old_code"] == code, ["la_name", "region", "year", "value"]].sort_values("year")
    if la.empty:
        raise BusinessCaseError(f"la_name: {la_name!r} has no children-looked-after counts in the panel")
    name = str(la["la_name"].iloc[-1])
    region = str(la["region"].iloc[-1])
    nat = national.loc[national["measure"] == "cla_31mar_count"]
    eng = nat.loc[nat["area_name"] == "England", ["year", "value"]].sort_values("year")
    reg = nat.loc[(nat["area_name"] == region) & (nat["geographic_level"] == "Regional"), ["year", "value"]]
    reg = reg.sort_values("year")
    if eng.empty or reg.empty:
        raise BusinessCaseError(f"national: no England or {region!r} rows for cla_31mar_count")
    wide = cla.pivot_table(index="la_name", columns="year", values="value")
    v: dict[str, Any] = {}
    for key, df in (("la", la), ("region", reg), ("england", eng)):
        v[f"{key}_base"] = _series(df, base_year)
        v[f"{key}_end"] = _series(df, end_year)
        v[f"{key}_next"] = _series(df, end_year + 1)
        v[f"{key}_change"] = pct_change(v[f"{key}_base"], v[f"{key}_end"])
    v["region_change_from_prev"] = pct_change(_series(reg, base_year - 1), v["region_end"])
    v["region_change_to_next"] = pct_change(v["region_base"], v["region_next"])
    v["england_change_to_next"] = pct_change(v["england_base"], v["england_next"])
    ratio = (wide[end_year] / wide[base_year]).dropna()
    ratio_next = (wide[end_year + 1] / wide[base_year]).dropna()
    v["max_la"] = str(ratio.idxmax())
    v["max_la_change"] = float((ratio.max() - 1) * 100)
    v["n_doubled"] = int((ratio >= 2).sum())
    v["n_doubled_next"] = int((ratio_next >= 2).sum())
    v["max_la_next"] = str(ratio_next.idxmax())
    v["max_la_change_next"] = float((ratio_next.max() - 1) * 100)
    parts = []
    for level, area, df in (("la", name, la), ("region", region, reg), ("england", "England", eng)):
        d = df[["year", "value"]].copy()
        d.insert(0, "level", level)
        d.insert(0, "area", area)
        d["index"] = d["value"] / _series(df, base_year) * 100
        parts.append(d)
    series = pd.concat(parts, ignore_index=True)
    return CLACheck(series=series, la_name=name, region=region, base_year=base_year, end_year=end_year, values=v)


def plot_cla(check: CLACheck, stated: pd.DataFrame | None = None, ax: Any = None) -> Any:
    """Published series against the report's claims.

    Left: the LA's 31 March counts with the report's 465 (2011/12) and 627
    (end of September 2016) marked. Right: LA, region and England indexed to
    the base year = 100, with the report's percentage increases marked at the
    end year.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(12, 4.5))
    a0, a1 = ax
    la = check.series.loc[check.series["level"] == "la"]
    a0.plot(la["year"], la["value"], marker="o", label=f"DfE, 31 March ({check.la_name})")
    colours = sns.color_palette("colorblind", 4)
    if stated is not None:
        counts = stated.loc[(stated["measure"] == "count") & (stated["area"] == check.la_name)]
        for _, r in counts.iterrows():
            x = _stated_x(str(r["period_start"]))
            a0.scatter([x], [r["value"]], marker="D", s=60, color=colours[3], zorder=5)
            a0.annotate(f"report: {r['value']:.0f} ({r['period_start']})", (x, r["value"]),
                        textcoords="offset points", xytext=(8, -4), fontsize=8, ha="left")
    a0.set_xlabel("Year ending 31 March")
    a0.set_ylabel("Children looked after at 31 March (number)")
    a0.set_title(f"{check.la_name}: published counts vs the report")
    a0.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, -0.2), frameon=False)
    for i, (level, label) in enumerate((("la", check.la_name), ("region", check.region), ("england", "England"))):
        s = check.series.loc[check.series["level"] == level]
        a1.plot(s["year"], s["index"], marker="o", color=colours[i], label=f"{label} (DfE)")
    if stated is not None:
        pct = stated.loc[stated["measure"] == "pct_change"]
        area_colour = {check.la_name: colours[0], check.region: colours[1], "England": colours[2]}
        for _, r in pct.iterrows():
            if r["area"] in area_colour:
                y = 100 + r["value"]
                a1.scatter([check.end_year + 0.5], [y], marker="D", s=50, color=area_colour[r["area"]], zorder=5)
                a1.annotate(f"report {r['value']:+.0f}%", (check.end_year + 0.5, y), textcoords="offset points",
                            xytext=(6, -3), fontsize=8)
    a1.axvline(check.end_year + 0.5, color="0.6", linestyle=":", linewidth=1)
    a1.axhline(100, color="0.6", linewidth=0.8)
    a1.set_xlabel("Year ending 31 March (dotted line: September 2016)")
    a1.set_ylabel(f"Children looked after (index, 31 March {check.base_year} = 100)")
    a1.set_title("Increase since 2011/12: published vs the report")
    a1.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


def _stated_x(period: str) -> float:
    """x position (year ending 31 March) for a stated period: '2011/12' -> 2012; '2016-09-30' -> 2016.5."""
    if "/" in period:
        return float(int(period.split("/")[0]) + 1)
    ts = pd.Timestamp(period)
    return ts.year + (ts.dayofyear - 91) / 365.25


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Assumptions:
    """Named parameters of the business-case projection.

    ``None`` means "take it from the document" (:meth:`from_tables`). Each
    field's source is in :data:`SOURCES`.

    Parameters
    ----------
    baseline_spend
        Annual out-of-county placement spend now (2016/17), GBP. Document: £7.8m.
    growth_rate
        Annual growth of do-nothing spend. Default: the compound rate that
        turns £7.8m into £9.2m in 6 years (2.79%).
    cohort_size
        Young people in out-of-county placements now. Document: 100.
    ooc_unit_cost
        Annual cost of one out-of-county placement, GBP. Default: the
        document's average, baseline_spend / cohort_size (£78,000, £1,500 a week).
    diverted_per_year
        Young people diverted from (or stepped down out of) out-of-county
        placements, in placement-years a year, once the service runs at full
        strength. An assumption: the document gives no number.
    share_foster, share_home
        Shares of the diverted young people placed in foster care and
        supported at home; the rest are in the service's local children's homes.
    foster_unit_cost, home_support_unit_cost
        Annual *extra* cost of a foster placement or of home support not
        already paid for by the revenue investment, GBP. Default 0: the
        document says fostering and placement support are reconfigured
        "within existing resources" (l.214-216, l.260-261).
    revenue_first_year
        Revenue investment in 2017/18 (set-up and transition), GBP. Document: £1.4m.
    revenue_total
        Revenue investment over ``investment_years``, GBP. Document: £6.9m over 5.
    investment_years
        Years the revenue total spans. Document: 5.
    capital
        Capital in year 0, GBP. Document: £1.2m.
    start_year
        First year (0 = 2017/18) in which young people are diverted. Default 1:
        2017/18 funds set-up and transition (l.255-256).
    ramp_up_years
        Years from the start to full strength (linear): 2 gives 50% in the
        first operating year, then 100%.
    unit_cost_growth
        Real annual growth of the out-of-county unit cost (default 0).
    discount_rate
        Annual real discount rate (Green Book 3.5%).
    horizon
        Years appraised (document: 5).
    first_year
        Calendar year in which year 0 starts (2017 = 2017/18).
    beds
        Local residential places (document: two homes of four beds).
    """

    baseline_spend: float | None = None
    growth_rate: float | None = None
    cohort_size: float | None = None
    ooc_unit_cost: float | None = None
    diverted_per_year: float = 25.0
    share_foster: float = 0.4
    share_home: float = 0.3
    foster_unit_cost: float = 0.0
    home_support_unit_cost: float = 0.0
    revenue_first_year: float | None = None
    revenue_total: float | None = None
    investment_years: int | None = None
    capital: float | None = None
    start_year: int = 1
    ramp_up_years: int = 2
    unit_cost_growth: float = 0.0
    discount_rate: float = cba.GREEN_BOOK_RATE
    horizon: int = 5
    first_year: int = 2017
    beds: int | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise BusinessCaseError(f"{f.name} must be a number, got {v!r}")
            if not math.isfinite(float(v)):
                raise BusinessCaseError(f"{f.name} must be a finite number, got {v!r}")
        for name in ("baseline_spend", "cohort_size", "ooc_unit_cost"):
            v = getattr(self, name)
            if v is not None and v <= 0:
                raise BusinessCaseError(f"{name} must be positive, got {v!r}")
        for name in ("diverted_per_year", "foster_unit_cost", "home_support_unit_cost", "revenue_first_year",
                     "revenue_total", "capital"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise BusinessCaseError(f"{name} must be >= 0, got {v!r}")
        for name in ("share_foster", "share_home"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise BusinessCaseError(f"{name} must lie in [0, 1], got {v!r}")
        if self.share_foster + self.share_home > 1 + 1e-12:
            raise BusinessCaseError(
                f"share_foster + share_home = {self.share_foster + self.share_home:g} exceeds 1; "
                "the rest (local residential) cannot be negative"
            )
        if self.growth_rate is not None and self.growth_rate <= -1:
            raise BusinessCaseError(f"growth_rate must be > -1, got {self.growth_rate!r}")
        if self.unit_cost_growth <= -1:
            raise BusinessCaseError(f"unit_cost_growth must be > -1, got {self.unit_cost_growth!r}")
        if not 0 <= self.discount_rate < 1:
            raise BusinessCaseError(f"discount_rate must lie in [0, 1), got {self.discount_rate!r}")
        _whole(self.horizon, "horizon")
        _whole(self.ramp_up_years, "ramp_up_years")
        _whole(self.start_year, "start_year", 0)
        if self.start_year >= self.horizon:
            raise BusinessCaseError(
                f"start_year {self.start_year} is not inside the horizon (years 0 to {self.horizon - 1})"
            )
        if self.investment_years is not None:
            _whole(self.investment_years, "investment_years")
        if self.beds is not None:
            _whole(self.beds, "beds", 0)
        if self.revenue_total is not None and self.revenue_first_year is not None:
            if self.revenue_total < self.revenue_first_year:
                raise BusinessCaseError(
                    f"revenue_total {self.revenue_total:g} is less than revenue_first_year {self.revenue_first_year:g}"
                )

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame], **overrides: Any) -> Assumptions:
        """Fill the document's figures from the data folder's tables; ``overrides`` win.

        Parameters that stay ``None`` in ``overrides`` are taken from the
        tables (an override of ``None`` means "use the document").
        """
        fin = tables["glos_iis_finance"]
        doc: dict[str, Any] = {
            "baseline_spend": finance_value(fin, "placement_spend_current"),
            "revenue_first_year": finance_value(fin, "revenue_investment_2017_18"),
            "revenue_total": finance_value(fin, "revenue_investment_total"),
            "investment_years": finance_horizon(fin, "revenue_investment_total") or 5,
            "capital": finance_value(fin, "capital_investment"),
        }
        projected = finance_value(fin, "placement_spend_projected")
        h = finance_horizon(fin, "placement_spend_projected") or 6
        doc["growth_rate"] = cagr(doc["baseline_spend"], projected, h)
        cohort = tables.get("glos_iis_cohort")
        if cohort is not None and (cohort["measure"] == "cohort_size").any():
            doc["cohort_size"] = float(cohort.loc[cohort["measure"] == "cohort_size", "value"].iloc[0])
            doc["ooc_unit_cost"] = doc["baseline_spend"] / doc["cohort_size"]
        service = tables.get("glos_iis_service")
        if service is not None:
            s = service.set_index("item")["value"]
            if {"residential_properties", "beds_per_property"} <= set(s.index):
                doc["beds"] = int(s["residential_properties"] * s["beds_per_property"])
        kw = {**doc, **{k: v for k, v in overrides.items() if v is not None}}
        unknown = set(kw) - {f.name for f in fields(cls)}
        if unknown:
            raise BusinessCaseError(f"unknown business-case parameter(s): {sorted(unknown)}")
        return cls(**kw)

    def resolved(self) -> Assumptions:
        """Check that every document figure is filled; raise naming the missing ones."""
        missing = [n for n in ("baseline_spend", "growth_rate", "ooc_unit_cost", "revenue_first_year",
                               "revenue_total", "investment_years", "capital") if getattr(self, n) is None]
        if missing:
            raise BusinessCaseError(
                f"parameters {missing} are not set; build the assumptions with Assumptions.from_tables(tables, ...) "
                "or give them explicitly"
            )
        return self

    @property
    def revenue_later_years(self) -> float:
        """Revenue a year after the first: (total - first year) / (investment_years - 1)."""
        a = self.resolved()
        if a.investment_years == 1:  # type: ignore[comparison-overlap]
            return 0.0
        return (a.revenue_total - a.revenue_first_year) / (a.investment_years - 1)  # type: ignore[operator]


#: Where each parameter's central value comes from.
SOURCES: dict[str, str] = {
    "baseline_spend": "document: '£7.8 million on out of county placements' (l.43; 115; 245; 411)",
    "growth_rate": "document-derived: compound rate from £7.8m to £9.2m in 6 years (l.44)",
    "cohort_size": "document: '100 children and young people aged 11-18' (l.43)",
    "ooc_unit_cost": "document-derived: £7.8m / 100 = £78,000 a year (£1,500 a week)",
    "diverted_per_year": "assumption: the document gives no number of young people diverted",
    "share_foster": "assumption: the document names foster care as a destination (l.223-224) without a share",
    "share_home": "assumption: the document names home as a destination (l.223-224) without a share",
    "foster_unit_cost": "document: fostering reconfigured 'within existing resources' (l.214-216; 260-261): extra cost 0",
    "home_support_unit_cost": "document: placement support reconfigured 'within existing resources': extra cost 0",
    "revenue_first_year": "document: '£1.4 million revenue' in 2017/18 (l.49; 252; 417)",
    "revenue_later_years": "document-derived: (£6.9m - £1.4m) / 4 a year for the remaining years (l.252-253)",
    "capital": "document: '£1.2 million capital' (l.53; 253; 421)",
    "start_year": "document: 2017/18 investment meets 'set up and transition costs' (l.255-256)",
    "ramp_up_years": "assumption",
    "unit_cost_growth": "assumption: real prices held constant",
    "discount_rate": "HM Treasury Green Book: 3.5% real",
}

#: Default ranges (low, high) for the tornado and the Monte Carlo, with why.
DEFAULT_RANGES: dict[str, tuple[float, float, str]] = {
    "diverted_per_year": (10.0, 40.0, "assumption: 10% to 40% of the cohort of 100"),
    "ooc_unit_cost": (58_500.0, 156_000.0, "-25% (£1,125 a week) to twice the document's average (£3,000 a week)"),
    "share_foster": (0.2, 0.5, "assumption"),
    "share_home": (0.1, 0.4, "assumption"),
    "foster_unit_cost": (0.0, 45_000.0, "0 (document) to about £865 a week: a placement not absorbed in existing budgets"),
    "home_support_unit_cost": (0.0, 20_000.0, "0 (document) to about £385 a week of extra support"),
    "revenue_first_year": (1.0, 1.25, "document's figure to +25% (cost overrun), as a multiple"),
    "revenue_later_years": (1.0, 1.25, "document-derived figure to +25% (cost overrun), as a multiple"),
    "capital": (1.0, 1.25, "document's figure to +25% (cost overrun), as a multiple"),
}
#: Ranges of the structural parameters the adapter varies by re-building the model.
STRUCTURAL_RANGES: dict[str, tuple[float, float, str]] = {
    "start_year": (1, 2, "a year's delay in opening (the risk of 'delaying start dates', l.325-326)"),
    "ramp_up_years": (1, 3, "full strength in the first operating year, or after three"),
    "unit_cost_growth": (0.0, 0.04, "real growth of out-of-county prices of up to 4% a year"),
}
#: Parameters whose default range is a multiple of the central value.
_MULTIPLE = {"revenue_first_year", "revenue_later_years", "capital"}


def ramp(start_year: int, ramp_up_years: int, horizon: int) -> np.ndarray:
    """Share of full strength in each year: 0 before ``start_year``, then rising linearly.

    >>> ramp(1, 2, 5).tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0]
    """
    horizon = _whole(horizon, "horizon")
    ramp_up_years = _whole(ramp_up_years, "ramp_up_years")
    start_year = _whole(start_year, "start_year", 0)
    t = np.arange(horizon)
    return np.clip((t - start_year + 1) / ramp_up_years, 0.0, 1.0)


class BusinessCase:
    """The invest-versus-do-nothing projection of the business case.

    Parameters
    ----------
    assumptions
        Central values (:meth:`Assumptions.from_tables` fills the document's).
    ranges
        ``name -> (low, high)`` overriding :data:`DEFAULT_RANGES` for the
        tornado and Monte Carlo (for revenue and capital, absolute pounds).

    Examples
    --------
    >>> bc = BusinessCase(Assumptions.from_tables(load_tables("data/raw/002_gloucestershire_iis")))  # doctest: +SKIP
    >>> bc.evaluate().npv  # doctest: +SKIP
    """

    def __init__(self, assumptions: Assumptions, ranges: Mapping[str, Sequence[float]] | None = None):
        self.a = assumptions.resolved()
        if self.a.cohort_size is not None:
            peak = self.a.cohort_size * (1 + self.a.growth_rate) ** self.a.horizon  # type: ignore[operator]
            if self.a.diverted_per_year > peak:
                raise BusinessCaseError(
                    f"diverted_per_year {self.a.diverted_per_year:g} exceeds the {peak:.0f} young people in "
                    "out-of-county placements under do-nothing"
                )
        self.ranges = self._ranges(ranges or {})
        self.params = self._parameters()

    # -------------------------------------------------------------- parameters

    def _ranges(self, given: Mapping[str, Sequence[float]]) -> dict[str, tuple[float, float]]:
        out: dict[str, tuple[float, float]] = {}
        central = self._central()
        for name, (lo, hi, _) in DEFAULT_RANGES.items():
            if name in _MULTIPLE:
                lo, hi = lo * central[name], hi * central[name]
            out[name] = (float(lo), float(hi))
        for name, r in given.items():
            if name not in DEFAULT_RANGES and name not in STRUCTURAL_RANGES:
                raise BusinessCaseError(
                    f"ranges: {name!r} is not a parameter with a range "
                    f"(choose from {sorted(DEFAULT_RANGES) + sorted(STRUCTURAL_RANGES)})"
                )
            if len(r) != 2 or float(r[0]) > float(r[1]):
                raise BusinessCaseError(f"ranges[{name!r}] must be (low, high) with low <= high, got {r!r}")
            out[name] = (float(r[0]), float(r[1]))
        for name, (lo, hi) in out.items():
            if name in central and not lo <= central[name] <= hi:
                out[name] = (min(lo, central[name]), max(hi, central[name]))
        for name, (lo, hi, _) in STRUCTURAL_RANGES.items():
            out.setdefault(name, (float(lo), float(hi)))
        return out

    def _central(self) -> dict[str, float]:
        a = self.a
        return {
            "diverted_per_year": a.diverted_per_year,
            "ooc_unit_cost": float(a.ooc_unit_cost),  # type: ignore[arg-type]
            "share_foster": a.share_foster,
            "share_home": a.share_home,
            "foster_unit_cost": a.foster_unit_cost,
            "home_support_unit_cost": a.home_support_unit_cost,
            "revenue_first_year": float(a.revenue_first_year),  # type: ignore[arg-type]
            "revenue_later_years": a.revenue_later_years,
            "capital": float(a.capital),  # type: ignore[arg-type]
        }

    def _parameters(self) -> cba.Parameters:
        kinds = {"diverted_per_year": "quantity", "share_foster": "rate", "share_home": "rate"}
        units = {
            "diverted_per_year": "placement-years a year at full strength",
            "ooc_unit_cost": "GBP a placement-year",
            "foster_unit_cost": "GBP a placement-year (extra)",
            "home_support_unit_cost": "GBP a young person a year (extra)",
            "revenue_first_year": "GBP",
            "revenue_later_years": "GBP a year",
            "capital": "GBP",
        }
        out = []
        for name, value in self._central().items():
            lo, hi = self.ranges[name]
            out.append(
                cba.Parameter(
                    name,
                    value,
                    kind=kinds.get(name, "unit_cost"),
                    unit=units.get(name, "share"),
                    source=SOURCES[name],
                    price_year=2016 if kinds.get(name, "unit_cost") == "unit_cost" else None,
                    low=lo,
                    high=hi,
                    distribution="fixed" if lo == hi else "triangular",
                )
            )
        return cba.Parameters(out)

    # -------------------------------------------------------------- model

    def ramp(self, start_year: int | None = None, ramp_up_years: int | None = None,
             horizon: int | None = None) -> np.ndarray:
        """Share of full strength by year for these (or the central) structural values."""
        return ramp(self.a.start_year if start_year is None else start_year,
                    self.a.ramp_up_years if ramp_up_years is None else ramp_up_years,
                    self.a.horizon if horizon is None else horizon)

    def model(
        self,
        *,
        start_year: int | None = None,
        ramp_up_years: int | None = None,
        unit_cost_growth: float | None = None,
        horizon: int | None = None,
        discount_rate: float | None = None,
    ) -> cba.CBAModel:
        """The :class:`evalkit.cba.CBAModel` of investing against doing nothing.

        Streams (all paid by or saved for :data:`PAYER`):
        ``avoided_ooc`` (benefit: diverted placement-years x out-of-county unit
        cost, weighted by the ramp and real unit-cost growth), ``foster_care``
        and ``home_support`` (costs: their shares of the diverted young people
        x extra unit cost), ``revenue_set_up`` (year 0), ``revenue_running``
        (years 1 onwards, continuing past the investment period at the same
        level) and ``capital`` (year 0). Adjustments (deadweight, optimism
        bias) are off: the document applies none.
        """
        h = _whole(self.a.horizon if horizon is None else horizon, "horizon")
        u = self.a.unit_cost_growth if unit_cost_growth is None else float(unit_cost_growth)
        if u <= -1:
            raise BusinessCaseError(f"unit_cost_growth must be > -1, got {u!r}")
        r = self.ramp(start_year, ramp_up_years, h)
        t = np.arange(h)
        w_avoided = {int(i): float(r[i] * (1 + u) ** i) for i in t}
        w_ramp = {int(i): float(r[i]) for i in t}
        later = {int(i): 1.0 for i in t if i >= 1} or {0: 0.0}
        streams = [
            cba.Stream("avoided_ooc", "diverted_per_year", "ooc_unit_cost", PAYER, kind="benefit",
                       years=w_avoided, label="Out-of-county placements avoided"),
            cba.Stream("foster_care", ("diverted_per_year", "share_foster"), "foster_unit_cost", PAYER,
                       kind="cost", years=w_ramp, label="Foster care (extra cost)"),
            cba.Stream("home_support", ("diverted_per_year", "share_home"), "home_support_unit_cost", PAYER,
                       kind="cost", years=w_ramp, label="Support at home (extra cost)"),
            cba.Stream("revenue_set_up", 1, "revenue_first_year", PAYER, kind="cost", years={0: 1.0},
                       label="Revenue, 2017/18 (set-up)"),
            cba.Stream("revenue_running", 1, "revenue_later_years", PAYER, kind="cost", years=later,
                       label="Revenue, later years"),
            cba.Stream("capital", 1, "capital", PAYER, kind="cost", years={0: 1.0}, label="Capital"),
        ]
        dr = self.a.discount_rate if discount_rate is None else float(discount_rate)
        return cba.CBAModel(streams, discount_rate=dr, horizon=h, adjust=False,
                            name="Intensive Intervention Service: invest vs do nothing")

    def evaluate(self, params: cba.Parameters | None = None, **structural: Any) -> cba.CBAResult:
        """Evaluate at the central (or given) parameters; ``structural`` as for :meth:`model`."""
        return self.model(**structural).evaluate(self.params if params is None else params)

    # -------------------------------------------------------------- scenarios

    def fin_years(self, horizon: int | None = None) -> list[str]:
        """Labels '2017/18', '2018/19', ... for the years of the horizon."""
        h = self.a.horizon if horizon is None else horizon
        return [f"{self.a.first_year + i}/{(self.a.first_year + i + 1) % 100:02d}" for i in range(h)]

    def do_nothing(self, horizon: int | None = None) -> np.ndarray:
        """Do-nothing out-of-county spend by year: baseline x (1 + growth)^(t + 1)."""
        h = self.a.horizon if horizon is None else horizon
        return compound_path(self.a.baseline_spend, self.a.growth_rate, h)  # type: ignore[arg-type]

    def scenarios(self, **structural: Any) -> pd.DataFrame:
        """Do-nothing against invest, year by year, undiscounted and discounted.

        Columns: ``year``, ``fin_year``, ``do_nothing`` (out-of-county spend),
        ``avoided_ooc``, ``extra_care`` (foster and home), ``revenue``,
        ``capital``, ``invest`` (do-nothing spend - avoided + the rest),
        ``net_saving`` (do_nothing - invest), ``discount_factor``, and the
        present values ``pv_do_nothing``, ``pv_invest``, ``pv_net_saving``.
        The discounted net saving summed over the years is the model's NPV.
        """
        res = self.evaluate(**structural)
        f = res.flows
        h = len(f)
        dn = self.do_nothing(h)
        out = pd.DataFrame({"year": np.arange(h), "fin_year": self.fin_years(h), "do_nothing": dn})
        out["avoided_ooc"] = f["avoided_ooc"].to_numpy()
        out["extra_care"] = -(f["foster_care"] + f["home_support"]).to_numpy()
        out["revenue"] = -(f["revenue_set_up"] + f["revenue_running"]).to_numpy()
        out["capital"] = -f["capital"].to_numpy()
        out["invest"] = dn - out["avoided_ooc"] + out["extra_care"] + out["revenue"] + out["capital"]
        out["net_saving"] = out["do_nothing"] - out["invest"]
        out["discount_factor"] = res.discount_factors.to_numpy()
        for c in ("do_nothing", "invest", "net_saving"):
            out[f"pv_{c}"] = out[c] * out["discount_factor"]
        return out

    def summary_table(self, **structural: Any) -> pd.DataFrame:
        """Totals over the horizon, undiscounted and discounted, for both scenarios and the difference.

        Money is rounded to whole pounds and the benefit-cost ratio to 4 decimals;
        the payback year is NaN when there is no payback within the horizon.
        """
        s = self.scenarios(**structural)
        res = self.evaluate(**structural)
        und = self.model(discount_rate=0.0, **structural).evaluate(self.params)
        rows = [
            {"measure": "do-nothing spend", "undiscounted": s["do_nothing"].sum(), "discounted": s["pv_do_nothing"].sum()},
            {"measure": "invest: total spend", "undiscounted": s["invest"].sum(), "discounted": s["pv_invest"].sum()},
            {"measure": "saving (do nothing - invest) = NPV", "undiscounted": und.npv, "discounted": res.npv},
            {"measure": "costs of investing", "undiscounted": und.pv_costs, "discounted": res.pv_costs},
            {"measure": "placement spend avoided", "undiscounted": und.pv_benefits, "discounted": res.pv_benefits},
            {"measure": "benefit-cost ratio", "undiscounted": und.bcr, "discounted": res.bcr},
        ]
        t = pd.DataFrame(rows)
        money = t["measure"] != "benefit-cost ratio"
        t.loc[money, ["undiscounted", "discounted"]] = t.loc[money, ["undiscounted", "discounted"]].round(0)
        t.loc[~money, ["undiscounted", "discounted"]] = t.loc[~money, ["undiscounted", "discounted"]].round(4)
        pb_u, pb_d = und.payback_year_undiscounted, res.payback_year
        t.loc[len(t)] = {"measure": "payback year (0 = 2017/18)",
                         "undiscounted": np.nan if pb_u is None else pb_u,
                         "discounted": np.nan if pb_d is None else pb_d}
        return t

    def capacity(self) -> dict[str, float]:
        """Local residential places the central assumptions need at full strength, against the beds."""
        local = self.a.diverted_per_year * (1 - self.a.share_foster - self.a.share_home)
        beds = self.a.beds
        return {
            "local_residential_places": local,
            "beds": float("nan") if beds is None else float(beds),
            "occupancy": float("nan") if not beds else local / beds,
        }

    # -------------------------------------------------------------- break-even

    def break_even(self, *, discounted: bool = True, target: float = 0.0,
                   **structural: Any) -> cba.BreakEvenResult:
        """Young people diverted a year (at full strength) at which the NPV reaches ``target``.

        Solved by :func:`evalkit.cba.break_even` (exact: the NPV is linear in it).
        """
        model = self.model(discount_rate=None if discounted else 0.0, **structural)
        return cba.break_even(model, self.params, "diverted_per_year", target=target)

    def break_even_table(self) -> pd.DataFrame:
        """Break-even diversions, at full strength and averaged over the horizon, both ways."""
        r = self.ramp()
        rows = []
        for disc in (False, True):
            be = self.break_even(discounted=disc)
            rows.append(
                {
                    "discounting": f"{100 * self.a.discount_rate:.1f}%" if disc else "none",
                    "diverted_per_year_full_strength": be.value,
                    "diverted_per_year_average": None if be.value is None else be.value * r.mean(),
                    "placement_years_over_horizon": None if be.value is None else be.value * r.sum(),
                    "share_of_cohort": None if be.value is None or not self.a.cohort_size
                    else be.value / self.a.cohort_size,
                }
            )
        return pd.DataFrame(rows)

    def calibrate(self, target_net: float, horizon: int, *, discounted: bool = False,
                  include_capital: bool = True) -> cba.BreakEvenResult:
        """Diversions a year that make the net saving over ``horizon`` years equal ``target_net``.

        Used to show which assumption reproduces the report's "over a six year
        period the spend ... could reduce by £2.5million" (net of set-up costs).
        With ``include_capital=False`` the capital is left out of the net.
        """
        model = self.model(horizon=horizon, discount_rate=None if discounted else 0.0)
        params = self.params if include_capital else self.params.replace(capital=0.0)
        return cba.break_even(model, params, "diverted_per_year", target=float(target_net))

    # -------------------------------------------------------------- sensitivity

    def tornado(self, names: Sequence[str] | None = None, *, metric: str = "npv") -> cba.SensitivityResult:
        """One-way sensitivity of the NPV: :func:`evalkit.cba.one_way_sensitivity` plus the structural parameters.

        The structural parameters (``start_year``, ``ramp_up_years``,
        ``unit_cost_growth``) are varied by re-building the model (the adapter
        described in the module docstring).
        """
        pnames = list(self.params)
        native = [n for n in (names or pnames) if n in pnames]
        structural = [n for n in (names or list(STRUCTURAL_RANGES)) if n in STRUCTURAL_RANGES]
        unknown = set(names or []) - set(native) - set(structural)
        if unknown:
            raise BusinessCaseError(f"tornado: unknown parameter(s) {sorted(unknown)}")
        model = self.model()
        res = cba.one_way_sensitivity(model, self.params, native, metric=metric)
        rows = [res.table]
        base = model.metric(self.params, metric)
        extra = []
        for n in structural:
            lo, hi = self.ranges[n]
            if n in ("start_year", "ramp_up_years"):
                lo, hi = int(lo), int(hi)
            m_lo = self.model(**{n: lo}).metric(self.params, metric)
            m_hi = self.model(**{n: hi}).metric(self.params, metric)
            extra.append({"parameter": n, "base": float(getattr(self.a, n)), "low": float(lo), "high": float(hi),
                          "metric_low": m_lo, "metric_high": m_hi, "swing": abs(m_hi - m_lo),
                          "crosses_zero": bool(min(m_lo, m_hi) < 0 < max(m_lo, m_hi))})
        if extra:
            rows.append(pd.DataFrame(extra))
        table = pd.concat(rows, ignore_index=True).sort_values("swing", ascending=False, kind="stable")
        return cba.SensitivityResult(table=table.reset_index(drop=True), base_metric=base, metric=metric,
                                     payer=None)

    def monte_carlo(self, n: int = 5000, seed: int = 12345, *, metric: str = "npv") -> cba.MonteCarloResult:
        """Seeded Monte Carlo (:func:`evalkit.cba.monte_carlo`) over the ranged parameters.

        Each parameter is drawn from a triangular distribution over its range
        with the central value as mode. The structural parameters stay at their
        central values.
        """
        return cba.monte_carlo(self.model(), self.params, n=n, seed=seed, metric=metric)

    def parameter_table(self) -> pd.DataFrame:
        """Every parameter: central value, range, source (native and structural)."""
        t = self.params.table()[["name", "value", "low", "high", "unit", "source"]].rename(columns={"name": "parameter"})
        extra = []
        for n, (lo, hi, why) in STRUCTURAL_RANGES.items():
            extra.append({"parameter": n, "value": float(getattr(self.a, n)), "low": float(lo), "high": float(hi),
                          "unit": "year index" if n == "start_year" else ("years" if n == "ramp_up_years" else "per year"),
                          "source": f"{SOURCES[n]}; range: {why}"})
        for n in ("growth_rate", "discount_rate"):
            extra.append({"parameter": n, "value": float(getattr(self.a, n)), "low": np.nan, "high": np.nan,
                          "unit": "per year", "source": SOURCES[n]})
        return pd.concat([t, pd.DataFrame(extra)], ignore_index=True)

    # -------------------------------------------------------------- plots

    def plot_projection(self, ax: Any = None, **structural: Any) -> Any:
        """Do-nothing and invest spend by year (bars: what the invest spend is made of)."""
        import matplotlib.pyplot as plt
        import seaborn as sns

        s = self.scenarios(**structural)
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        c = sns.color_palette("colorblind", 5)
        x = np.arange(len(s))
        remaining = s["do_nothing"] - s["avoided_ooc"]
        ax.bar(x, remaining / 1e6, color=c[0], label="out-of-county spend still incurred")
        bottom = remaining.copy()
        for col, colour, label in (("extra_care", c[2], "extra foster/home costs"), ("revenue", c[1], "revenue investment"),
                                   ("capital", c[4], "capital")):
            ax.bar(x, s[col] / 1e6, bottom=bottom / 1e6, color=colour, label=label)
            bottom = bottom + s[col]
        ax.plot(x, s["do_nothing"] / 1e6, color="black", marker="o", label="do nothing")
        ax.axhline(self.a.baseline_spend / 1e6, color="0.5", linestyle=":", label="2016/17 spend")  # type: ignore[operator]
        ax.set_xticks(x)
        ax.set_xticklabels(s["fin_year"])
        ax.set_ylabel("£m a year (2016/17 prices)")
        ax.set_title("Do nothing vs invest")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return ax

    def plot_break_even(self, ax: Any = None, max_diverted: float | None = None) -> Any:
        """NPV (discounted and undiscounted) against young people diverted a year, with the break-evens."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        top = max_diverted or max(2 * (self.break_even().value or 0), self.ranges["diverted_per_year"][1])
        xs = np.linspace(0, top, 81)
        for disc, style in ((True, "-"), (False, "--")):
            model = self.model(discount_rate=None if disc else 0.0)
            sim = model.simulate({"diverted_per_year": xs}, self.params)
            label = f"NPV at {100 * self.a.discount_rate:.1f}%" if disc else "undiscounted"
            ax.plot(xs, sim["npv"] / 1e6, style, label=label)
            be = self.break_even(discounted=disc)
            if be.value is not None:
                ax.axvline(be.value, color="0.4", linestyle=style, linewidth=0.8)
                ax.annotate(f"{be.value:.1f}" + (" (discounted)" if disc else " (undiscounted)"), (be.value, 0),
                            textcoords="offset points", xytext=(8, 8) if disc else (-8, -14),
                            ha="left" if disc else "right", fontsize=8,
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
        ax.axhline(0, color="black", linewidth=0.8)
        ax.axvline(self.a.diverted_per_year, color="red", linewidth=0.8, label="central assumption")
        ax.set_xlabel("Young people diverted from out-of-county placements a year (full strength)")
        ax.set_ylabel(f"Net saving over {self.a.horizon} years (£m)")
        ax.set_title("Break-even")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return ax


#: Human labels, with units, of the projection's parameters (tornado rows).
LABELS = {
    "ooc_unit_cost": "Out-of-county placement cost a year (£)",
    "diverted_per_year": "Young people diverted a year (full strength)",
    "ramp_up_years": "Years to full strength",
    "start_year": "First year diverting (0 = 2017/18)",
    "foster_unit_cost": "Extra cost per foster placement a year (£)",
    "revenue_later_years": "Revenue investment a year after 2017/18 (£)",
    "unit_cost_growth": "Real growth of the out-of-county cost a year (share)",
    "home_support_unit_cost": "Extra cost per young person supported at home a year (£)",
    "revenue_first_year": "Revenue investment in 2017/18 (£)",
    "capital": "Capital investment (£)",
    "share_foster": "Share of diverted young people fostered",
    "share_home": "Share of diverted young people supported at home",
}


def plot_tornado(result: cba.SensitivityResult, ax: Any = None, title: str | None = None) -> Any:
    """:meth:`evalkit.cba.SensitivityResult.tornado` with human labels (compact £ ticks that never overprint)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.45 * len(result.table) + 1.8))
    return result.tornado(ax=ax, title=title, labels=LABELS)


def plot_monte_carlo(result: cba.MonteCarloResult, ax: Any = None, title: str | None = None) -> Any:
    """:meth:`evalkit.cba.MonteCarloResult.plot` (£ axis; the y axis is the share of draws, not a density)."""
    return result.plot(ax=ax, title=title)


def with_assumptions(bc: BusinessCase, **changes: Any) -> BusinessCase:
    """A copy of ``bc`` with some assumptions changed (ranges kept)."""
    return BusinessCase(replace(bc.a, **changes), ranges=None)


# --------------------------------------------------------------------------- reproduction


def reproduce(rep: Any, tables: Mapping[str, pd.DataFrame], cla: CLACheck | None = None,
              cla_reason: str = "") -> None:
    """Record every stated figure of the Cabinet report in the reproduction table ``rep``.

    Parameters
    ----------
    rep
        An :class:`evalkit.report.Reproduction` for the folder.
    tables
        From :func:`load_tables`.
    cla
        The DfE cross-check (:func:`cla_crosscheck`); ``None`` when the
        external data are absent, in which case ``cla_reason`` says why and the
        figures of :data:`EXTERNAL_FIGURES` are marked not reproducible.
        A folder with no stated figures (a new LA's own data) records nothing.
    """
    if len(rep.stated) == 0:
        return
    fin = tables["glos_iis_finance"]
    m = {i: mentions(fin, i) for i in fin["item"].unique()}
    from evalkit.schemas.glos_iis import FINANCE_ITEMS

    missing = [i for i in FINANCE_ITEMS if i not in m]
    if missing:
        for fid in [*FINANCE_ITEMS, "investment_below_overspend"]:
            rep.not_reproducible(fid, f"glos_iis_finance.csv lacks the item(s) {missing} the checks need")
    else:
        _reproduce_finance(rep, fin, m)
    _reproduce_cic(rep, tables.get("glos_iis_children_in_care"), cla, cla_reason)
    _reproduce_other(rep, tables)


def _reproduce_finance(rep: Any, fin: pd.DataFrame, m: Mapping[str, Mentions]) -> None:
    spend0 = m["placement_spend_current"]
    _mention_check(rep, "placement_spend_current", spend0, "nothing in the document to recompute it from")
    proj = m["placement_spend_projected"]
    g = cagr(spend0.value, proj.value, finance_horizon(fin, "placement_spend_projected") or 6)
    rep.not_reproducible(
        "placement_spend_projected",
        f"the projection method is not stated ({proj.describe()}); it implies compound growth of "
        f"{100 * g:.2f}% a year over 6 years ({100 * cagr(spend0.value, proj.value, 5):.2f}% if over 5 steps) "
        f"or +£{(proj.value - spend0.value) / 6:.3f}m a year linearly",
    )
    o0 = m["overspend_2016_17"]
    _mention_check(rep, "overspend_2016_17", o0, "nothing in the document to recompute it from")
    o_end = m["overspend_annual_future"].value
    total = m["overspend_cumulative"].value
    n_years = finance_horizon(fin, "overspend_cumulative") or 5
    paths = overspend_paths(o0.value, o_end, total, n_years).set_index("path")
    rep.not_reproducible(
        "overspend_annual_future",
        f"the year it is reached is not stated; from £{o0.value}m it needs "
        f"{100 * cagr(o0.value, o_end, n_years):.1f}% a year if reached {n_years} years after 2016/17, "
        f"{100 * cagr(o0.value, o_end, n_years - 1):.1f}% if in the {n_years}th year counting 2016/17",
    )
    back = paths.loc["back-loaded (power)"] if "back-loaded (power)" in paths.index else None
    rep.check(
        "overspend_cumulative",
        round(float(paths.loc["linear from start", "sum"]), 6),
        note=(f"linear rise from £{o0.value}m (2016/17) to £{o_end}m over {n_years} years: "
              f"{paths.loc['linear from start', 'values']}"),
        reason=(
            "no even rise reaches £2.1m and sums to £8.7m (linear after 2016/17 gives "
            f"{paths.loc['linear after start', 'sum']:.2f}; constant growth to £2.1m gives "
            f"{paths.loc['compound to end', 'sum']:.2f}); the sum needs a back-loaded path"
            + (f" such as {back['values']} (power {back['power']:.2f})" if back is not None else "")
            + " or a start below £1.6m; the report gives no yearly profile"
        ),
    )
    rev1, rev_tot, cap = m["revenue_investment_2017_18"], m["revenue_investment_total"], m["capital_investment"]
    inv_years = finance_horizon(fin, "revenue_investment_total") or 5
    rep.check(
        "revenue_investment_2017_18",
        round(rev_tot.value / inv_years, 6),
        note=f"under a level profile: £{rev_tot.value}m / {inv_years} years; {rev1.describe()}",
        reason="the yearly profile of the £6.9m is not stated",
    )
    rep.not_reproducible(
        "revenue_investment_total",
        f"the yearly profile is not stated; a level £{rev1.value}m would total £{rev1.value * inv_years:.1f}m, "
        f"so the other {inv_years - 1} years average £{(rev_tot.value - rev1.value) / (inv_years - 1):.3f}m",
    )
    _mention_check(rep, "capital_investment", cap, "nothing in the document to recompute it from")
    rep.check(
        "investment_below_overspend",
        investment_claim(rev_tot.value, cap.value, total),
        note=(f"revenue £{rev_tot.value}m (+ capital £{cap.value}m = £{rev_tot.value + cap.value:.1f}m) against "
              f"£{total}m: margins £{total - rev_tot.value:.1f}m and £{total - rev_tot.value - cap.value:.1f}m; "
              f"with the linear overspend path (£{paths.loc['linear from start', 'sum']:.2f}m) the claim still holds"),
        reason="the claim fails on these figures",
    )
    rep.not_reproducible(
        "placement_spend_reduction",
        "the detailed business case behind it is not included (l.218); the projection below shows the "
        "diversions a year that would reproduce it",
    )


def _mention_check(rep: Any, figure_id: str, mention: Mentions, why_input: str) -> None:
    """Record an input figure: ``not_reproducible``, with its mentions in their own columns.

    Agreement between repeated mentions is not a recomputation (docs/conventions.md, status rules):
    the figure stays ``not_reproducible`` and ``mentions`` / ``mentions_agree`` say how often it
    is stated and whether the statements agree.
    """
    rep.mentions(figure_id, list(mention.values))
    if mention.n < 2:
        rep.not_reproducible(figure_id, f"an input stated once; {why_input}", locate=True)
        return
    agree = len(set(mention.values)) == 1
    rep.not_reproducible(
        figure_id,
        f"an input: {mention.describe()}; {why_input}" + ("" if agree else "; the mentions disagree"),
    )


def _reproduce_cic(rep: Any, cic: pd.DataFrame | None, cla: CLACheck | None, cla_reason: str) -> None:
    if cic is None:
        for fid in ("cic_2011_12", "cic_sep_2016", "cic_increase_pct", *EXTERNAL_FIGURES):
            rep.not_reproducible(fid, "glos_iis_children_in_care.csv is not in the data folder")
        return
    counts = cic.loc[cic["measure"] == "count"].sort_values("period_start")
    if len(counts) >= 2:
        start, end = float(counts["value"].iloc[0]), float(counts["value"].iloc[-1])
        rep.check(
            "cic_increase_pct",
            round(pct_change(start, end), 6),
            note=f"({end:.0f} - {start:.0f}) / {start:.0f}",
            reason=(f"the stated figure matches the rise divided by the end value, ({end:.0f} - {start:.0f}) / "
                    f"{end:.0f} = {pct_of_end(start, end):.1f}%, not by the start value"),
        )
    else:
        rep.not_reproducible("cic_increase_pct", "fewer than two counts in glos_iis_children_in_care.csv")
    _document_only(rep)
    if cla is None:
        why = cla_reason or "the DfE data in ../shared/external are not present"
        for fid in EXTERNAL_FIGURES:
            rep.external(fid, None, f"DfE children looked after: {why}", "not_available")
        return
    from evalkit import report

    v = cla.values
    b, e = cla.base_year, cla.end_year
    src = f"DfE children looked after, 31 March {b} to {e} ({cla.la_name}, {cla.region}, England)"

    def ext(fid: str, value: float) -> None:
        if rep.wants(fid):
            comparator = rep.stated.loc[fid].get("comparator", "=")
            comparator = "=" if pd.isna(comparator) else str(comparator)
            verdict = report.classify(rep.stated.loc[fid, "reported"], round(value, 6), comparator)
            rep.external(fid, round(value, 6), src, verdict.status)

    if cla.la_name in set(cic["area"]):
        ext("cic_2011_12", v["la_base"])
        rep.external("cic_sep_2016", None,
                     f"DfE counts at 31 March only: {v['la_end']:.0f} ({e}) and {v['la_next']:.0f} ({e + 1}); "
                     "no September count to compare", "not_available")
    else:
        for fid in ("cic_2011_12", "cic_sep_2016"):
            rep.external(fid, None, f"the data folder's counts are not for {cla.la_name} (areas: "
                                    f"{sorted(set(cic['area']))}); set la_name to the authority the document describes",
                         "not_available")
    ext("england_increase_pct", v["england_change"])
    ext("south_west_increase_pct", v["region_change"])
    ext("some_councils_doubled", v["max_la_change"])


#: What the document alone says of the figures DfE's series can cross-check (the status is the document's).
DOCUMENT_ONLY = {
    "cic_2011_12": "an input: the start count, stated once (l.60) with no date within 2011/12; DfE's 31 March "
                   "count is in the outside-data columns",
    "cic_sep_2016": "an input: the end count (l.61), a mid-year figure; DfE publishes 31 March counts only, "
                    "shown in the outside-data columns",
    "england_increase_pct": "the document gives no national counts to recompute England's 5% from (l.61-62); "
                            "DfE's rise is in the outside-data columns",
    "south_west_increase_pct": "the document gives no regional counts to recompute the South West's 10% from "
                               "(l.62-63); DfE's rise is in the outside-data columns",
    "some_councils_doubled": "the councils are not named (l.63-64), so 'double' cannot be recomputed from the "
                             "document; DfE's largest LA rise is in the outside-data columns",
}


def _document_only(rep: Any) -> None:
    for fid, why in DOCUMENT_ONLY.items():
        rep.not_reproducible(fid, why)


def _reproduce_other(rep: Any, tables: Mapping[str, pd.DataFrame]) -> None:
    cohort = tables.get("glos_iis_cohort")
    service = tables.get("glos_iis_service")
    where = {"cohort_size": "cohort_size", "cohort_age_min": "age_min", "cohort_age_max": "age_max"}
    lines = cohort.set_index("measure")["seed_lines"] if cohort is not None else pd.Series(dtype=str)
    for fid, measure in where.items():
        at = f" at l.{str(lines[measure]).replace(';', ', ')}" if measure in lines.index else ""
        rep.not_reproducible(fid, f"an input stated in the same words{at}; nothing else in the document to "
                                  "recompute it from", locate=True)
    no_data = "the report gives no counts or child-level data behind it"
    rep.not_reproducible("cohort_share_placement_budget",
                         "the children-in-care placement budget is not stated; the 41% cannot be recomputed "
                         "(and it is on a different base from the cross-agency £7.8m)")
    shares = {"cohort_domestic_abuse": "domestic_abuse", "cohort_chronic_neglect": "chronic_neglect",
              "cohort_excluded": "excluded_from_school"}
    c = cohort.set_index("measure")["value"] if cohort is not None else pd.Series(dtype=float)
    for fid, measure in shares.items():
        n_txt = ""
        if "cohort_size" in c.index and measure in c.index:
            n_txt = (f"; if the base is the {c['cohort_size']:.0f} young people, that is "
                     f"{c[measure] / 100 * c['cohort_size']:.0f} of them")
        rep.not_reproducible(fid, f"{no_data}: the Research in Practice analysis and its n are not included{n_txt}")
    rep.not_reproducible("cohort_mean_exclusions", f"{no_data}: exclusions per young person are not given")
    if service is not None:
        s = service.set_index("item")["value"]
        if {"childrens_homes", "residential_properties"} <= set(s.index):
            rep.mentions("childrens_homes", [float(s["childrens_homes"]), float(s["residential_properties"])])
            rep.not_reproducible("childrens_homes", "an input: the two children's homes (l.189) are the 'two "
                                                    "properties' the capital buys (l.262), a repeat, not a recomputation")
        rep.not_reproducible("beds_per_property", "a design figure stated once (l.263); the two homes give "
                                                  f"{s.get('residential_properties', float('nan')) * s.get('beds_per_property', float('nan')):.0f} beds")
    rep.not_reproducible("support_hours", "a design commitment (l.163-164; 207-208), not a computed figure")
    rep.not_reproducible("key_relationships", "a design commitment (l.153), not a computed figure")
    rep.not_reproducible("national_models", "a count of named projects: the text names Hope House (Surrey) and "
                                            "No Wrong Door (North Yorkshire), i.e. two (l.134-135)")
    rep.not_reproducible("issues_acute_period", "a period given as context; no series in the document")
    rep.not_reproducible("unplaced_rising_period", "a period given as context; no counts of unplaced young people")


def text_without(rep: Any, figure_ids: Sequence[str]) -> str:
    """The reproduction table as text, leaving out ``figure_ids`` (e.g. the external cross-checks)."""
    from evalkit import report

    t = rep.table()
    return report.table_text(t.loc[~t["figure_id"].isin(list(figure_ids))].reset_index(drop=True))
