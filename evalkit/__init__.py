"""evalkit: reproduction and counterfactual toolkit for evaluations of UK
children's social care services for adolescents on the edge of care.

All logic lives in the submodules; the notebooks in ``notebooks/`` import them::

    from evalkit import report, schemas
    from evalkit.studies import yst

Submodules are imported on first use so that ``import evalkit`` stays cheap
(this matters for the batch runner, which starts many kernels).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = {
    "batch",
    "catalog",
    "cba",
    "cli",
    "disclosure",
    "its",
    "la_compare",
    "la_panel",
    "matching",
    "outputs",
    "paths",
    "plotting",
    "report",
    "runner",
    "schemas",
    "studies",
    "surveys",
    "synthetic",
    "templates",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"evalkit.{name}")
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")


__all__ = sorted(_SUBMODULES | {"__version__"})
