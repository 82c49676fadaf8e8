"""Build parameters and streams from tidy tables (so a new LA supplies CSVs, not code).

``parameters_from_frame`` reads one row per parameter with columns ``name``,
``value`` and optionally ``kind``, ``unit``, ``source``, ``back_solved``,
``price_year``, ``confidence``, ``low``, ``high``, ``distribution``, ``note``.

``streams_from_frame`` reads one row per stream with columns ``name``,
``quantity`` (a number, a parameter name, or factors joined by ``*``),
``unit_cost`` (number or parameter name), ``payer`` and optionally ``kind``,
``years`` (``0``, ``0;1;2``), ``confidence``, ``deadweight``,
``displacement``, ``attribution``, ``optimism_bias``, ``label``.

``backsolved_outcomes`` turns a table of *stated totals* and their quantities
(the shape of a before/after costing such as Sefton's Tables 3-4, schema
``sefton_cba_outcomes``) into back-solved unit-cost parameters and streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from evalkit.cba.errors import CBAError
from evalkit.cba.model import Stream
from evalkit.cba.params import Parameter, Parameters, back_solve


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


def backsolved_outcomes(
    df: pd.DataFrame,
    *,
    round_to: float | None = None,
    confidence: int | Mapping[str, int] | None = None,
    years: Any = 0,
    source: str = "",
    table: str = "outcomes",
) -> tuple[Parameters, list[Stream]]:
    """Back-solved unit costs and streams from a table of stated totals and quantities.

    Parameters
    ----------
    df
        One row per valued outcome with columns ``outcome_id``, ``kind``,
        ``value_gbp`` (stated total), ``quantity``, ``payer`` and optionally
        ``months_per_case`` (a second quantity factor), ``outcome`` (label),
        ``quantity_unit`` and ``seed_lines``.
    round_to
        Rounding step for the implied unit costs (see :func:`back_solve`).
    confidence
        Confidence grade for every unit cost, or ``outcome_id -> grade``.
    years
        Year weights for every stream (see :class:`Stream`).
    source
        Document name used in the parameters' ``source``.

    Returns
    -------
    (Parameters, list of Stream)
        For outcome ``x``: quantity ``n_x`` (and ``months_x``), back-solved unit
        cost ``unit_x`` (``back_solved=True``) and stream ``x`` =
        ``n_x [x months_x] x unit_x`` for the row's payer and kind.
    """
    missing = {"outcome_id", "kind", "value_gbp", "quantity", "payer"} - set(df.columns)
    if missing:
        raise CBAError(f"{table}: required columns {sorted(missing)} are missing")
    params: list[Parameter] = []
    streams: list[Stream] = []
    for i, r in enumerate(df.to_dict("records")):
        oid = str(r["outcome_id"])
        where = f"{source} {r.get('source_table', '')} (lines {r.get('seed_lines', '?')})".strip()
        try:
            q = float(r["quantity"])
            factors = [f"n_{oid}"]
            params.append(Parameter(f"n_{oid}", q, kind="quantity", unit=str(r.get("quantity_unit", "")), source=where))
            qty: list[float] = [q]
            m = r.get("months_per_case")
            if not _blank(m):
                params.append(Parameter(f"months_{oid}", float(m), kind="quantity", unit="months per case", source=where))
                factors.append(f"months_{oid}")
                qty.append(float(m))
            grade = confidence.get(oid) if isinstance(confidence, Mapping) else confidence
            params.append(
                back_solve(f"unit_{oid}", float(r["value_gbp"]), qty, source=where, unit="GBP per unit",
                           confidence=grade, round_to=round_to)
            )
            streams.append(
                Stream(oid, quantity=tuple(factors), unit_cost=f"unit_{oid}", payer=str(r["payer"]),
                       kind=str(r["kind"]), years=years, label=str(r.get("outcome") or oid))
            )
        except CBAError as err:
            raise type(err)(f"{table}: row {i + 2} ({oid}): {err}") from None
    return Parameters(params), streams
