"""pandera schemas, one per input table, and the loader that validates them.

Each module in this package registers the tables of one source (a seed
document, or the tables a new local authority supplies). Importing
``evalkit.schemas`` imports them all, so :data:`REGISTRY` is complete.

>>> from evalkit import schemas
>>> cases = schemas.load_table("data/raw/000_gloucestershire_yst", "yst_case_costs")
"""

from __future__ import annotations

import importlib
import pkgutil

from evalkit.schemas._core import (
    DEFAULT_MAX_BYTES,
    FOLDER_CHECKS,
    REGISTRY,
    ConsistentTotal,
    InputError,
    MinGroupSize,
    NotGreater,
    Ordered,
    Problem,
    RequiredValues,
    Requirement,
    TableSpec,
    file_row,
    get_spec,
    load_optional,
    load_table,
    read_table,
    register,
    register_folder_check,
    validate_folder,
    validate_frame,
)

for _mod in pkgutil.iter_modules(__path__):
    if not _mod.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FOLDER_CHECKS",
    "REGISTRY",
    "ConsistentTotal",
    "InputError",
    "MinGroupSize",
    "NotGreater",
    "Ordered",
    "Problem",
    "RequiredValues",
    "Requirement",
    "TableSpec",
    "file_row",
    "get_spec",
    "load_optional",
    "load_table",
    "read_table",
    "register",
    "register_folder_check",
    "validate_folder",
    "validate_frame",
]
