"""Shared plot settings so every notebook's figures look alike and render headless.

The plots of one source document live with that document's study
(:mod:`evalkit.studies`); this module keeps only the common theme.
"""

from __future__ import annotations

import matplotlib

PALETTE = "colorblind"


def setup(context: str = "notebook") -> None:
    """Set the seaborn theme used across evalkit notebooks.

    Uses a non-interactive backend when no display is present, and fixes the
    SVG hash salt so saved figures are byte-reproducible.
    """
    import seaborn as sns

    matplotlib.rcParams["svg.hashsalt"] = "evalkit"
    matplotlib.rcParams["figure.dpi"] = 100
    sns.set_theme(context=context, style="whitegrid", palette=PALETTE)
