"""``programme``: the effect of a service adopted by several authorities in different years."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit import viz
from evalkit.counterfactual._panel import check_series, resolve
from evalkit.errors import InputDataError, ModelError
from evalkit.results import Result, Summary

#: Values of M (relative magnitude of post- to pre-period trend violations) in the sensitivity table.
M_GRID = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0)


def _r(x: float) -> str:
    return "NA" if not np.isfinite(x) else f"{x:.2f}"


@dataclass
class ProgrammeResult(Result):
    """A staggered-adoption estimate (ratios). Build with :func:`programme`.

    Attributes
    ----------
    estimate, ci_lower, ci_upper, p_value
        The overall average effect on the treated (Callaway and Sant'Anna's
        simple aggregation) as a ratio, its 95% interval and p-value.
    event_study
        By years since adoption: ``rel_year, estimate, ci_lower, ci_upper,
        n_groups`` (ratios; the year before adoption is the reference).
    sensitivity
        HonestDiD (Rambachan and Roth 2023) relative-magnitude bounds: for each
        ``M``, the robust interval of the average post-period effect if
        post-period departures from parallel trends may be up to ``M`` times
        the largest pre-period one (``M``, ``ci_lower``, ``ci_upper``, ratios).
    breakdown_m
        Smallest ``M`` at which the robust interval includes 1 (NaN if it
        already does at ``M = 0``, or never on the grid).
    adopters
        The adopters used, with ``used`` and ``why_not``.
    """

    measure: str
    estimate: float
    ci_lower: float
    ci_upper: float
    p_value: float
    event_study: pd.DataFrame
    sensitivity: pd.DataFrame
    breakdown_m: float
    adopters: pd.DataFrame
    n_units: int
    years: tuple[int, int]
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.event_study.copy()

    def summary(self) -> Summary:
        used = self.adopters[self.adopters["used"]]
        inside = self.ci_lower <= 1 <= self.ci_upper
        lead = ("**No detectable programme effect.**" if inside else
                f"**{'Reduction' if self.ci_upper < 1 else 'Increase'} across the programme.**")
        text = (f"{lead} {len(used)} adopting authorities, {self.n_units - len(used)} others as not-yet- or "
                f"never-treated comparisons, years {self.years[0]}-{self.years[1]} "
                f"(Callaway-Sant'Anna, not-yet-treated controls). The average ratio to the counterfactual "
                f"has a 95% interval of {_r(self.ci_lower)} to {_r(self.ci_upper)} (estimate "
                f"{_r(self.estimate)}).")
        if np.isfinite(self.breakdown_m):
            text += (f"\n\nSensitivity: the interval includes 1 once post-period departures from parallel trends "
                     f"may be {self.breakdown_m:g} times the largest pre-period one.")
        sens = self.sensitivity.assign(**{c: self.sensitivity[c].map(_r) for c in ("ci_lower", "ci_upper")})
        es = self.event_study.assign(**{c: self.event_study[c].map(_r)
                                        for c in ("estimate", "ci_lower", "ci_upper")})
        return Summary(f"Programme estimate: {self.measure}", text,
                       {"event study (ratios)": es, "HonestDiD relative-magnitude bounds": sens}, self.notes)

    def plot(self, ax: Any = None) -> Any:
        """Event-study plot (ratios, log scale) with the overall interval shaded."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4.2))
        else:
            fig = ax.figure
        e = self.event_study
        pre = e["rel_year"] < 0
        for m, col, lab in ((pre, "0.5", "before adoption"), (~pre, "C3", "from adoption")):
            ax.errorbar(e.loc[m, "rel_year"], e.loc[m, "estimate"],
                        yerr=[e.loc[m, "estimate"] - e.loc[m, "ci_lower"], e.loc[m, "ci_upper"] - e.loc[m, "estimate"]],
                        fmt="o", color=col, capsize=2, label=lab)
        ax.axhspan(self.ci_lower, self.ci_upper, color="C3", alpha=0.1, label="overall 95% interval")
        ax.axhline(1, color="0.2", lw=0.8)
        ax.axvline(-0.5, color="0.3", ls="--", lw=1)
        viz.ratio_axis(ax)
        viz.integer_axis(ax)
        ax.set_xlabel("years since adoption")
        ax.set_ylabel("ratio to counterfactual (log scale)")
        ax.set_title(f"Programme event study ({int(self.adopters['used'].sum())} adopters)", fontsize="medium")
        fig.tight_layout()  # first: the legend is placed below the laid-out tick labels and title
        viz.legend_outside(ax, where="below", fontsize="small")
        return fig


def programme(series: pd.DataFrame, adopters: pd.DataFrame, *, alpha: float = 0.05,
              m_grid: tuple[float, ...] = M_GRID, honest: bool = True, measure: str | None = None,
              max_missing: int = 1) -> ProgrammeResult:
    """Staggered-adoption effect of a service on the log of a yearly measure.

    Callaway and Sant'Anna (2021) via ``diff_diff.CallawaySantAnna``: group-time
    effects on the log values with not-yet-treated (and never-treated)
    authorities as controls, a universal base period (the year before
    adoption), aggregated to an overall effect and an event study; analytic
    (influence-function) standard errors. HonestDiD relative-magnitude bounds
    (``diff_diff.HonestDiD``) show how far the conclusion survives departures
    from parallel trends.

    Parameters
    ----------
    series
        Long frame of :func:`evalkit.la_panel.measure_series`.
    adopters
        ``la_name`` or ``la_old_code``, and ``start_year`` (first year ending 31
        March with the service). Rows without a ``start_year`` are left out.
    alpha
        1 - confidence level.
    m_grid
        Values of ``M`` for the sensitivity table.
    honest
        Compute the HonestDiD bounds.
    measure
        Label (default ``series.attrs["measure"]``).
    max_missing
        Authorities with up to this many missing, suppressed or zero years are
        kept (the estimator then runs on an unbalanced panel,
        ``allow_unbalanced_panel=True``); those with more are left out (an
        adopter left out is listed in ``adopters`` with the reason).

    Returns
    -------
    ProgrammeResult

    Notes
    ----- Adopters starting in the first
    year of the series have no pre-period and are left out; those starting
    after the last year are treated as not yet treated.
    """
    import diff_diff as dd

    s = check_series(series)
    measure = measure or str(series.attrs.get("measure", "value"))
    if not isinstance(adopters, pd.DataFrame) or "start_year" not in adopters.columns or not (
            {"la_name", "la_old_code"} & set(adopters.columns)):
        raise InputDataError("adopters: need a DataFrame with start_year and la_name or la_old_code")
    w = s.pivot(index="la_old_code", columns="year", values="value")
    years = (int(w.columns.min()), int(w.columns.max()))
    pos = w.where(w > 0)
    # authorities with a value in every year but at most ``max_missing`` (suppressed) ones
    complete = w.index[(pos.notna().sum(axis=1) >= w.shape[1] - max_missing) & pos.notna().any(axis=1)]
    rows = []
    start: dict[str, int] = {}
    for r in adopters.to_dict("records"):
        key = r.get("la_old_code") if pd.notna(r.get("la_old_code", np.nan)) else r.get("la_name")
        row = {"la": str(key), "start_year": r.get("start_year"), "used": False, "why_not": ""}
        try:
            code = resolve(s, str(key).split(".")[0] if isinstance(key, float) else key)
        except InputDataError:
            row["why_not"] = "not in the series"
            rows.append(row)
            continue
        row["la_old_code"] = code
        sy = r.get("start_year")
        if sy is None or pd.isna(sy):
            row["why_not"] = "no start year"
        elif code not in complete:
            row["why_not"] = f"more than {max_missing} year(s) missing, suppressed or zero"
        elif int(sy) <= years[0]:
            row["why_not"] = f"starts in or before {years[0]}, the first year: no pre-period"
        elif code in start:
            row["why_not"] = "listed twice (the first row is used)"
        else:
            start[code] = int(sy)
            row["used"] = True
            if int(sy) > years[1]:
                row["why_not"] = f"starts after {years[1]}: counted as not yet treated"
        rows.append(row)
    adopt = pd.DataFrame(rows)
    if sum(v <= years[1] for v in start.values()) < 1:
        raise ModelError("adopters: no adopter starts within the series with a balanced record")
    long = np.log(pos.loc[complete]).stack().rename("y").reset_index()
    long.columns = ["la_old_code", "year", "y"]
    long["first_treat"] = long["la_old_code"].map(lambda c: start.get(c, 0)).astype(int)
    long.loc[long["first_treat"] > years[1], "first_treat"] = 0
    long["unit"] = pd.factorize(long["la_old_code"])[0]
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cs = dd.CallawaySantAnna(control_group="not_yet_treated", base_period="universal",
                                 estimation_method="reg", alpha=alpha,
                                 allow_unbalanced_panel=max_missing > 0)
        res = cs.fit(long, outcome="y", unit="unit", time="year", first_treat="first_treat",
                     aggregate="event_study")
        es_rows = [{"rel_year": int(k), "estimate": math.exp(v["effect"]),
                    "ci_lower": math.exp(v["conf_int"][0]) if np.isfinite(v["conf_int"][0]) else np.nan,
                    "ci_upper": math.exp(v["conf_int"][1]) if np.isfinite(v["conf_int"][1]) else np.nan,
                    "n_groups": int(v.get("n_groups", 0))}
                   for k, v in sorted(res.event_study_effects.items())]
        sens_rows = []
        breakdown = float("nan")
        if honest:
            try:
                sa = dd.HonestDiD(method="relative_magnitude", alpha=alpha).sensitivity_analysis(
                    res, M_grid=list(m_grid))
                sdf = sa.to_dataframe()
                for r in sdf.itertuples():
                    sens_rows.append({"M": float(r.M), "ci_lower": math.exp(r.ci_lb), "ci_upper": math.exp(r.ci_ub)})
                inc = [x["M"] for x in sens_rows if x["ci_lower"] <= 1 <= x["ci_upper"]]
                if inc and inc[0] > min(m_grid):
                    breakdown = float(inc[0])
            except Exception as e:  # noqa: BLE001 - report, do not hide
                notes.append(f"HonestDiD sensitivity could not be computed: {e}")
    for wmsg in caught:
        if issubclass(wmsg.category, DeprecationWarning | FutureWarning):
            continue
        m = str(wmsg.message)
        if m not in notes and len(notes) < 8:
            notes.append(m)
    lo, hi = res.conf_int
    n_treated = sum(v <= years[1] for v in start.values())
    if n_treated < 10:
        notes.insert(0, f"only {n_treated} adopter(s) within the series: the analytic interval rests on few "
                        "treated authorities and is likely too narrow; read it with the event study and the "
                        "sensitivity bounds")
    dropped = adopt[~adopt["used"]]
    if len(dropped):
        notes.insert(0, f"{len(dropped)} adopter(s) left out: " + "; ".join(
            f"{r.la} ({r.why_not})" for r in dropped.itertuples()))
    return ProgrammeResult(
        measure=measure, estimate=math.exp(res.att), ci_lower=math.exp(lo), ci_upper=math.exp(hi),
        p_value=float(res.p_value), event_study=pd.DataFrame(es_rows),
        sensitivity=pd.DataFrame(sens_rows, columns=["M", "ci_lower", "ci_upper"]), breakdown_m=breakdown,
        adopters=adopt, n_units=len(complete), years=years, notes=notes)


#: How :func:`fill_start_years` treats an adopter without a stated start year.
ASSUME = ("stated", "earliest", "latest")


def fill_start_years(adopters: pd.DataFrame, assume: str = "stated") -> pd.DataFrame:
    """Adopters with the start year a run assumes: ``la_name, start_year, date_quality``.

    ``"stated"`` keeps only rows whose seed gives a start year; ``"earliest"``
    and ``"latest"`` fill an empty ``start_year`` from ``start_year_earliest``
    or ``start_year_latest`` (rows with neither are dropped). A stated start
    year is never changed.
    """
    if assume not in ASSUME:
        raise InputDataError(f"assume: {assume!r} is not one of {ASSUME}")
    a = adopters.copy()
    sy = pd.to_numeric(a["start_year"], errors="coerce")
    if assume != "stated":
        sy = sy.fillna(pd.to_numeric(a[f"start_year_{assume}"], errors="coerce"))
    a["start_year"] = sy
    a = a[a["start_year"].notna()].copy()
    a["start_year"] = a["start_year"].astype(int)
    return a[["la_name", "start_year", "date_quality"]].reset_index(drop=True)


def programme_table(runs: dict[str, ProgrammeResult], as_text: bool = False, digits: int = 3) -> pd.DataFrame:
    """One row per run (e.g. per start-year assumption): adopters used, ratio, interval, breakdown M.

    With ``as_text`` the numbers are formatted with two decimals (for printed, checked cells);
    otherwise rounded to ``digits`` (for derived CSVs).
    """
    rows = []
    for name, r in runs.items():
        rows.append({"assumption": name, "adopters_used": int(r.adopters["used"].sum()),
                     "estimate": r.estimate, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper,
                     "breakdown_m": r.breakdown_m})
    t = pd.DataFrame(rows)
    if as_text:
        for c in ("estimate", "ci_lower", "ci_upper"):
            t[c] = t[c].map(_r)
        t["breakdown_m"] = t["breakdown_m"].map(lambda v: "-" if not np.isfinite(v) else f"{v:g}")
        return t
    return t.round({c: digits for c in ("estimate", "ci_lower", "ci_upper")})


def programme_findings(scan_result: Any, runs: dict[str, ProgrammeResult]) -> str:
    """Plain-text findings of a scan and programme runs, verdicts first."""
    lines = []
    for name, r in runs.items():
        inside = r.ci_lower <= 1 <= r.ci_upper
        verdict = "no detectable effect" if inside else ("reduction" if r.ci_upper < 1 else "increase")
        lines.append(f"Programme, {name} start years ({int(r.adopters['used'].sum())} adopters): {verdict} "
                     f"(95% interval {_r(r.ci_lower)} to {_r(r.ci_upper)}).")
    if scan_result is not None and scan_result.highlight is not None:
        pos = scan_result.position(scan_result.highlight)
        lines.append(f"Scan: {pos['la_name']}'s single-series level change is "
                     f"{'outside' if pos['outside_95'] else 'inside'} the 95% funnel limits of all "
                     f"{len(scan_result.table)} authorities (ratio {pos['estimate']:.2f}; median of all "
                     f"authorities {scan_result.centre:.2f}).")
    return "\n".join(lines)


def plot_programme_runs(runs: dict[str, ProgrammeResult]) -> Any:
    """One event-study panel per start-year assumption, side by side, on a shared ratio axis.

    Parameters
    ----------
    runs
        Assumption name -> :class:`ProgrammeResult` (as :func:`fill_start_years` names them).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(5.2 * len(runs), 4.4), sharey=True, squeeze=False)
    for ax, (name, r) in zip(axes[0], runs.items(), strict=True):
        r.plot(ax=ax)
        ax.set_title(f"{name} start years ({int(r.adopters['used'].sum())} adopters)", fontsize="medium")
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        if ax is not axes[0][0]:
            ax.set_ylabel("")
    lo = min(a.get_ylim()[0] for a in axes[0])
    hi = max(a.get_ylim()[1] for a in axes[0])
    for ax in axes[0]:  # shared y: one set of ratio ticks for the common limits
        ax.set_ylim(lo, hi)
        viz.ratio_axis(ax)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0.08, 1, 1))  # room below for one legend for every panel
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize="small", frameon=False)
    return fig


#: The start-year assumptions :func:`fill_start_years` knows, in the order they are reported.
ASSUMPTIONS = ("stated", "earliest", "latest")


def programme_runs(series: pd.DataFrame, adopters: pd.DataFrame, **options: Any) -> dict[str, ProgrammeResult]:
    """:func:`programme` once per start-year assumption (stated, earliest, latest).

    Uncertain adoption dates are the largest unknown of a programme estimate; running every
    assumption side by side shows how much the estimate depends on them.
    """
    return {a: programme(series, fill_start_years(adopters, a), **options) for a in ASSUMPTIONS}
