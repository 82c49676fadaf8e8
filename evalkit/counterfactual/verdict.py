"""The rule that turns the designs' effects into one verdict.

:data:`VERDICT_RULE` is the rule in words (also in ``docs/counterfactual.md``);
:func:`decide` implements it exactly. All effects are ratios.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The four verdicts, in the order the rule checks them.
VERDICTS = ("reduction", "increase", "no detectable effect", "inconclusive")

#: An interval reaching below this ratio (or above its inverse) cannot rule out a halving (doubling).
WIDE = 0.5

#: Pre-period check: the event study's pre-trend placebo p-value below this fails it.
PRETREND_ALPHA = 0.05

VERDICT_RULE = f"""\
1. The preferred design is the difference-in-differences on the log scale with a
   placebo-in-space (Conley-Taber) interval. If it has no interval, the verdict is
   "inconclusive".
2. If its interval excludes 1 (upper end below 1: direction "reduction"; lower end
   above 1: "increase"):
   a. if any other design's interval excludes 1 in the opposite direction, the
      verdict is "inconclusive" (the designs disagree);
   b. else, if the event study's pre-period check fails (placebo p-value of the
      pre-period coefficients below {PRETREND_ALPHA}), the verdict is "inconclusive"
      (the authority was already moving apart from its comparators before the start);
   c. else the verdict is the direction.
3. If its interval includes 1:
   a. if the interval reaches below {WIDE} or above {1 / WIDE:g} (it cannot rule out a
      halving or a doubling), the verdict is "inconclusive";
   b. else "no detectable effect", read with the interval: reductions larger than
      (1 - lower end) and increases larger than (upper end - 1) are ruled out.
Other designs can only turn a "reduction" or "increase" into "inconclusive", never
create one, so adding designs never raises the false-positive rate.
"""


def direction(lo: float, hi: float) -> str | None:
    """``"reduction"`` if the interval lies below 1, ``"increase"`` if above, else None."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    if hi < 1:
        return "reduction"
    if lo > 1:
        return "increase"
    return None


def decide(effects: pd.DataFrame, preferred: str, pretrend_p: float = float("nan")) -> tuple[str, str]:
    """Apply :data:`VERDICT_RULE` to an effects table.

    Parameters
    ----------
    effects
        One row per design with ``design, ci_lower, ci_upper`` (ratios).
    preferred
        The ``design`` value of the preferred design.
    pretrend_p
        The event study's pre-period placebo p-value (NaN: no check).

    Returns
    -------
    (verdict, reason)
        The verdict (one of :data:`VERDICTS`) and the rule step that gave it.
    """
    rows = effects.set_index("design")
    if preferred not in rows.index:
        return "inconclusive", f"step 1: the preferred design ({preferred}) did not run"
    p = rows.loc[preferred]
    lo, hi = float(p["ci_lower"]), float(p["ci_upper"])
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "inconclusive", f"step 1: the preferred design ({preferred}) has no interval"
    d = direction(lo, hi)
    if d is not None:
        opposite = "increase" if d == "reduction" else "reduction"
        against = [str(k) for k, r in rows.drop(index=preferred).iterrows()
                   if direction(float(r["ci_lower"]), float(r["ci_upper"])) == opposite]
        if against:
            return "inconclusive", (f"step 2a: the preferred design points to a {d} but "
                                    f"{', '.join(against)} points to {'an' if opposite == 'increase' else 'a'} "
                                    f"{opposite}")
        if np.isfinite(pretrend_p) and pretrend_p < PRETREND_ALPHA:
            return "inconclusive", (f"step 2b: the preferred design points to a {d} but the pre-period "
                                    f"check fails (placebo p = {pretrend_p:.2f})")
        return d, f"step 2c: the preferred design's interval lies {'below' if d == 'reduction' else 'above'} 1"
    if lo < WIDE or hi > 1 / WIDE:
        return "inconclusive", (f"step 3a: the preferred design's interval ({lo:.2f} to {hi:.2f}) includes 1 "
                                f"but cannot rule out a halving or a doubling")
    return "no detectable effect", (f"step 3b: the preferred design's interval ({lo:.2f} to {hi:.2f}) "
                                    "includes 1")
