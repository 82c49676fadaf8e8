"""CSV templates and column documentation generated from the schemas.

Templates are made from the :class:`~evalkit.schemas.TableSpec` registry, so
they cannot drift from what ``evalkit validate`` accepts: the header is the
schema's columns, the example row is the spec's ``example``, and the README
lists each column's type, unit, allowed values and whether it is required.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from evalkit import schemas


def _allowed(col) -> str:
    meta = col.metadata or {}
    if "allowed" in meta:
        return ", ".join(map(str, meta["allowed"]))
    for check in col.checks or []:
        stats = getattr(check, "statistics", {}) or {}
        if "allowed_values" in stats:
            return ", ".join(map(str, stats["allowed_values"]))
        if {"min_value", "max_value"} <= set(stats):
            return f"{stats['min_value']} to {stats['max_value']}"
        if "min_value" in stats:
            return f">= {stats['min_value']}"
    return ""


def template_csv(name: str) -> str:
    """Header plus the example rows of table ``name`` (one, or one per item its notebook needs)."""
    spec = schemas.get_spec(name)
    cols = spec.columns()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for row in [spec.example, *spec.more_examples]:
        w.writerow(["" if row.get(c) is None else row.get(c, "") for c in cols])
    return buf.getvalue()


def column_doc(name: str) -> str:
    """Markdown section documenting the columns of table ``name``."""
    spec = schemas.get_spec(name)
    lines = [f"## `{spec.filename}`", "", spec.description or "", ""]
    if spec.unique:
        lines += [f"Key (must not repeat, even ignoring upper/lower case): {', '.join(spec.unique)}.", ""]
    if spec.requires:
        lines += ["Needed across rows (`evalkit validate` checks these):", ""]
        lines += [f"- {req.describe()}" for req in spec.requires] + [""]
    lines += ["| column | type | required | unit | allowed values | description |", "|---|---|---|---|---|---|"]
    for cname, col in spec.schema.columns.items():
        dtype = str(col.dtype)
        if cname in spec.date_columns:
            dtype = "date (YYYY-MM-DD or DD/MM/YYYY)"
        elif cname in spec.month_columns:
            dtype = "month (YYYY-MM)"
        unit = (col.metadata or {}).get("unit", "")
        req = "yes" if col.required else "no"
        if col.required and col.nullable:
            req = "column yes, value may be empty"
        desc = (col.description or "").replace("|", "/")
        lines.append(f"| `{cname}` | {dtype} | {req} | {unit} | {_allowed(col)} | {desc} |")
    lines.append("")
    return "\n".join(lines)


def readme(names: Iterable[str], la_name: str) -> str:
    names = list(names)
    head = [
        f"# Input tables for {la_name}",
        "",
        "Each CSV here is a template: a header and one example row. Replace the example with your",
        "data (UTF-8, comma-separated, one header row on row 1, no currency signs or thousands separators:",
        "'£1,730' is read as 1730 with a warning; '45%', 'n/a' and '-' are refused),",
        "then check it with `evalkit validate` on this folder. Delete the CSVs of analyses you do not",
        "run, and remove those notebooks from `params.yaml`.",
        "",
        "Dates: ISO (2016-03-31) or UK (31/03/2016), one form per column. Missing: leave the cell empty.",
        "",
    ]
    return "\n".join(head + [column_doc(n) for n in names])
