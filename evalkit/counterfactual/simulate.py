"""Injected-effect simulations on a real panel: how often each verdict comes out.

Known effects are injected into real authorities' series (their values from
the start year multiplied by ``1 - reduction``), the authority and start year
drawn at random with a seed. With no injected effect the share of
``"reduction"`` or ``"increase"`` verdicts is the false-positive rate; with an
effect, the share of ``"reduction"`` is the power. The same for
:func:`evalkit.counterfactual.programme` with several staggered adopters,
reporting the coverage of its interval.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.counterfactual._panel import check_series
from evalkit.counterfactual.assess import FAST_DESIGNS, assess
from evalkit.counterfactual.programme import programme
from evalkit.errors import EvalkitError


def inject(series: pd.DataFrame, codes: dict[str, int], reduction: float) -> pd.DataFrame:
    """``series`` with each authority's values from its start year multiplied by ``1 - reduction``."""
    s = check_series(series)
    start = s["la_old_code"].map(codes)
    hit = start.notna() & (s["year"] >= start.fillna(10**6))
    s.loc[hit, "value"] = s.loc[hit, "value"] * (1 - reduction)
    s.attrs = dict(series.attrs)
    return s


def complete_codes(series: pd.DataFrame) -> list[str]:
    """Authorities with a positive value in every year of the series (sorted codes)."""
    s = check_series(series)
    w = s.pivot(index="la_old_code", columns="year", values="value")
    return sorted(w.index[(w.notna() & (w > 0)).all(axis=1)])


@dataclass
class SimulationSummary:
    """Verdict shares of one simulated scenario."""

    reduction: float
    n: int
    verdicts: dict[str, float]
    coverage: float
    mean_mde: float

    @property
    def positive_rate(self) -> float:
        """Share of "reduction" or "increase" verdicts (the false-positive rate when reduction = 0)."""
        return self.verdicts.get("reduction", 0.0) + self.verdicts.get("increase", 0.0)

    def line(self) -> str:
        """One fixed-format line."""
        v = ", ".join(f"{k} {self.verdicts.get(k, 0.0):.2f}" for k in
                      ("reduction", "increase", "no detectable effect", "inconclusive"))
        return (f"injected reduction {self.reduction:.0%}: n={self.n}; {v}; "
                f"interval coverage {self.coverage:.2f}; mean MDE {self.mean_mde:.2f}")


def simulate_assess(series: pd.DataFrame, reduction: float, n: int, *, seed: int = 0,
                    years: tuple[int, int] = (2014, 2019), designs: tuple[str, ...] = FAST_DESIGNS,
                    n_comparators: int = 20) -> SimulationSummary:
    """Run :func:`assess` on ``n`` random authorities with an injected reduction.

    Authorities are drawn (with a seed) from those with a positive value in
    every year, start years uniformly from ``years``. Only the ``designs``
    given run; since other designs can only turn a "reduction" or "increase"
    into "inconclusive" (see the verdict rule), the false-positive rate of the
    full ladder is at most the one reported here.
    """
    rng = np.random.default_rng(seed)
    codes = complete_codes(series)
    counts: Counter[str] = Counter()
    covered = 0
    mdes = []
    done = 0
    for _ in range(n):
        code = str(rng.choice(codes))
        sy = int(rng.integers(years[0], years[1] + 1))
        s = inject(series, {code: sy}, reduction)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = assess(s, code, sy, designs=designs, robust=False, n_comparators=n_comparators)
        except EvalkitError:
            continue
        done += 1
        counts[a.verdict] += 1
        p = a.preferred
        covered += int(p["ci_lower"] <= 1 - reduction <= p["ci_upper"])
        mdes.append(a.mde)
    return SimulationSummary(reduction, done, {k: v / max(done, 1) for k, v in counts.items()},
                             covered / max(done, 1), float(np.nanmean(mdes)) if mdes else math.nan)


def simulate_programme(series: pd.DataFrame, reduction: float, n: int, *, n_adopters: int = 15,
                       seed: int = 0, years: tuple[int, int] = (2014, 2019)) -> SimulationSummary:
    """Run :func:`programme` ``n`` times with ``n_adopters`` random staggered adopters.

    Coverage: share of runs whose interval contains the injected ratio.
    """
    rng = np.random.default_rng(seed)
    codes = complete_codes(series)
    counts: Counter[str] = Counter()
    covered = 0
    done = 0
    for _ in range(n):
        chosen = rng.choice(codes, n_adopters, replace=False)
        starts = {str(c): int(rng.integers(years[0], years[1] + 1)) for c in chosen}
        s = inject(series, starts, reduction)
        ad = pd.DataFrame({"la_old_code": list(starts), "start_year": list(starts.values())})
        try:
            r = programme(s, ad, honest=False)
        except EvalkitError:
            continue
        done += 1
        covered += int(r.ci_lower <= 1 - reduction <= r.ci_upper)
        v = "reduction" if r.ci_upper < 1 else "increase" if r.ci_lower > 1 else "no detectable effect"
        counts[v] += 1
    return SimulationSummary(reduction, done, {k: v / max(done, 1) for k, v in counts.items()},
                             covered / max(done, 1), math.nan)
