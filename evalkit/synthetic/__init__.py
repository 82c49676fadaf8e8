"""Seeded generators of synthetic data with known effects.

Used by the tests, the simulation benchmarks and the notebooks' fallback when
external data are absent. Submodules are imported on use, so importing this
package is cheap::

    from evalkit.synthetic.its import make_its_series
    from evalkit.synthetic.panel import make_la_panel

Nothing a generator returns describes a real person or authority.
"""

from __future__ import annotations
