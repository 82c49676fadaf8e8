"""The reported-vs-reproduced table.

Every study ends with one. Its rows come from the source folder's
``stated_figures.csv`` (every figure the document states, as printed), and the
study supplies, figure by figure, the value it recomputed from the inputs.
The rules are written in ``docs/conventions.md`` ("Status rules"); this module
enforces them.

Status (:func:`classify`):

``exact``
    The value recomputed from *other* figures of the document equals the
    reported one.
``rounding``
    The gap is at most half of the reported figure's last unit: ``4714`` is
    matched by anything in [4713.5, 4714.5]; ``1.6`` by [1.55, 1.65].
``discrepancy``
    Anything else. The note says what differs and the most likely reason.
``not_reproducible``
    Nothing else in the document recomputes it (an input, a single statement),
    or the only recomputation uses the figure itself (:meth:`Reproduction.circular`,
    reason "circular"); the note says which.

For a bound (``comparator`` ``>``, ``>=``, ``<``, ``<=``, as in "over 160"),
the status is ``exact`` when the recomputed value satisfies the bound and
``discrepancy`` when it does not, and the note says it is a bound check. For a
non-numeric claim the recomputed text must equal the reported text. A count of
a list the document prints is a recomputation.

Two things are *not* statuses and have their own columns:

* agreement between repeated mentions of a figure (``mentions``,
  ``mentions_agree``; :meth:`Reproduction.mentions`);
* comparison with outside data such as DfE statistics (``external_value``,
  ``external_source``, ``external_status``; :meth:`Reproduction.external`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import InputDataError
from evalkit.errors import shown as _value
from evalkit.results import Result, Summary

STATUSES: tuple[str, ...] = ("exact", "rounding", "discrepancy", "not_reproducible")
COLUMNS: list[str] = [
    "figure_id",
    "description",
    "reported",
    "reproduced",
    "unit",
    "status",
    "note",
    "mentions",
    "mentions_agree",
    "external_value",
    "external_source",
    "external_status",
]
#: Reason given to a figure recomputed only from itself (see :meth:`Reproduction.circular`).
CIRCULAR = "circular"
NO_ATTEMPT = "no reproduction attempted in this notebook"
NO_REASON = "reason not identified"


def _is_nan(x: Any) -> bool:
    """A float NaN, Python's or numpy's (numpy float32 is not a Python float)."""
    return isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral) and math.isnan(x)


def _to_decimal(x: Any) -> Decimal | None:
    if x is None:
        return None
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool | np.bool_):
        return None
    if isinstance(x, numbers.Integral):  # int and numpy integers
        return Decimal(int(x))
    if isinstance(x, numbers.Real):  # float and numpy floats
        # as a Python float: numpy 2's repr of its scalars is "np.float64(...)", not the number
        x = float(x)
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
    if x is None or _is_nan(x):
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
    if reproduced is None or _is_nan(reproduced):
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


class Reproduction(Result):
    """Collects reported-vs-reproduced rows for one study (a :class:`~evalkit.results.Result`).

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
        self._mentions: dict[str, tuple[int, bool]] = {}
        self._external: dict[str, tuple[str, str, str]] = {}
        self.notes: list[str] = []

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
        uses: tuple[str, ...] | list[str] = (),
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
        uses
            The stated figures the recomputation used. If ``figure_id`` is
            among them the check is circular and is recorded as
            ``not_reproducible`` (:meth:`circular`), whatever the value.
        """
        if figure_id in uses:
            self.circular(figure_id, note or "the recomputation uses the figure itself")
            return
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
            raise ValueError(f"figure {figure_id!r} is not numeric: {_value(self.stated.loc[figure_id, 'reported'])}")
        return float(d)

    def wants(self, *figure_ids: str) -> bool:
        """True if this folder states any of ``figure_ids`` (so a notebook computes only what it can check)."""
        return any(f in self.stated.index for f in figure_ids)

    def status(self, figure_id: str) -> str:
        """Status recorded for a figure (``not_reproducible`` if it was never checked)."""
        return self.table().set_index("figure_id").loc[figure_id, "status"]

    def not_reproducible(self, figure_id: str, reason: str, *, locate: bool = False) -> None:
        """Record that a stated figure cannot be recomputed, and why.

        With ``locate=True`` the reason is followed by the figure's own
        description and seed lines, so a reason shared by a group of figures
        (e.g. "a single statement of the fieldwork") still names its row.
        """
        if not reason:
            raise InputDataError("a not_reproducible figure needs its reason")
        fig = self._figure(figure_id)
        if fig is None:
            return
        if locate:
            lines = fig.get("seed_lines") if "seed_lines" in fig else None
            where = "" if lines is None or pd.isna(lines) or not str(lines) else f", l.{lines}"
            reason = f"{reason} ({fig['description']}{where})"
        self._rows[figure_id] = {"reproduced": "", "status": "not_reproducible", "note": reason}

    def circular(self, figure_id: str, how: str) -> None:
        """Record a figure whose only recomputation uses the figure itself (back-solving).

        It is ``not_reproducible`` with the reason "circular: <how>".
        """
        if not how:
            raise InputDataError("say how the figure was derived from itself")
        if self._figure(figure_id) is None:
            return
        self._rows[figure_id] = {"reproduced": "", "status": "not_reproducible", "note": f"{CIRCULAR}: {how}"}

    def mentions(self, figure_id: str, values: list[Any] | tuple[Any, ...]) -> None:
        """Record the values of every mention of a figure in the document (not a status).

        ``mentions`` is their number and ``mentions_agree`` whether they are all equal.
        """
        if self._figure(figure_id) is None:
            return
        if not values:
            raise InputDataError(f"figure {figure_id!r}: give the value of each mention")
        texts = {format_value(v) if not isinstance(v, str) else v.strip() for v in values}
        self._mentions[figure_id] = (len(values), len(texts) == 1)

    def external(self, figure_id: str, value: Any, source: str, status: str) -> None:
        """Record a comparison of a stated figure with outside data (e.g. DfE); not the document's status.

        ``status`` is :func:`classify`'s verdict of the reported figure against
        ``value`` (or ``not_available`` when the outside data are absent).
        """
        if self._figure(figure_id) is None:
            return
        if status not in (*STATUSES, "not_available"):
            raise InputDataError(f"external status {status!r} is not one of {STATUSES + ('not_available',)}")
        self._external[figure_id] = (format_value(value) if value is not None else "", source, status)

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
                    **self._extra(str(fid)),
                }
            )
        return pd.DataFrame(rows, columns=COLUMNS)

    def _extra(self, fid: str) -> dict[str, Any]:
        n, agree = self._mentions.get(fid, (None, None))
        ev, es, st = self._external.get(fid, ("", "", ""))
        return {
            "mentions": "" if n is None else str(n),
            "mentions_agree": "" if agree is None else ("yes" if agree else "no"),
            "external_value": ev,
            "external_source": es,
            "external_status": st,
        }

    def problems(self) -> list[str]:
        """Breaches of the status rules that code can detect (empty when the table follows them).

        * a stated figure was never checked;
        * two rows share the same reason (reasons must be specific to their row);
        * a bound row is ``exact`` without saying it is a bound check;
        * a ``not_reproducible`` row has no reason.
        """
        t = self.table()
        out: list[str] = []
        for _, r in t[t["note"] == NO_ATTEMPT].iterrows():
            out.append(f"{r['figure_id']}: never checked ({NO_ATTEMPT})")
        nr = t[(t["status"] != "exact") & (t["note"] != "") & (t["note"] != NO_ATTEMPT)]
        for note, grp in nr.groupby("note"):
            if len(grp) > 1:
                out.append(f"rows {', '.join(grp['figure_id'])} share one reason: {note!r}")
        bounds = t[t["reported"].str.match(r"^[<>]") & (t["status"] == "exact")]
        for _, r in bounds.iterrows():
            if "bound" not in r["note"]:
                out.append(f"{r['figure_id']}: a bound check whose note does not say so")
        for _, r in t[(t["status"] == "not_reproducible") & (t["note"] == "")].iterrows():
            out.append(f"{r['figure_id']}: not_reproducible without a reason")
        return out

    def counts(self) -> dict[str, int]:
        """Number of figures with each status."""
        t = self.table()
        return {s: int((t["status"] == s).sum()) for s in STATUSES}

    def to_text(self, *, notes: bool = True) -> str:
        """Plain fixed-width text of the table, stable across pandas and Jupyter versions."""
        return table_text(self.table(), notes=notes)

    def to_frame(self) -> pd.DataFrame:
        """The reproduction table (:meth:`table`)."""
        return self.table()

    def summary(self) -> Summary:
        """Counts of each status, then the table (stable text for nbval)."""
        c = self.counts()
        text = ", ".join(f"**{v}** {k.replace('_', ' ')}" for k, v in c.items())
        return Summary(f"Reproduction: {len(self.stated)} stated figures", text + ".",
                       notes=list(self.notes))

    def plot(self, ax: Any = None) -> Any:
        """Horizontal bars of the number of figures with each status (axis from zero)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 2.4))
        c = self.counts()
        labels = [k.replace("_", " ") for k in c]
        ax.barh(labels[::-1], list(c.values())[::-1], color=["#999999", "#d95f02", "#7fc97f", "#1b9e77"])
        ax.set_xlim(0, max(1, max(c.values())) * 1.15)
        for i, v in enumerate(list(c.values())[::-1]):
            ax.text(v, i, f" {v}", va="center", fontsize=9)
        ax.set_xlabel("Stated figures (number)")
        ax.set_title("Reported against reproduced")
        ax.grid(axis="y", visible=False)
        return ax.figure

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
        extra = [_extra_text(r) for _, r in t.iterrows()]
        noted = [(r, x) for (_, r), x in zip(t.iterrows(), extra, strict=True) if str(r["note"]) or x]
        if noted:
            lines.append("")
            lines.append("Notes")
            for r, x in noted:
                lines.append(f"- {r['figure_id']}: " + "; ".join(p for p in (str(r["note"]), x) if p))
    return "\n".join(lines)


def _extra_text(r: pd.Series) -> str:
    """The mentions and outside-data columns of one row as text ("" when empty)."""
    parts = []
    if str(r.get("mentions", "") or ""):
        agree = {"yes": "all agree", "no": "they disagree"}.get(str(r.get("mentions_agree", "")), "")
        parts.append(f"mentions: {r['mentions']} ({agree})")
    if str(r.get("external_status", "") or ""):
        parts.append(f"outside data ({r['external_source']}): {r['external_value'] or 'absent'}, "
                     f"{r['external_status']}")
    return "; ".join(parts)


def summarise_file(path: str | Path) -> dict[str, int]:
    """Counts of each status in a written ``reproduction.csv``."""
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {s: int((t["status"] == s).sum()) for s in STATUSES}
