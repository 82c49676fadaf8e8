"""Loading for the notebooks: the measure, the within-authority control and the assessment in one call."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from evalkit.counterfactual._panel import under10_series
from evalkit.counterfactual.assess import Assessment, assess


def assess_from_panel(measure: str, la: str, start_year: int, *, data_dir: str | os.PathLike[str] | None = None,
                      seed: int = 0, **options: Any) -> tuple[Assessment, str, pd.DataFrame]:
    """:func:`assess` on the DfE panel (or its synthetic stand-in), with the under-10 control.

    Parameters
    ----------
    measure, la, start_year
        As :func:`assess` (``measure`` names a panel measure).
    data_dir
        A folder with ``la_timeseries.csv`` whose figures replace the panel's
        (:func:`evalkit.la_panel.series_for_its`).
    seed
        Seed of the synthetic panel used when the DfE panel is absent.
    **options
        Passed to :func:`assess`.

    Returns
    -------
    (Assessment, message, series)
        The message says which data were used; ``series`` is the measure for
        every authority (for :func:`evalkit.counterfactual.scan`).
    """
    from evalkit import la_panel

    series, _is_real, message = la_panel.series_for_its(measure, data_dir, seed=seed)
    panel, _, _ = la_panel.load_or_synthetic(seed=seed)
    try:
        within = under10_series(panel)
    except la_panel.UnknownMeasure:
        within = None
        message += " The panel has no under-10 age bands, so the triple difference is not run."
    a = assess(series, la, start_year, within=within, measure=measure, seed=seed, **options)
    return a, message, series
