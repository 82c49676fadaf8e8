"""``assess``: one honest verdict for one authority from a ladder of designs."""

from __future__ import annotations

import math
import textwrap
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit import viz
from evalkit.counterfactual import designs as dz
from evalkit.counterfactual._panel import Setup, check_series, names_of, setup
from evalkit.counterfactual.verdict import VERDICT_RULE, decide
from evalkit.errors import ConfigError, InputDataError
from evalkit.results import Result, Summary, record_warnings
from evalkit.viz import legend_outside
from evalkit.viz.labels import label

#: Series shorter than this (points of the treated authority) get OLS errors by default.
#: The REML AR(1) default of :mod:`evalkit.its` was validated by simulation only from 24
#: points; Turner et al. (2021) preferred OLS below 12.
OLS_BELOW = 24

#: Designs :func:`assess` can run (``designs=`` picks some; the preferred one always runs).
DESIGNS = ("its", "cits", "did", "ascm", "sdid", "ddd")
PREFERRED = "difference-in-differences"

#: The fast designs (used by the simulations): every design but the two optimisation-heavy ones.
FAST_DESIGNS = ("its", "cits", "did", "ddd")


def default_errors(n_points: int) -> str:
    """``"naive"`` (OLS) for fewer than :data:`OLS_BELOW` points, else ``"ar1"`` (REML)."""
    return "naive" if n_points < OLS_BELOW else "ar1"


def _fmt_ratio(x: float) -> str:
    if x == math.inf:
        return "inf"
    return "NA" if not np.isfinite(x) else f"{x:.2f}"


@dataclass
class Robustness(Result):
    """Specification curve: the preferred design (and the controlled ITS's error models) re-run.

    ``table`` columns: ``family, spec, design, estimate, ci_lower, ci_upper``.
    """

    table: pd.DataFrame
    main: float
    la_name: str
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def share_same_side(self) -> float:
        """Share of specifications whose estimate is on the same side of 1 as the main one."""
        e = self.table["estimate"].to_numpy(float)
        e = e[np.isfinite(e)]
        return float(np.mean(np.sign(np.log(e)) == np.sign(math.log(self.main)))) if len(e) else float("nan")

    def summary(self) -> Summary:
        t = self.table
        ex = t[(t["ci_upper"] < 1) | (t["ci_lower"] > 1)]
        text = (f"{len(t)} specifications. Estimates range from {t['estimate'].min():.2f} to "
                f"{t['estimate'].max():.2f}; {len(ex)} of {len(t)} intervals exclude 1.")
        tab = t.assign(**{c: t[c].map(_fmt_ratio) for c in ("estimate", "ci_lower", "ci_upper")})
        return Summary(f"Robustness of {self.la_name}'s estimate", text, {"specifications": tab}, self.notes)

    def plot(self, ax: Any = None) -> Any:
        """The specification curve: every estimate with its interval, sorted, coloured by family."""
        import matplotlib.pyplot as plt

        t = self.table.sort_values("estimate").reset_index(drop=True)
        if ax is None:
            fig, ax = plt.subplots(figsize=(10, 4.8))
        else:
            fig = ax.figure
        fams = list(dict.fromkeys(t["family"]))
        for i, fam in enumerate(fams):
            sub = t[t["family"] == fam]
            e, lo, hi = (sub[c].to_numpy(float) for c in ("estimate", "ci_lower", "ci_upper"))
            ax.errorbar(sub.index.to_numpy(), e, yerr=np.vstack([e - lo, hi - e]),
                        fmt="o", color=f"C{i}", capsize=2, label=fam)
        ax.axhline(1, color="0.2", lw=0.8)
        ax.axhline(self.main, color="C3", ls=":", lw=1, label="main estimate")
        viz.ratio_axis(ax)
        ax.set_xticks(t.index, t["spec"], rotation=60, ha="right", fontsize="x-small")
        ax.set_ylabel("ratio to counterfactual (log scale)")
        ax.set_title(f"{self.la_name}: specification curve", fontsize="medium")
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
        return fig


@dataclass
class Assessment(Result):
    """What :func:`assess` returns.

    Attributes
    ----------
    verdict
        One of ``"reduction"``, ``"increase"``, ``"no detectable effect"``,
        ``"inconclusive"`` (rule: :data:`evalkit.counterfactual.VERDICT_RULE`).
    reason
        The step of the rule that gave the verdict.
    effects
        One row per design: ``design, estimate, ci_lower, ci_upper, p_value,
        n_comparators, note`` (ratios).
    mde
        Smallest reduction (a share, 0.3 = 30%) the preferred design would
        detect in 80% of cases at the 5% level, from the spread of its placebos.
    robustness
        :class:`Robustness` (specification curve).
    event_study
        The event study (reference: last non-outlier pre-year).
    """

    la_name: str
    la_old_code: str
    measure: str
    start_year: int
    verdict: str
    reason: str
    effects: pd.DataFrame
    mde: float
    robustness: Robustness | None
    event_study: dz.EventStudy
    setup: Setup = field(repr=False)
    options: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.effects.copy()

    @property
    def preferred(self) -> pd.Series:
        """The preferred design's row."""
        return self.effects.set_index("design").loc[PREFERRED]

    def effects_text(self) -> str:
        """The effects as fixed-format text (two decimals; for checked notebook cells)."""
        lines = [f"{'design':<58}{'ratio':>6}  {'95% interval':<14}{'p':>6}{'LAs':>5}"]
        for r in self.effects.itertuples():
            ci = f"{_fmt_ratio(r.ci_lower)} to {_fmt_ratio(r.ci_upper)}"
            p = "NA" if not np.isfinite(r.p_value) else f"{r.p_value:.2f}"
            lines.append(f"{r.design:<58}{_fmt_ratio(r.estimate):>6}  {ci:<14}{p:>6}{r.n_comparators:>5}")
        return "\n".join(lines)

    def findings(self) -> str:
        """Plain-language findings, verdict first (never a point estimate whose interval includes 1 first)."""
        p = self.preferred
        lo, hi = float(p["ci_lower"]), float(p["ci_upper"])
        what = f"{label(self.measure, units=False)} in {self.la_name} from {self.start_year}"
        out = [f"**Verdict: {self.verdict}.** ({self.reason}.)"]
        if self.verdict in ("reduction", "increase"):
            out.append(f"Relative to {int(p['n_comparators'])} comparison authorities, {what} was "
                       f"{abs(float(p['estimate']) - 1):.0%} {'lower' if p['estimate'] < 1 else 'higher'} "
                       f"than expected (ratio {float(p['estimate']):.2f}, 95% interval {lo:.2f} to {hi:.2f}).")
        elif np.isfinite(lo):
            out.append(f"The preferred design's 95% interval for {what} runs from {lo:.2f} to {hi:.2f} "
                       f"times the counterfactual: reductions larger than {max(0.0, 1 - lo):.0%} and "
                       f"increases larger than {max(0.0, hi - 1):.0%} are ruled out; within that range "
                       "the data cannot tell.")
        if np.isfinite(self.mde):
            out.append(f"Minimum detectable effect: the preferred design would detect a reduction of "
                       f"{self.mde:.0%} or more in 80% of cases (5% level).")
        es = self.event_study
        out.append(f"Event study: {es.note}; pre-period check placebo p = {es.pretrend_p:.2f}.")
        if self.robustness is not None:
            r = self.robustness
            out.append(f"Robustness: {len(r.table)} specifications give ratios from "
                       f"{r.table['estimate'].min():.2f} to {r.table['estimate'].max():.2f}.")
        return "\n\n".join(out)

    def comparators_text(self) -> str:
        """The comparators with their pre-period features, as fixed-format text."""
        from evalkit.counterfactual._panel import pre_features

        su = self.setup
        f = pre_features(su.logs, su.pre, su.years)
        names = self.options.get("_names", {})
        lines = [f"{len(su.comparators)} comparators, nearest first (pre-period mean of the log series and "
                 "its yearly trend):",
                 f"  {'code':>5} {'authority':<30}{'pre mean':>10}{'trend':>8}{'distance':>10}"]
        for c in [su.code, *su.comparators]:
            lab = names.get(c, c)
            d = "" if c == su.code else f"{su.distance[c]:.2f}"
            lines.append(f"  {c:>5} {lab[:29]:<30}{math.exp(f.loc[c, 'pre_level']):>10.1f}"
                         f"{f.loc[c, 'pre_trend']:>+8.3f}{d:>10}")
        return "\n".join(lines)

    def event_study_text(self) -> str:
        """The event study as fixed-format text (ratios, two decimals)."""
        es = self.event_study
        lines = [f"reference year {es.ref_year}; pre-period check placebo p = {es.pretrend_p:.2f}",
                 f"  {'year':>6}{'ratio':>8}{'placebo band':>18}"]
        for r in es.coefs.itertuples():
            flag = "  outside the band" if r.year in es.outside else ""
            lines.append(f"  {r.year:>6}{r.estimate:>8.2f}{f'{r.placebo_lower:.2f} to {r.placebo_upper:.2f}':>18}{flag}")
        return "\n".join(lines)

    def plot_event_study(self, ax: Any = None) -> Any:
        """Event-study coefficients (ratios) with the placebo band."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4))
        else:
            fig = ax.figure
        c = self.event_study.coefs
        ax.fill_between(c["year"], c["placebo_lower"], c["placebo_upper"], color="0.85",
                        label="placebo 95% band")
        pre = c["year"] < self.start_year
        ax.plot(c.loc[pre, "year"], c.loc[pre, "estimate"], "o", color="0.4", label="before the start")
        ax.plot(c.loc[~pre, "year"], c.loc[~pre, "estimate"], "o", color="C3", label="from the start")
        ax.axhline(1, color="0.2", lw=0.8)
        ax.axvline(self.start_year - 0.5, color="0.3", ls="--", lw=1)
        viz.ratio_axis(ax)
        viz.year_axis(ax)
        ax.set_ylabel(f"gap ratio to the year ending 31 March {self.event_study.ref_year}")
        ax.set_title(f"{self.la_name}: event study (reference {self.event_study.ref_year})", fontsize="medium")
        fig.tight_layout()  # first: the legend is placed below the laid-out tick labels and title
        legend_outside(ax, where="below", fontsize="small")
        return fig

    def findings_text(self) -> str:
        """:meth:`findings` as plain text (for printed, output-checked cells)."""
        from evalkit.results import _plain

        return _plain(self.findings())

    def effects_rounded(self, digits: int = 3) -> pd.DataFrame:
        """The effects table rounded for a derived CSV (stable across machines)."""
        t = self.effects.copy()
        for c in ("estimate", "ci_lower", "ci_upper", "p_value"):
            t[c] = t[c].astype(float).round(digits)
        return t.assign(la_name=self.la_name, measure=self.measure, start_year=self.start_year,
                        verdict=self.verdict)

    def summary(self) -> Summary:
        tab = self.effects.copy()
        for c in ("estimate", "ci_lower", "ci_upper"):
            tab[c] = tab[c].map(_fmt_ratio)
        tab["p_value"] = tab["p_value"].map(lambda v: "NA" if not np.isfinite(v) else f"{v:.2f}")
        design_notes = [f"{r.design}: {r.note}" for r in self.effects.itertuples() if r.note]
        return Summary(f"{self.la_name}, {self.measure}, service from {self.start_year}", self.findings(),
                       {"effects (ratios to the counterfactual)": tab.drop(columns="note")},
                       design_notes + list(self.notes))

    def counterfactual(self) -> pd.DataFrame:
        """Observed values and the DiD counterfactual by year (values, not logs)."""
        su = self.setup
        C = su.comp_matrix()
        gap = su.treated - C.mean(axis=0)
        cf = C.mean(axis=0) + gap[su.pre].mean()
        return pd.DataFrame({"year": su.years, "observed": np.exp(su.treated), "counterfactual": np.exp(cf)})

    def plot(self, ax: Any = None) -> Any:
        """The counterfactual plot: observed values, the DiD counterfactual, and (if run) the ASCM one."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8.5, 4.2))
        else:
            fig = ax.figure
        cf = self.counterfactual()
        pl = self.effects.set_index("design").loc[PREFERRED]
        post = cf["year"] >= self.start_year
        ax.plot(cf["year"], cf["observed"], "o-", color="C0", lw=2, label=self.la_name)
        ax.plot(cf["year"], cf["counterfactual"], "--", color="0.3",
                label=f"counterfactual (DiD, {int(pl['n_comparators'])} comparators)")
        if np.isfinite(pl["ci_lower"]):
            ax.fill_between(cf.loc[post, "year"], cf.loc[post, "counterfactual"] * pl["ci_lower"],
                            cf.loc[post, "counterfactual"] * pl["ci_upper"], color="0.85",
                            label="counterfactual x 95% interval of the effect")
        a = self.effects.set_index("design")
        if "augmented synthetic control" in a.index and "synthetic" in self.options.get("_ascm", {}):
            d = self.options["_ascm"]
            ax.plot(d["years"], np.exp(d["synthetic"]), ":", color="C2", label="augmented synthetic control")
        ax.axvline(self.start_year - 0.5, color="0.3", ls="--", lw=1)
        ax.set_xlabel("year ending 31 March")
        ax.set_ylabel(textwrap.fill(label(self.measure), 32))
        ax.set_title(f"{self.la_name}: verdict - {self.verdict}", fontsize="medium")
        fig.tight_layout()  # first: the legend is placed below the laid-out tick labels and title
        legend_outside(ax, where="below", ncol=2, fontsize="small")
        return fig


def mde_from_placebos(placebos: np.ndarray, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest reduction detected with ``power`` by the placebo interval.

    The interval's upper end is below 1 when the log estimate is below the
    placebos' ``k``-th order statistic (``k = floor(alpha/2 (n+1))``, see
    :func:`evalkit.counterfactual.designs.placebo_interval`); with noise distributed as the placebos, a
    true log effect ``d`` is detected with probability ``power`` when
    ``d = q(alpha/2) - q(power)``. Returned as a share, ``1 - exp(d)``.
    """
    pl = np.asarray(placebos, float)
    pl = pl[np.isfinite(pl)]
    if len(pl) < 2:
        return float("nan")
    k = int(math.floor(alpha / 2 * (len(pl) + 1)))
    if k >= 1:
        d = float(np.sort(pl)[k - 1] - np.quantile(pl, power))
    else:
        from scipy import stats

        sd = float(np.std(pl, ddof=1))
        d = -sd * float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    return float(1 - math.exp(min(d, 0.0)))


def _within_logs(within: pd.DataFrame | None, su: Setup) -> pd.DataFrame | None:
    if within is None:
        return None
    w = check_series(within, "within")
    wide = w.pivot(index="la_old_code", columns="year", values="value").reindex(columns=su.years)
    return np.log(wide.where(wide > 0))


def robustness(series: pd.DataFrame, la: str, start_year: int, *, n_comparators: int, errors: str,
               alpha: float, su: Setup, first_year: int | None, end_year: int | None) -> Robustness:
    """The specification curve (see :func:`assess`)."""
    rows: list[dict[str, Any]] = []
    notes: list[str] = []

    def add(family: str, spec: str, e: dz.DesignEffect) -> None:
        rows.append({"family": family, "spec": spec, "design": e.design, "estimate": e.estimate,
                     "ci_lower": e.ci_lower, "ci_upper": e.ci_upper})

    kw = {"first_year": first_year, "end_year": end_year}
    add("main", f"DiD, start {start_year}, {n_comparators} comparators", dz.did(su, alpha))
    for sy in (start_year - 1, start_year + 1):
        try:
            add("start year", f"start {sy}", dz.did(setup(series, la, sy, n_comparators=n_comparators, **kw),
                                                    alpha))
        except InputDataError as e:
            notes.append(f"start {sy}: {e}")
    for y in [y for y in su.years if y < start_year]:
        try:
            add("leave one pre-year out", f"without {y}",
                dz.did(setup(series, la, start_year, n_comparators=n_comparators, drop_years=(y,), **kw), alpha))
        except InputDataError as e:
            notes.append(f"without {y}: {e}")
    for k in sorted({10, 20, 30} - {n_comparators}):
        try:
            add("comparators", f"{k} comparators", dz.did(setup(series, la, start_year, n_comparators=k, **kw),
                                                          alpha))
        except InputDataError as e:
            notes.append(f"{k} comparators: {e}")
    for err in ("naive", "ar1", "newey-west"):
        add("error model (controlled ITS)", f"CITS {err}", dz.its_controlled(su, err, alpha))
    tab = pd.DataFrame(rows)
    return Robustness(tab, float(tab["estimate"].iloc[0]), su.name, notes)


def assess(
    series: pd.DataFrame,
    la: str | int,
    start_year: int,
    *,
    n_comparators: int = 20,
    designs: tuple[str, ...] | list[str] = DESIGNS,
    within: pd.DataFrame | None = None,
    within_label: str = "under-10 starts",
    errors: str | None = None,
    alpha: float = 0.05,
    first_year: int | None = None,
    end_year: int | None = None,
    robust: bool = True,
    seed: int = 0,
    measure: str | None = None,
) -> Assessment:
    """One verdict on whether a measure changed in one authority from ``start_year``.

    Parameters
    ----------
    series
        Long frame of :func:`evalkit.la_panel.measure_series` (``la_old_code,
        la_name, year, value``) for every authority.
    la
        The authority (name or ``la_old_code``).
    start_year
        First year (ending 31 March) of the service.
    n_comparators
        Comparison authorities: the nearest in pre-period level and trend of
        the log series, among authorities with a positive value in every year
        the treated one has (pre-period data only). Each is also a placebo.
    designs
        Which of :data:`DESIGNS` to run (the preferred ``"did"`` always runs).
    within
        For the triple difference: the same measure for a group the service
        should not touch (e.g. :func:`under10_series`), same long form.
    within_label
        Name of that group in the output.
    errors
        Error model of the ITS designs; default :func:`default_errors` of the
        number of points (OLS below :data:`OLS_BELOW`).
    alpha
        1 - confidence level.
    first_year, end_year
        Restrict the years used.
    robust
        Compute the specification curve (:attr:`Assessment.robustness`).
    seed
        Seed of the permutation-based designs (ASCM, SDiD).
    measure
        Label (default ``series.attrs["measure"]``).

    Returns
    -------
    Assessment

    Notes
    -----
    The verdict rule (:data:`evalkit.counterfactual.VERDICT_RULE`):

    """
    unknown = [d for d in designs if d not in DESIGNS]
    if unknown:
        raise ConfigError(f"designs: {unknown} are not among {list(DESIGNS)}")
    measure = measure or str(series.attrs.get("measure", "value"))
    notes: list[str] = []
    su = setup(series, la, start_year, n_comparators=n_comparators, first_year=first_year, end_year=end_year)
    notes += su.notes
    errors = errors or default_errors(len(su.years))
    results: list[dz.DesignEffect] = []
    opts: dict[str, Any] = {"errors": errors, "n_comparators": n_comparators, "alpha": alpha,
                            "_names": names_of(check_series(series)).to_dict()}
    with record_warnings(notes):
        if "its" in designs:
            results.append(dz.its_single(su, errors, alpha))
        if "cits" in designs:
            results.append(dz.its_controlled(su, errors, alpha))
        main = dz.did(su, alpha)
        results.append(main)
        es = dz.event_study(su, alpha)
        if "ascm" in designs:
            a = dz.ascm(su, alpha, seed)
            results.append(a)
            opts["_ascm"] = a.details
        if "sdid" in designs:
            results.append(dz.sdid(su, alpha, seed))
        if "ddd" in designs:
            results.append(dz.ddd(su, _within_logs(within, su), alpha, within_label))
    effects = pd.DataFrame([r.row() for r in results])
    verdict, reason = decide(effects.dropna(subset=["ci_lower"]) if len(effects) else effects, PREFERRED,
                             es.pretrend_p)
    rob = None
    if robust:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rob = robustness(series, la, start_year, n_comparators=n_comparators, errors=errors, alpha=alpha,
                             su=su, first_year=first_year, end_year=end_year)
    return Assessment(la_name=su.name, la_old_code=su.code, measure=measure, start_year=int(start_year),
                      verdict=verdict, reason=reason, effects=effects, mde=mde_from_placebos(main.placebos, alpha),
                      robustness=rob, event_study=es, setup=su, options=opts, notes=notes)


assess.__doc__ = (assess.__doc__ or "") + "\n".join("    " + ln for ln in VERDICT_RULE.splitlines()) + "\n"
