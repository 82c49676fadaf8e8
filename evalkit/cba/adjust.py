"""Adjustments from gross to net: deadweight, displacement, attribution, optimism bias.

Conventions (all three additionality rates are *deductions* in [0, 1]):

``deadweight``
    Share of the outcome change that would have happened anyway, without the
    intervention (the counterfactual). 0 = none would have happened.
``displacement``
    Share of the outcome that is moved elsewhere rather than removed (e.g. a
    missing episode avoided here but replaced by one in another service).
``attribution``
    Share of the remaining outcome due to *other* services or people, so not
    credited to this intervention (SROI convention). 0 = all credited here.

An outcome stream's gross value ``q x c`` becomes
``q x c x (1 - deadweight) x (1 - displacement) x (1 - attribution)``.

Optimism bias is graded by the confidence in each input, in the manner of
the New Economy (now GMCA Research) cost-benefit method: every input gets a
confidence grade from 1 (best evidence) to 5 (weakest), and the grade maps
to a percentage correction that *reduces* benefits and *increases* costs and
disbenefits (``x (1 - ob)`` and ``x (1 + ob)``), so every correction makes
the result more cautious.

The default grade table :data:`DEFAULT_OB_GRADES` is read from
``evalkit/resources/optimism_bias_grades.csv``. **Its percentages are
evalkit's defaults, not a verified copy of the published New Economy table**:
the guidance (HM Treasury, Public Service Transformation Network and New
Economy, *Supporting public service transformation: cost benefit analysis
guidance for local partnerships*, 2014) could not be consulted where this
package was written. See ``evalkit/resources/SOURCES.md``. Pass your own
``ob_grades`` to :class:`evalkit.cba.CBAModel` once checked against the
guidance you follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources

from evalkit.cba.errors import ConfidenceGradeError, RateError

ADJUSTMENTS = ("deadweight", "displacement", "attribution")


def _load_default_grades() -> dict[int, float]:
    text = resources.files("evalkit").joinpath("resources", "optimism_bias_grades.csv").read_text(
        encoding="utf-8"
    )
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    header = lines[0].split(",")
    gi, ri = header.index("grade"), header.index("ob_rate")
    out = {}
    for ln in lines[1:]:
        cells = ln.split(",")
        out[int(cells[gi])] = float(cells[ri])
    return out


#: Confidence grade (1 best .. 5 weakest) -> optimism-bias rate. See the module docstring.
DEFAULT_OB_GRADES: dict[int, float] = _load_default_grades()


def check_rate(value: float, what: str) -> float:
    """``value`` as a float, or :class:`RateError` naming ``what`` if outside [0, 1]."""
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise RateError(f"{what} = {v} is outside [0, 1] (rates are shares, e.g. 0.2 for 20%)")
    return v


def check_grades(grades: Mapping[int, float]) -> dict[int, float]:
    """Validate a grade table: whole-number grades, rates in [0, 1]."""
    out: dict[int, float] = {}
    for g, r in grades.items():
        if int(g) != g:
            raise ConfidenceGradeError(f"optimism-bias grade {g!r} is not a whole number")
        out[int(g)] = check_rate(r, f"optimism-bias rate for grade {g}")
    return out


def ob_rate(grade: int | None, grades: Mapping[int, float] = DEFAULT_OB_GRADES) -> float:
    """Optimism-bias rate for a confidence ``grade`` (0 when the grade is ``None``).

    >>> ob_rate(1), ob_rate(None)
    (0.0, 0.0)
    """
    if grade is None:
        return 0.0
    try:
        return float(grades[int(grade)])
    except (KeyError, ValueError, TypeError):
        raise ConfidenceGradeError(
            f"confidence grade {grade!r} is not in the optimism-bias table (grades {sorted(grades)})"
        ) from None


def net_factor(deadweight: float = 0.0, displacement: float = 0.0, attribution: float = 0.0) -> float:
    """Gross-to-net multiplier ``(1 - dw) (1 - disp) (1 - attr)``.

    >>> round(net_factor(0.2, 0.1, 0.5), 4)
    0.36
    """
    dw = check_rate(deadweight, "deadweight")
    disp = check_rate(displacement, "displacement")
    attr = check_rate(attribution, "attribution")
    return (1 - dw) * (1 - disp) * (1 - attr)
