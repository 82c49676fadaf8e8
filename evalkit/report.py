"""The reported-vs-reproduced table.

Every notebook ends with one. Its rows come from the source folder's
``stated_figures.csv`` (every figure the document states, as printed), and the
notebook supplies, figure by figure, the value it recomputed from the inputs.

Status rules (:func:`classify`):

``exact``
    The recomputed value equals the reported one.
``rounding``
    The gap is at most half of the reported figure's last unit: ``4714`` is
    matched by anything in [4713.5, 4714.5]; ``1.6`` by [1.55, 1.65].
``discrepancy``
    Anything else. The note says what differs and, where the notebook gives
    one, the most likely reason.
``not_reproducible``
    The inputs or the method are missing from the document; the note says which.

For a bound (``comparator`` ``>``, ``>=``, ``<``, ``<=``, as in "over 160"),
the status is ``exact`` when the recomputed value satisfies the bound and
``discrepancy`` when it does not. For a non-numeric claim the recomputed text
must equal the reported text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

STATUSES: tuple[str, ...] = ("exact", "rounding", "discrepancy", "not_reproducible")
COLUMNS: list[str] = ["figure_id", "description", "reported", "reproduced", "unit", "status", "note"]
NO_ATTEMPT = "no reproduction attempted in this notebook"
NO_REASON = "reason not identified"


def _to_decimal(x: Any) -> Decimal | None:
    if x is None:
        return None
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return Decimal(x)
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return None
        # repr keeps the value the user sees; 12 d.p. removes binary noise.
        return Decimal(repr(round(x, 12)))
    try:
        s = str(x).strip().replace(",", "")
        if not s:
            return None
        return Decimal(s)
    except (InvalidOperation, ValueError):
        return None


def resolution(reported: str | float | int) -> Decimal:
    """The last printed unit of a reported figure: ``"4714"`` -> 1, ``"1.65"`` -> 0.01."""
    d = _to_decimal(reported)
    if d is None:
        raise ValueError(f"{reported!r} is not a number")
    exp = d.as_tuple().exponent
    if not isinstance(exp, int):  # pragma: no cover - NaN/inf excluded above
        raise ValueError(f"{reported!r} is not a finite number")
    return Decimal(1).scaleb(min(exp, 0))


def format_value(x: Any) -> str:
    """Fixed, version-independent text for a number: integers plainly, others to at most 4 d.p."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, str):
        return x
    d = _to_decimal(x)
    if d is None:
        return str(x)
    if d == d.to_integral_value():
        return str(int(d))
    q = d.quantize(Decimal("0.0001"))
    s = format(q, "f").rstrip("0").rstrip(".")
    return "0" if s in {"-0", ""} else s


@dataclass(frozen=True)
class Verdict:
    status: str
    detail: str


def classify(reported: Any, reproduced: Any, comparator: str = "=") -> Verdict:
    """Status of one figure, with a short statement of what differs.

    Parameters
    ----------
    reported
        The figure as printed (text or number).
    reproduced
        The value recomputed from the document's inputs; ``None`` or NaN means
        it could not be recomputed.
    comparator
        ``=`` or ``~`` for a value, ``>``, ``>=``, ``<``, ``<=`` for a bound.
    """
    comparator = (comparator or "=").strip() or "="
    rep_d = _to_decimal(reported)
    if reproduced is None or (isinstance(reproduced, float) and math.isnan(reproduced)):
        return Verdict("not_reproducible", "")
    if rep_d is None:  # a text claim
        a = str(reported).strip().casefold()
        b = str(reproduced).strip().casefold()
        if a == b:
            return Verdict("exact", "")
        return Verdict("discrepancy", f"the document says {reported!r}; the inputs give {reproduced!r}")
    new_d = _to_decimal(reproduced)
    if new_d is None:
        raise TypeError(f"reproduced value {reproduced!r} is not a number but the reported figure is")
    shown = format_value(reproduced)
    if comparator in {">", ">=", "<", "<="}:
        holds = {
            ">": new_d > rep_d,
            ">=": new_d >= rep_d,
            "<": new_d < rep_d,
            "<=": new_d <= rep_d,
        }[comparator]
        if holds:
            return Verdict("exact", f"the bound '{comparator} {reported}' holds ({shown})")
        return Verdict("discrepancy", f"the bound '{comparator} {reported}' fails: recomputed {shown}")
    gap = abs(new_d - rep_d)
    scale = max(Decimal(1), abs(rep_d))
    if gap <= scale * Decimal("1e-9"):
        return Verdict("exact", "")
    half = resolution(reported) / 2
    if gap <= half:
        return Verdict("rounding", f"recomputed {shown} rounds to the reported {reported}")
    sign = "+" if new_d > rep_d else "-"
    return Verdict(
        "discrepancy",
        f"recomputed {shown} differs from the reported {reported} by {sign}{format_value(gap)} "
        f"(more than half the last printed unit, {format_value(half)})",
    )


class Reproduction:
    """Collects reported-vs-reproduced rows for one notebook.

    Parameters
    ----------
    stated
        The ``stated_figures`` table of a source folder.

    Examples
    --------
    >>> rep = Reproduction.from_folder("data/raw/000_gloucestershire_yst")  # doctest: +SKIP
    >>> rep.check("cin_plan_12m", 393 * 12, reason="built from the unrounded monthly cost")  # doctest: +SKIP
    >>> rep.status("cin_plan_12m")  # doctest: +SKIP
    'discrepancy'
    """

    def __init__(self, stated: pd.DataFrame, *, strict: bool = True):
        missing = {"figure_id", "description", "reported", "unit"} - set(stated.columns)
        if missing:
            raise ValueError(f"stated figures lack columns: {sorted(missing)}")
        self.stated = stated.set_index("figure_id", drop=False)
        self.strict = strict
        #: Figures a notebook checked that this folder does not state (non-strict mode).
        self.skipped: list[str] = []
        self._rows: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_folder(cls, folder: str | Path, *, strict: bool = False) -> Reproduction:
        """Read ``stated_figures.csv`` from a source folder (validated).

        A new local authority's folder may state fewer figures than the seed
        document, or none: with ``strict=False`` (the default) checks of figures
        the folder does not state are skipped and listed in :attr:`skipped`.
        """
        from evalkit import schemas

        stated = schemas.load_optional(folder, "stated_figures")
        if stated is None:
            stated = pd.DataFrame(columns=["figure_id", "description", "reported", "unit", "comparator"])
        return cls(stated, strict=strict)

    def _figure(self, figure_id: str) -> pd.Series | None:
        if figure_id in self.stated.index:
            return self.stated.loc[figure_id]
        if self.strict:
            raise KeyError(
                f"figure {figure_id!r} is not in stated_figures.csv; every figure must be "
                "transcribed there first"
            )
        if figure_id not in self.skipped:
            self.skipped.append(figure_id)
        return None

    def check(
        self,
        figure_id: str,
        reproduced: Any,
        *,
        reason: str | None = None,
        note: str | None = None,
    ) -> None:
        """Record the recomputed value of a stated figure (see :meth:`status` for the verdict).

        Parameters
        ----------
        figure_id
            Row of ``stated_figures.csv``.
        reproduced
            Value recomputed from the inputs (``None`` when it cannot be).
        reason
            The most likely reason, used when the status is ``discrepancy``
            (or ``not_reproducible``).
        note
            Always shown: how the value was recomputed, or a caveat.
        """
        fig = self._figure(figure_id)
        if fig is None:
            return
        comparator = fig.get("comparator") if "comparator" in fig else "="
        comparator = "=" if comparator is None or pd.isna(comparator) else str(comparator)
        verdict = classify(fig["reported"], reproduced, comparator)
        parts = [p for p in (verdict.detail, note) if p]
        if verdict.status in {"discrepancy", "not_reproducible"}:
            parts.append(f"likely reason: {reason}" if reason else NO_REASON)
        self._rows[figure_id] = {
            "reproduced": format_value(reproduced) if verdict.status != "not_reproducible" else "",
            "status": verdict.status,
            "note": "; ".join(parts),
        }

    def reported(self, figure_id: str) -> float:
        """The reported value of a stated numeric figure, as a number."""
        d = _to_decimal(self.stated.loc[figure_id, "reported"])
        if d is None:
            raise ValueError(f"figure {figure_id!r} is not numeric: {self.stated.loc[figure_id, 'reported']!r}")
        return float(d)

    def wants(self, *figure_ids: str) -> bool:
        """True if this folder states any of ``figure_ids`` (so a notebook computes only what it can check)."""
        return any(f in self.stated.index for f in figure_ids)

    def status(self, figure_id: str) -> str:
        """Status recorded for a figure (``not_reproducible`` if it was never checked)."""
        return self.table().set_index("figure_id").loc[figure_id, "status"]

    def not_reproducible(self, figure_id: str, reason: str) -> None:
        """Record that a stated figure cannot be recomputed, and why."""
        if not reason:
            raise ValueError("a not_reproducible figure needs its reason")
        if self._figure(figure_id) is None:
            return
        self._rows[figure_id] = {"reproduced": "", "status": "not_reproducible", "note": reason}

    def check_many(self, values: Mapping[str, Any], reasons: Mapping[str, str] | None = None) -> None:
        """:meth:`check` several figures; ``reasons`` gives the discrepancy reasons by id."""
        reasons = reasons or {}
        for fid, v in values.items():
            self.check(fid, v, reason=reasons.get(fid))

    def table(self) -> pd.DataFrame:
        """The reproduction table, in the order of ``stated_figures.csv``.

        A stated figure the notebook never checked is listed as
        ``not_reproducible`` with the note "no reproduction attempted in this
        notebook", so nothing the document states can silently drop out.
        """
        rows = []
        for fid, fig in self.stated.iterrows():
            got = self._rows.get(
                str(fid), {"reproduced": "", "status": "not_reproducible", "note": NO_ATTEMPT}
            )
            comparator = fig.get("comparator") if "comparator" in fig else None
            comparator = "" if comparator is None or pd.isna(comparator) or comparator == "=" else comparator
            rows.append(
                {
                    "figure_id": fid,
                    "description": fig["description"],
                    "reported": f"{comparator}{fig['reported']}",
                    "reproduced": got["reproduced"],
                    "unit": fig["unit"],
                    "status": got["status"],
                    "note": got["note"],
                }
            )
        return pd.DataFrame(rows, columns=COLUMNS)

    def counts(self) -> dict[str, int]:
        """Number of figures with each status."""
        t = self.table()
        return {s: int((t["status"] == s).sum()) for s in STATUSES}

    def to_text(self, *, notes: bool = True) -> str:
        """Plain fixed-width text of the table, stable across pandas and Jupyter versions."""
        return table_text(self.table(), notes=notes)

    def write(self, out_dir: str | Path) -> Path:
        """Write ``reproduction.csv`` into ``out_dir`` (atomically) and return its path."""
        from evalkit.outputs import write_csv

        return write_csv(self.table(), Path(out_dir) / "reproduction.csv")


def table_text(t: pd.DataFrame, *, notes: bool = True, max_desc: int = 44) -> str:
    """Render a reproduction table as fixed-width text (one figure per line, then notes)."""
    head = ["figure_id", "reported", "reproduced", "unit", "status"]
    body = [[str(r[c]) for c in head] for _, r in t.iterrows()]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for b in body:
        lines.append("  ".join(v.ljust(w) for v, w in zip(b, widths, strict=True)).rstrip())
    counts = {s: int((t["status"] == s).sum()) for s in STATUSES}
    lines.append("")
    lines.append(", ".join(f"{k}: {v}" for k, v in counts.items()))
    if notes:
        noted = t[t["note"].astype(str) != ""]
        if len(noted):
            lines.append("")
            lines.append("Notes")
            for _, r in noted.iterrows():
                lines.append(f"- {r['figure_id']}: {r['note']}")
    return "\n".join(lines)


def summarise_file(path: str | Path) -> dict[str, int]:
    """Counts of each status in a written ``reproduction.csv``."""
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {s: int((t["status"] == s).sum()) for s in STATUSES}
