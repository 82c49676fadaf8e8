"""Fill a new LA folder's templates with seeded synthetic data.

``evalkit new-la Newtown --synthetic`` calls :func:`fill` so that a freshly
scaffolded folder runs end to end straight away. Each table that has a
generator here is overwritten with synthetic rows; any other template is left
with its single example row. Nothing generated describes a real person.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

Generator = Callable[[np.random.Generator, str], pd.DataFrame]
GENERATORS: dict[str, Generator] = {}


def generator(name: str) -> Callable[[Generator], Generator]:
    def deco(fn: Generator) -> Generator:
        GENERATORS[name] = fn
        return fn

    return deco


@generator("yst_case_costs")
def _case_costs(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    n = 12
    hours = rng.integers(30, 120, n).astype(float)
    rate = rng.normal(24.0, 0.8, n).round(2)
    basis = rng.choice(["cin_plan", "cp_plan", "none"], n, p=[0.6, 0.2, 0.2])
    label = {"cin_plan": "CIN plan no longer required", "cp_plan": "CP plan avoided", "none": "no change"}
    return pd.DataFrame(
        {
            "case_id": np.arange(1, n + 1),
            "yst_hours": hours,
            "yst_cost_gbp": (hours * rate).round(0),
            "potential_saving": [label[b] for b in basis],
            "saving_basis": basis,
        }
    )


@generator("unit_costs")
def _unit_costs(rng: np.random.Generator, la_name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cost_item": ["cin_plan_support", "cp_plan_setup", "cp_plan_support"],
            "basis": ["per_month", "one_off", "per_month"],
            "value_gbp": [float(rng.integers(350, 450)), float(rng.integers(2000, 2500)), float(rng.integers(1000, 1300))],
            "estimated_by": la_name,
        }
    )


def fill(folder: Path, la_name: str, *, seed: int = 0) -> list[str]:
    """Overwrite the templates in ``folder`` that have a generator; return their names.

    Tables with generators in other modules register themselves here when
    those modules are imported (see :data:`GENERATORS`).
    """
    _load_plugins()
    rng = np.random.default_rng(seed)
    written = []
    for csv in sorted(folder.glob("*.csv")):
        gen = GENERATORS.get(csv.stem)
        if gen is None:
            continue
        gen(rng, la_name).to_csv(csv, index=False, lineterminator="\n")
        written.append(csv.stem)
    return written


def _load_plugins() -> None:
    """Import the generator modules that contribute LA tables."""
    import importlib

    for mod in ("evalkit.synthetic.la_tables",):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError:
            pass
