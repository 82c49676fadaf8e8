"""Deprecated: use :func:`evalkit.viz.use_style`, the one figure style every notebook applies.

The plots of one source document live with that document's study
(:mod:`evalkit.studies`); the shared style, labels and axes live in :mod:`evalkit.viz`.
"""

from __future__ import annotations

import warnings

from evalkit.viz import PALETTE

__all__ = ["PALETTE", "setup"]


def setup(context: str = "notebook") -> None:
    """Deprecated alias of :func:`evalkit.viz.use_style` (kept so older notebooks still run)."""
    from evalkit import viz

    warnings.warn("evalkit.plotting.setup() is deprecated; call evalkit.viz.use_style()", DeprecationWarning,
                  stacklevel=2)
    viz.use_style(context)
