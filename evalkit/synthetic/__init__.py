"""Seeded generators of synthetic data with known effects.

Used by the tests, the simulation benchmarks, the notebooks' defaults and
fallbacks when external data are absent, and ``evalkit new-la --synthetic``.
Submodules are imported on use, so importing this package is cheap:

- :mod:`evalkit.synthetic.its`: ITS series with known level and slope effects, AR(1)
  errors, seasonality, counts with an offset; the coverage study.
- :mod:`evalkit.synthetic.panel`: an LA panel shaped like the DfE children-looked-after panel,
  with one treated LA and a known effect.
- :mod:`evalkit.synthetic.cohort`: a child-level cohort following the Sefton cohort's
  published shares, with confounded treatment and a known effect.
- :mod:`evalkit.synthetic.surveys`: a professionals' survey (52 at baseline, 20 followed up,
  response depending on the baseline answer) and a young people's SDQ/SWEMWBS cohort with a
  known change.
- :mod:`evalkit.synthetic.la_folder` and :mod:`evalkit.synthetic.la_tables`: fill a new LA
  folder's templates.

Nothing a generator returns describes a real person or authority.
"""

from __future__ import annotations
