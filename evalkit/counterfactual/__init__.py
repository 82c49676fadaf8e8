"""Counterfactual evaluation of a local authority's service on published yearly data.

The source evaluations are before/after comparisons without a comparison group.
This package answers the counterfactual question with several designs and one
verdict whose rule is written down (:data:`VERDICT_RULE`, ``docs/counterfactual.md``):

* :func:`assess`: one authority, a ladder of designs (single and controlled
  ITS, difference-in-differences with an event study, augmented synthetic
  control, synthetic DiD, a triple difference against a within-authority
  control), a verdict, a minimum detectable effect and a specification curve;
* :func:`scan`: the single-series ITS level change for every authority at
  once, with a funnel plot;
* :func:`programme`: a staggered-adoption estimate for several authorities
  (Callaway and Sant'Anna) with a sensitivity analysis to parallel-trend violations.

It knows nothing of the source documents; it uses :mod:`evalkit.its` (method
part) and reads :mod:`evalkit.la_panel` only to build the under-10 series.
"""

from evalkit.counterfactual._panel import under10_series
from evalkit.counterfactual.assess import (
    DESIGNS,
    FAST_DESIGNS,
    OLS_BELOW,
    PREFERRED,
    Assessment,
    Robustness,
    assess,
    default_errors,
    mde_from_placebos,
)
from evalkit.counterfactual.panel_io import assess_from_panel
from evalkit.counterfactual.programme import (
    ProgrammeResult,
    fill_start_years,
    plot_programme_runs,
    programme,
    programme_findings,
    programme_runs,
    programme_table,
)
from evalkit.counterfactual.scan import ScanResult, scan
from evalkit.counterfactual.verdict import VERDICT_RULE, VERDICTS, decide

__all__ = [
    "DESIGNS",
    "FAST_DESIGNS",
    "OLS_BELOW",
    "PREFERRED",
    "VERDICTS",
    "VERDICT_RULE",
    "Assessment",
    "Robustness",
    "assess",
    "decide",
    "default_errors",
    "mde_from_placebos",
    "scan",
    "programme",
    "fill_start_years",
    "programme_findings",
    "plot_programme_runs",
    "programme_runs",
    "programme_table",
    "ProgrammeResult",
    "ScanResult",
    "under10_series",
    "assess_from_panel",
]
