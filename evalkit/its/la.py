"""Application layer: a controlled ITS of one local authority of the DfE panel against comparators."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.its._base import DEFAULT_ERRORS, ERRORS, ITSError
from evalkit.its.model import ITSResults, fit_its

# --------------------------------------------------------------------------- local-authority panels


@dataclass
class LAITSResult:
    """A controlled ITS of one local authority against comparators (see :func:`fit_la_its`).

    Attributes
    ----------
    controlled
        The controlled ITS (the authority against the mean of its comparators).
    single
        The same model for the authority alone (no comparison series).
    comparators
        The comparators: ``la_old_code, la_name, region, pre_level, pre_trend,
        distance`` (distance only when chosen automatically).
    series
        Every value used: ``la_old_code, la_name, role, year, value``.
    placebo
        In-space placebo fits: each comparator in turn treated as if it had
        the intervention, against the other comparators (level and slope
        estimates on the ratio scale), or ``None``.
    notes
        Plain-language notes on the data (missing years, partial first year, ...).
    """

    la_old_code: str
    la_name: str
    measure: str
    start_year: int
    how: str
    controlled: ITSResults
    single: ITSResults
    comparators: pd.DataFrame
    series: pd.DataFrame
    placebo: pd.DataFrame | None
    notes: list[str]
    inputs: dict[str, Any] = field(default_factory=dict, repr=False)

    def placebo_p(self) -> dict[str, float]:
        """Rank p-value of each effect among the placebos: (1 + #|placebo| >= |effect|) / (1 + #placebos).

        Effects are compared on the log scale (distance of the ratio from 1).
        """
        return _placebo_p(self.controlled, self.placebo)

    def sensitivity(self) -> pd.DataFrame:
        """The controlled effects under every ``errors`` option (same data and comparators).

        Columns ``errors, effect, estimate, ci_lower, ci_upper, p_value,
        placebo_p, rho``. The point estimates differ between ``"ar1"`` (GLS)
        and the other two (OLS); the intervals differ between all three.
        """
        rows = []
        for e in ERRORS:
            if e == self.inputs.get("errors"):
                res, pl = self.controlled, self.placebo
            else:
                res, pl = _fit_la_set(self.inputs["treated"], self.inputs["comparators"],
                                      self.inputs["outcome"], self.start_year, errors=e, impact=self.inputs["impact"],
                                      labels=(self.la_name, self.controlled.labels["control"]),
                                      placebo=self.placebo is not None)
            pp = _placebo_p(res, pl)
            for k, r in res.effects.iterrows():
                rows.append({"errors": e, "effect": k, "estimate": r["estimate"],
                             "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                             "p_value": r["p_value"], "placebo_p": pp.get(k, np.nan),
                             "rho": res.rho if res.rho is not None else np.nan})
        return pd.DataFrame(rows)

    def sensitivity_text(self, digits: int = 2) -> str:
        """:meth:`sensitivity` as fixed-format text."""
        t = self.sensitivity()
        lines = [f"{'errors':<12}{'effect':<8}{'ratio':>7}  {'95% CI':<15}{'p':>7}{'placebo p':>11}{'rho':>7}"]
        for r in t.itertuples():
            ci = f"{r.ci_lower:.{digits}f} to {r.ci_upper:.{digits}f}"
            pp = "" if not np.isfinite(r.placebo_p) else f"{r.placebo_p:.2f}"
            rho = "" if not np.isfinite(r.rho) else f"{r.rho:.2f}"
            lines.append(f"{r.errors:<12}{r.effect:<8}{r.estimate:>7.{digits}f}  {ci:<15}"
                         f"{r.p_value:>7.3f}{pp:>11}{rho:>7}")
        return "\n".join(lines)

    def plain_language(self) -> str:
        """The result in plain words, with the data-specific caveats."""
        c = self.controlled
        eff = c.effects
        s = self.series
        tr = s.loc[(s["role"] == "treated") & s["value"].notna()]
        first, last = int(tr["year"].min()), int(tr["year"].max())
        n_pre = int((tr["year"] < self.start_year).sum())
        n_post = int((tr["year"] >= self.start_year).sum())
        k = len(self.comparators)
        pp = self.placebo_p()
        from evalkit.la_panel import measure_label

        what = measure_label(self.measure)
        out = [
            f"{self.la_name}, {what}, years ending 31 March {first}-{last}: {n_pre} years "
            f"before {self.start_year} and {n_post} from it. Comparison: the mean of {k} other "
            f"authorities ({'chosen for a similar pre-' + str(self.start_year) + ' level and trend' if self.how != 'given' else 'as given'})."
        ]
        if "level" in eff.index:
            r = eff.loc["level"]
            pct = (r["estimate"] - 1) * 100
            inside = r["ci_lower"] <= 1 <= r["ci_upper"]
            out.append(
                f"In {self.start_year} the figure for {self.la_name} was {abs(pct):.0f}% "
                f"{'lower' if pct < 0 else 'higher'} than its pre-{self.start_year} course, relative "
                f"to the comparators, would predict (ratio {r['estimate']:.2f}, 95% CI "
                f"{r['ci_lower']:.2f} to {r['ci_upper']:.2f}): "
                + ("the interval includes no change." if inside else "the interval excludes no change.")
            )
        if "slope" in eff.index:
            r = eff.loc["slope"]
            inside = r["ci_lower"] <= 1 <= r["ci_upper"]
            out.append(
                f"The yearly trend after {self.start_year} changed by a factor of {r['estimate']:.2f} "
                f"per year (95% CI {r['ci_lower']:.2f} to {r['ci_upper']:.2f}); "
                + ("no clear change in trend." if inside else "the interval excludes no change in trend.")
            )
        if pp:
            n_pl = 0 if self.placebo is None else len(self.placebo)
            bits = [f"{e} {v:.2f}" for e, v in pp.items()]
            out.append(
                f"Placebo check: each of the {n_pl} comparators was given a pretend start in "
                f"{self.start_year} and fitted against the others. Placebo p-value, (1 + number "
                f"with an effect at least as large) / (1 + {n_pl}): {', '.join(bits)} "
                f"(the smallest possible is {1 / (n_pl + 1):.2f})."
            )
        pre = tr.loc[tr["year"] < self.start_year].sort_values("year")
        if len(pre) >= 3 and (pre["value"] > 0).all():
            # the last pre-year against the log-linear line through the earlier pre-years
            earlier, last = pre.iloc[:-1], pre.iloc[-1]
            coef = np.polyfit(earlier["year"].to_numpy(float), np.log(earlier["value"].to_numpy(float)), 1)
            dev = float(last["value"] / math.exp(np.polyval(coef, float(last["year"]))) - 1)
            if abs(dev) >= 0.2:
                out.append(
                    f"The last year before the start ({int(last['year'])}: {last['value']:.0f}) was "
                    f"{abs(dev):.0%} {'above' if dev > 0 else 'below'} the line through the earlier "
                    "pre-period years: "
                    + ("a fall after a peak can be regression to the mean rather than an effect."
                       if dev > 0 else "a rise after a trough can be regression to the mean "
                       "rather than an effect.")
                )
        if "level" in eff.index:
            sens = self.sensitivity()
            lv = sens.loc[sens["effect"] == "level"].set_index("errors")["estimate"]
            if len(lv) > 1:
                short = n_pre + n_post < 12
                out.append(
                    "Depending on how autocorrelation is handled the level ratio is "
                    + ", ".join(f"{v:.2f} ({e})" for e, v in lv.items())
                    + ("; for series of fewer than 12 points a published simulation study "
                       "(Turner et al. 2021) preferred plain OLS ('naive')." if short else ".")
                )
        if c.rho is not None:
            out.append(f"Estimated year-to-year autocorrelation of the errors: {c.rho:.2f} "
                       f"(from {len(c.frame)} points, so itself very uncertain).")
        out += self.notes
        return "\n".join(out)

    def effects_table(self) -> pd.DataFrame:
        """Effects of both fits (ratios), with the placebo p-value for the controlled one."""
        pp = self.placebo_p()
        rows = []
        for model, res in (("controlled", self.controlled), ("authority alone", self.single)):
            for k, r in res.effects.iterrows():
                rows.append(
                    {
                        "la_name": self.la_name,
                        "measure": self.measure,
                        "start_year": self.start_year,
                        "model": model,
                        "effect": k,
                        "estimate": r["estimate"],
                        "ci_lower": r["ci_lower"],
                        "ci_upper": r["ci_upper"],
                        "p_value": r["p_value"],
                        "placebo_p": pp.get(k, np.nan) if model == "controlled" else np.nan,
                        "n_comparators": len(self.comparators) if model == "controlled" else 0,
                    }
                )
        return pd.DataFrame(rows)

    def effects_text(self, digits: int = 2) -> str:
        """The effects as fixed-format text (for output-checked notebook cells)."""
        t = self.effects_table()
        lines = [f"{'model':<17}{'effect':<8}{'ratio':>7}  {'95% CI':<15}{'p':>7}{'placebo p':>11}"]
        for r in t.itertuples():
            ci = f"{r.ci_lower:.{digits}f} to {r.ci_upper:.{digits}f}"
            pp = "" if not np.isfinite(r.placebo_p) else f"{r.placebo_p:.2f}"
            lines.append(
                f"{r.model:<17}{r.effect:<8}{r.estimate:>7.{digits}f}  {ci:<15}{r.p_value:>7.3f}{pp:>11}"
            )
        return "\n".join(lines)

    def comparators_text(self) -> str:
        """The comparators as fixed-format text."""
        c = self.comparators
        head = f"{len(c)} comparators ({self.how}):"
        lines = [head]
        for r in c.itertuples():
            d = "" if not np.isfinite(getattr(r, "distance", np.nan)) else f"  distance {r.distance:.2f}"
            lines.append(
                f"  {r.la_old_code:>4} {r.la_name:<32} pre-period mean {r.pre_level:7.1f}, "
                f"trend {r.pre_trend:+6.1f}/year{d}"
            )
        return "\n".join(lines)

    def plot(self, title: str | None = None):
        """Two panels: the controlled fit, and every comparator's series beside the authority's."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [3, 2]})
        self.controlled.plot(ax=axes[0], ylabel=self.measure,
                             title=title or f"{self.la_name}: controlled ITS of {self.measure}")
        s = self.series
        for _code, sub in s.loc[s["role"] == "comparator"].groupby("la_old_code"):
            axes[1].plot(sub["year"], sub["value"], color="0.7", lw=0.9)
        tr = s.loc[s["role"] == "treated"]
        axes[1].plot(tr["year"], tr["value"], "o-", color="C0", lw=2, label=self.la_name)
        axes[1].plot([], [], color="0.7", label="comparators")
        axes[1].axvline(self.start_year - 0.5, color="0.3", ls="--", lw=1)
        axes[1].set_xlabel("year ending 31 March")
        axes[1].set_ylabel(self.measure)
        axes[1].set_title("the authority and each comparator")
        axes[1].legend(fontsize="small")
        fig.tight_layout()
        return fig


def fit_la_its(
    series: pd.DataFrame,
    la: str,
    start_year: int,
    *,
    comparators: str | Sequence[str] = "auto",
    n_comparators: int = 10,
    same_region: bool = False,
    placebo: bool = True,
    errors: str = DEFAULT_ERRORS,
    impact: str = "level+slope",
    measure: str | None = None,
) -> LAITSResult:
    """Controlled ITS of one authority's yearly measure against comparison authorities.

    The outcome is modelled on the log scale (``fit_its(..., log_outcome=True)``),
    so the effects are ratios; the comparison series is the mean of the
    comparators' values each year; errors are AR(1) by REML with a separate
    variance for each series (the default ``errors``).

    Parameters
    ----------
    series
        One measure for every authority and year
        (:func:`evalkit.la_panel.measure_series`, or
        :func:`evalkit.la_panel.series_from_table` stacked with it).
    la
        The authority: name or code (:func:`evalkit.la_panel.find_la`).
    start_year
        First year (ending 31 March) of the intervention.
    comparators
        ``"auto"``: the ``n_comparators`` authorities nearest in pre-period level
        and trend (:func:`evalkit.la_compare.choose_comparators`) among those
        with a value in every year the authority has. Or a list of names/codes.
    n_comparators
        Number of comparators for ``"auto"``.
    same_region
        ``"auto"`` only: choose within the authority's region.
    placebo
        Also fit each comparator as if treated (in-space placebo).
    errors, impact
        As :func:`fit_its`.
    measure
        Name of the measure for labels (default ``series.attrs["measure"]``).

    Returns
    -------
    LAITSResult
    """
    from evalkit import la_panel

    need = ["la_old_code", "la_name", "year", "value"]
    if not isinstance(series, pd.DataFrame) or any(c not in series.columns for c in need):
        raise ITSError(f"series: expected la_panel.measure_series() output with columns {need}")
    s = series.copy()
    s["la_old_code"] = s["la_old_code"].astype(str)
    if "region" not in s.columns:
        s["region"] = ""
    code = la_panel.find_la(s, la)
    name = str(s.loc[s["la_old_code"] == code, "la_name"].iloc[-1])
    measure = measure or str(series.attrs.get("measure", "value"))
    notes: list[str] = []
    tr = s.loc[s["la_old_code"] == code].sort_values("year")
    have = tr.loc[tr["value"].notna(), "year"].astype(int)
    if have.empty:
        raise ITSError(f"la: {name} has no values of this measure")
    years = list(range(int(tr["year"].min()), int(tr["year"].max()) + 1))
    missing = sorted(set(years) - set(have))
    if missing:
        sup: list[int] = []
        if "suppressed" in tr.columns:
            sup = tr.loc[tr["year"].isin(missing) & tr["suppressed"].astype(bool), "year"].tolist()
        notes.append(
            f"{name} has no usable value for {', '.join(map(str, missing))}"
            + (f" (suppressed by DfE: {', '.join(map(str, sup))}; 1 to 5 children in an age band)"
               if sup else "")
            + "; left out of the fit"
        )
    if not (min(have) < start_year <= max(have)):
        raise ITSError(
            f"start_year: {start_year} must be after {min(have)} and no later than {max(have)} "
            f"(the years {name} has values for)"
        )
    wide = s.pivot_table(index="la_old_code", columns="year", values="value", aggfunc="first")
    wide = wide.reindex(columns=years)
    complete = wide.index[wide.notna().all(axis=1) & (wide > 0).all(axis=1)]
    if isinstance(comparators, str):
        if comparators != "auto":
            raise ITSError(f"comparators: {comparators!r} must be 'auto' or a list of authorities")
        from evalkit import la_compare

        eligible = [c for c in complete if c != code]
        if len(eligible) < n_comparators:
            raise ITSError(
                f"n_comparators: only {len(eligible)} authorities have a value in every year "
                f"{years[0]}-{years[-1]}; ask for fewer"
            )
        pool = s.loc[s["la_old_code"].isin([*eligible, code])]
        cs = la_compare.choose_comparators(pool, code, start_year, n=n_comparators,
                                           same_region=same_region)
        chosen = list(cs.selected)
        feats = cs.features.loc[chosen, ["la_name", "pre_level", "pre_trend"]].copy()
        feats["distance"] = cs.distance.loc[chosen]
        how = "chosen automatically: nearest in pre-period level and trend, among authorities " \
              f"with a value in every year {years[0]}-{years[-1]}"
    else:
        from evalkit import la_compare

        chosen = [la_panel.find_la(s, c) for c in comparators]
        if code in chosen:
            raise ITSError(f"comparators: {name} is the treated authority; it cannot be its own comparator")
        if len(set(chosen)) != len(chosen):
            raise ITSError("comparators: an authority is listed twice")
        bad = [c for c in chosen if c not in complete]
        if bad:
            lab = s.drop_duplicates("la_old_code", keep="last").set_index("la_old_code")["la_name"]
            gaps = {c: [y for y in years if not (wide.loc[c, y] > 0)] if c in wide.index else years
                    for c in bad}
            desc = "; ".join(f"{lab.get(c, c)} ({', '.join(map(str, g))})" for c, g in gaps.items())
            chosen = [c for c in chosen if c not in bad]
            if not chosen:
                raise ITSError(
                    f"comparators: none of the given authorities has a positive value in every year "
                    f"{years[0]}-{years[-1]} (missing or suppressed: {desc}); choose others or use 'auto'"
                )
            notes.append(
                f"comparators left out because a year is missing or suppressed: {desc} "
                "(a mean over a changing set of authorities would not be comparable from year to year)"
            )
        feats = la_compare.pre_period_features(s.loc[s["la_old_code"].isin([*chosen, code])],
                                               start_year).loc[chosen, ["la_name", "pre_level", "pre_trend"]]
        feats["distance"] = np.nan
        how = "given"
    regions = s.drop_duplicates("la_old_code", keep="last").set_index("la_old_code")["region"]
    comp_table = feats.reset_index().rename(columns={"index": "la_old_code"})
    comp_table.insert(2, "region", regions.reindex(comp_table["la_old_code"]).to_numpy())

    used = s.loc[s["la_old_code"].isin([code, *chosen]) & s["year"].isin(years)].copy()
    used["role"] = np.where(used["la_old_code"] == code, "treated", "comparator")
    used = used[["la_old_code", "la_name", "region", "role", "year", "value"]].sort_values(
        ["role", "la_old_code", "year"], ascending=[False, True, True]).reset_index(drop=True)
    # the outcome column carries the measure's name (it appears in the text and plots)
    ycol = measure if measure not in used.columns else "value"
    fit_data = used.rename(columns={"value": ycol})
    treated_df = fit_data.loc[fit_data["role"] == "treated"]
    comp_df = fit_data.loc[fit_data["role"] == "comparator"]
    labels = (name, f"mean of {len(chosen)} comparators")
    controlled, placebo_tab = _fit_la_set(treated_df, comp_df, ycol, start_year, errors=errors,
                                          impact=impact, labels=labels,
                                          placebo=placebo and len(chosen) >= 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = fit_its(treated_df, ycol, "year", start_year, labels=(name, "comparison"),
                         log_outcome=True, errors=errors, impact=impact)
    return LAITSResult(
        la_old_code=code,
        la_name=name,
        measure=measure,
        start_year=int(start_year),
        how=how,
        controlled=controlled,
        single=single,
        comparators=comp_table,
        series=used,
        placebo=placebo_tab,
        notes=notes,
        inputs={"treated": treated_df, "comparators": comp_df, "errors": errors, "impact": impact,
                "outcome": ycol},
    )


def _fit_la_set(
    treated: pd.DataFrame, comps: pd.DataFrame, outcome: str, start_year: int, *, errors: str,
    impact: str,
    labels: tuple[str, str], placebo: bool,
) -> tuple[ITSResults, pd.DataFrame | None]:
    """The controlled fit of one authority against the mean of its comparators, and placebos."""
    kw = dict(log_outcome=True, errors=errors, impact=impact, control_pool="mean")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        controlled = fit_its(treated, outcome, "year", start_year, control=comps,
                             group="la_old_code", labels=labels, **kw)
    if not placebo:
        return controlled, None
    rows = []
    for c in comps["la_old_code"].unique():
        others = comps.loc[comps["la_old_code"] != c]
        me = comps.loc[comps["la_old_code"] == c]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = fit_its(me, outcome, "year", start_year, control=others, group="la_old_code",
                            **kw)
        except (ITSError, np.linalg.LinAlgError):
            continue
        row = {"la_old_code": c, "la_name": str(me["la_name"].iloc[0])}
        row.update({k: float(v) for k, v in r.effects["estimate"].items()})
        rows.append(row)
    return controlled, pd.DataFrame(rows)


def _placebo_p(res: ITSResults, placebo: pd.DataFrame | None) -> dict[str, float]:
    if placebo is None or placebo.empty:
        return {}
    out = {}
    for k in res.effects.index:
        stat = abs(math.log(res.effects.loc[k, "estimate"]))
        pl = np.abs(np.log(placebo[k].to_numpy(float)))
        pl = pl[np.isfinite(pl)]
        out[k] = float((1 + np.sum(pl >= stat - 1e-12)) / (1 + len(pl)))
    return out
