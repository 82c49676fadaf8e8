"""Build parameters and streams from tidy tables (so a new LA supplies CSVs, not code).

``parameters_from_frame`` reads one row per parameter with columns ``name``,
``value`` and optionally ``kind``, ``unit``, ``source``, ``back_solved``,
``price_year``, ``confidence``, ``low``, ``high``, ``distribution``, ``note``.

``streams_from_frame`` reads one row per stream with columns ``name``,
``quantity`` (a number, a parameter name, or factors joined by ``*``),
``unit_cost`` (number or parameter name), ``payer`` and optionally ``kind``,
``years`` (``0``, ``0;1;2``), ``confidence``, ``deadweight``,
``displacement``, ``attribution``, ``optimism_bias``, ``label``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalkit.cba.errors import CBAError
from evalkit.cba.model import Stream
from evalkit.cba.params import Parameter, Parameters


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and pd.isna(v)) or (isinstance(v, str) and not v.strip()) or v is pd.NA


def _num_or_name(v: Any) -> float | str:
    if isinstance(v, int | float):
        return float(v)
    s = str(v).strip()
    try:
        return float(s)
    except ValueError:
        return s


def parameters_from_frame(df: pd.DataFrame, *, table: str = "parameters") -> Parameters:
    """:class:`Parameters` from a table with one row per parameter."""
    missing = {"name", "value"} - set(df.columns)
    if missing:
        raise CBAError(f"{table}: required columns {sorted(missing)} are missing")
    out = []
    for i, r in enumerate(df.to_dict("records")):
        kw: dict[str, Any] = {"name": str(r["name"]), "value": float(r["value"])}
        for k in ("kind", "unit", "source", "distribution", "note"):
            if k in r and not _blank(r[k]):
                kw[k] = str(r[k])
        for k in ("price_year", "confidence"):
            if k in r and not _blank(r[k]):
                kw[k] = int(r[k])
        for k in ("low", "high"):
            if k in r and not _blank(r[k]):
                kw[k] = float(r[k])
        if "back_solved" in r and not _blank(r["back_solved"]):
            kw["back_solved"] = str(r["back_solved"]).strip().lower() in {"true", "1", "yes"}
        try:
            out.append(Parameter(**kw))
        except CBAError as err:
            raise type(err)(f"{table}: row {i + 2}: {err}") from None
    return Parameters(out)


def streams_from_frame(df: pd.DataFrame, *, table: str = "streams") -> list[Stream]:
    """A list of :class:`Stream` from a table with one row per stream."""
    missing = {"name", "quantity", "unit_cost", "payer"} - set(df.columns)
    if missing:
        raise CBAError(f"{table}: required columns {sorted(missing)} are missing")
    out = []
    for i, r in enumerate(df.to_dict("records")):
        q = str(r["quantity"])
        factors = tuple(_num_or_name(f) for f in q.split("*"))
        kw: dict[str, Any] = {
            "name": str(r["name"]),
            "quantity": factors if len(factors) > 1 else factors[0],
            "unit_cost": _num_or_name(r["unit_cost"]),
            "payer": str(r["payer"]),
        }
        if "kind" in r and not _blank(r["kind"]):
            kw["kind"] = str(r["kind"])
        if "years" in r and not _blank(r["years"]):
            kw["years"] = [int(float(y)) for y in str(r["years"]).split(";")]
        if "confidence" in r and not _blank(r["confidence"]):
            kw["confidence"] = int(r["confidence"])
        for k in ("deadweight", "displacement", "attribution", "optimism_bias"):
            if k in r and not _blank(r[k]):
                kw[k] = _num_or_name(r[k])
        if "label" in r and not _blank(r["label"]):
            kw["label"] = str(r["label"])
        try:
            out.append(Stream(**kw))
        except CBAError as err:
            raise type(err)(f"{table}: row {i + 2}: {err}") from None
    return out
