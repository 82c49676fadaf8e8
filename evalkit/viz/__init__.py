"""evalkit's plotting layer: one style, human labels, readable ticks, no overprinted text.

Every notebook and every ``plot()`` method draws through these helpers::

    from evalkit import viz
    viz.use_style()
    ax.plot(panel["year"], panel["adolescent_starts"])
    viz.year_axis(ax)                       # "year ending 31 March", whole years
    viz.value_axis(ax, "adolescent_starts") # "children starting ... (children)"
    viz.legend_outside(ax)                  # never over the data

Functions
---------
use_style
    matplotlib / seaborn settings shared by all figures.
label, labels_of
    code name -> human label with unit (dictionary in ``evalkit/resources/labels.csv``).
year_axis, value_axis
    axis titles from the dictionary; the year axis always reads "year ending 31 March".
gbp_formatter, percent_formatter, money_axis, percent_axis
    £, £k, £m and % tick text (no "1e6" offset text).
bars_from_zero
    a bar chart's value axis includes zero.
legend_outside
    the legend to the right of, or below, the axes.
label_points
    point labels moved apart with ``adjustText``.
dominant, log_or_highlight
    when one series dwarfs the others: log scale, or the others drawn on their own scale.
nothing_to_draw
    a chart of nothing says so in words and draws nothing.
prose, to_markdown
    plain-language text as Markdown (wraps as prose in Lab and HTML).
as_markdown, text_markdown, markdown
    evalkit's fixed-width result text as Markdown: prose as paragraphs and lists, tables aligned.
overlapping_texts
    pairs of text boxes that overlap on the rendered figure (for tests).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

from evalkit.viz import labels
from evalkit.viz.labels import humanise, known, label, labels_of, unit
from evalkit.viz.text import as_markdown, markdown, prose, text_markdown, to_markdown

__all__ = [
    "PALETTE",
    "as_markdown",
    "markdown",
    "text_markdown",
    "YEAR_LABEL",
    "bars_from_zero",
    "dominant",
    "gbp",
    "gbp_formatter",
    "humanise",
    "known",
    "label",
    "label_points",
    "labels",
    "labels_of",
    "legend_outside",
    "log_or_highlight",
    "money_axis",
    "nothing_to_draw",
    "overlapping_texts",
    "percent_axis",
    "percent_formatter",
    "ratio_axis",
    "ratio_ticks",
    "log_count_axis",
    "integer_axis",
    "prose",
    "unit",
    "use_style",
    "value_axis",
    "to_markdown",
    "table",
    "year_axis",
]

PALETTE = "colorblind"
YEAR_LABEL = "year ending 31 March"

#: rcParams applied by :func:`use_style` on top of seaborn's "whitegrid" theme.
RC: dict[str, Any] = {
    "svg.hashsalt": "evalkit",
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "figure.constrained_layout.use": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10.5,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.formatter.useoffset": False,
    "axes.formatter.limits": (-7, 9),
    "axes.formatter.use_mathtext": False,
    "font.family": "DejaVu Sans",
}


def use_style(context: str = "notebook") -> None:
    """Apply evalkit's one figure style (seaborn "whitegrid", colour-blind palette, rcParams :data:`RC`).

    Large numbers are printed in full (no "x1e6" offset text); titles are left-aligned and bold.
    """
    import seaborn as sns

    sns.set_theme(context=context, style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(RC)


# --------------------------------------------------------------------------- axes titles


def year_axis(ax: Any, *, axis: str = "x", integer: bool = True) -> Any:
    """Title the year axis "year ending 31 March" and show whole years only."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_label_text(YEAR_LABEL)
    if integer:
        integer_axis(ax, axis=axis)
        target.set_major_formatter(FuncFormatter(lambda v, _p: f"{int(round(v))}"))
    return ax


def value_axis(ax: Any, name: str, *, axis: str = "y") -> Any:
    """Title an axis with the dictionary label of ``name`` (unit in brackets); £ and % get formatters."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_label_text(label(name))
    u = unit(name)
    if u.startswith("£"):
        money_axis(ax, axis=axis)
    elif u.startswith("%"):
        percent_axis(ax, axis=axis)
    return ax


# --------------------------------------------------------------------------- tick formats


def _gbp(v: float, scale: str) -> str:
    sign = "-" if v < 0 else ""
    a = abs(v)
    if scale == "m":
        s = f"{a / 1e6:,.1f}".rstrip("0").rstrip(".")
        return f"{sign}£{s}m"
    if scale == "k":
        s = f"{a / 1e3:,.1f}".rstrip("0").rstrip(".")
        return f"{sign}£{s}k"
    return f"{sign}£{a:,.0f}"


def gbp(value: float) -> str:
    """Whole pounds for text, the sign before the pound sign: ``-£1,985``, ``£20,055``.

    Examples
    --------
    >>> gbp(-1985.4), gbp(20055), gbp(float("nan"))
    ('-£1,985', '£20,055', 'n/a')
    """
    if value != value:  # NaN
        return "n/a"
    return _gbp(float(value), "£")


def gbp_formatter(scale: str = "auto", *, vmax: float | None = None) -> FuncFormatter:
    """Tick formatter for money: ``"£"`` (whole pounds), ``"k"`` (£1.5k) or ``"m"`` (£1.2m).

    With ``scale="auto"`` the scale follows ``vmax`` (the largest absolute tick): £m from
    £1m, £k from £10,000, whole pounds below.

    Examples
    --------
    >>> f = gbp_formatter("k")
    >>> f(-1750, 0), f(12500, 0)
    ('-£1.75k', '£12.5k')
    """
    if scale not in {"auto", "k", "m", "£"}:
        raise ValueError(f"scale must be 'auto', '£', 'k' or 'm', not {scale!r}")

    def fmt(v: float, _pos: int | None = None) -> str:
        if v == 0:
            return "£0"
        s = scale
        if s == "auto":
            top = abs(vmax) if vmax is not None else abs(v)
            s = "m" if top >= 1e6 else "k" if top >= 1e4 else "£"
        if s == "k":
            a = abs(v) / 1e3
            txt = f"{a:,.2f}".rstrip("0").rstrip(".")
            return f"{'-' if v < 0 else ''}£{txt}k"
        return _gbp(v, "m" if s == "m" else "£")

    return FuncFormatter(fmt)


def percent_formatter(*, share: bool = False, decimals: int = 0) -> FuncFormatter:
    """Tick formatter for percentages; ``share=True`` when the data are shares (0.25 -> "25%")."""

    def fmt(v: float, _pos: int | None = None) -> str:
        return f"{(100 * v if share else v):.{decimals}f}%"

    return FuncFormatter(fmt)


def money_axis(ax: Any, *, axis: str = "y", scale: str = "auto") -> Any:
    """£ ticks on an axis, scale chosen from the axis limits when ``scale="auto"``."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    target.set_major_formatter(gbp_formatter(scale, vmax=max(abs(lo), abs(hi))))
    target.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], min_n_ticks=4))
    return ax


def percent_axis(ax: Any, *, axis: str = "y", share: bool = False, decimals: int = 0) -> Any:
    """% ticks on an axis."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(percent_formatter(share=share, decimals=decimals))
    return ax


#: Tick sets for a log axis of ratios, finest first. The coarser sets are symmetric about 1 on
#: the log scale (0.8 and 1.25, 0.5 and 2), as ratios below and above 1 are.
RATIO_TICKS = (
    (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0),
    (0.25, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0),
    (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
    (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0),
)


def ratio_ticks(lo: float, hi: float, *, most: int = 7) -> list[float]:
    """Ticks for a log-scale ratio axis from ``lo`` to ``hi``: the finest set with at most ``most``.

    Examples
    --------
    >>> ratio_ticks(0.55, 1.6)
    [0.67, 0.8, 1.0, 1.25, 1.5]
    >>> ratio_ticks(0.85, 1.15)
    [0.9, 1.0, 1.1]
    >>> ratio_ticks(0.2, 5)
    [0.2, 0.5, 1.0, 2.0, 5.0]
    """
    for ticks in RATIO_TICKS:
        inside = [t for t in ticks if lo <= t <= hi]
        if len(inside) <= most:
            return inside
    return inside


def ratio_axis(ax: Any, *, axis: str = "y") -> Any:
    """A log-scale axis of ratios with plain ticks (0.5, 0.8, 1, 1.25, 2), not powers of ten.

    Call after the data are drawn: the ticks are chosen from the axis limits.
    """
    from matplotlib.ticker import FixedLocator, NullLocator

    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    target.set_major_locator(FixedLocator(ratio_ticks(lo, hi)))
    target.set_major_formatter(FuncFormatter(lambda v, _pos=None: f"{v:g}"))
    target.set_minor_locator(NullLocator())
    return ax


def log_count_axis(ax: Any, *, axis: str = "x") -> Any:
    """A log-scale axis of counts with ticks at 1, 2 and 5 times each power of ten, in plain numbers."""
    from matplotlib.ticker import LogLocator, NullLocator

    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda v, _pos=None: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    target.set_minor_locator(NullLocator())
    return ax


def integer_axis(ax: Any, *, axis: str = "x") -> Any:
    """Whole-number ticks only (years since an event, counts)."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))
    return ax


# --------------------------------------------------------------------------- layout helpers


def bars_from_zero(ax: Any, *, axis: str = "y") -> Any:
    """Make a bar chart's value axis include zero (bars that start elsewhere exaggerate gaps)."""
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    (ax.set_ylim if axis == "y" else ax.set_xlim)(min(lo, 0.0), max(hi, 0.0))
    return ax


def legend_outside(ax: Any, *, where: str = "right", title: str | None = None, ncol: int | None = None,
                   **kw: Any) -> Any:
    """Put the legend outside the axes: to the ``"right"`` or ``"below"``; returns the legend.

    The figure's saved and displayed area (``bbox_inches="tight"``) grows to hold it.
    """
    handles, texts = ax.get_legend_handles_labels()
    if not handles:
        return None
    if where == "right":
        leg = ax.legend(handles, texts, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                        title=title, ncol=ncol or 1, **kw)
    elif where == "below":
        old = ax.get_legend()
        if old is not None:
            old.remove()
        # below the tick labels and the axis title, wherever they end
        fig = ax.figure
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        axbb = ax.get_window_extent(r)
        parts = [t.get_window_extent(r) for t in [ax.xaxis.label, *ax.get_xticklabels()]
                 if t.get_visible() and t.get_text()]
        bottom = min([axbb.y0, *[b.y0 for b in parts]])
        y = (bottom - axbb.y0) / axbb.height - 6 / axbb.height
        leg = ax.legend(handles, texts, loc="upper center", bbox_to_anchor=(0.5, y), borderaxespad=0.0,
                        title=title, ncol=ncol or min(len(handles), 4), **kw)
    else:
        raise ValueError(f"where must be 'right' or 'below', not {where!r}")
    return leg


def label_points(ax: Any, x: Sequence[float], y: Sequence[float], texts: Sequence[str], *,
                 fontsize: float = 8.5, arrows: bool = True, **kw: Any) -> list[Any]:
    """Label points so that no two labels, and no label and point, overprint (``adjustText``).

    Returns the text artists after they were moved.
    """
    from adjustText import adjust_text

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    arts = [ax.text(xi, yi, str(t), fontsize=fontsize) for xi, yi, t in zip(x, y, texts, strict=True)]
    if len(arts) > 1:
        ax.figure.canvas.draw()
        adjust_text(arts, x=x, y=y, ax=ax, expand=(1.3, 1.5), ensure_inside_axes=True,
                    arrowprops=dict(arrowstyle="-", color="0.5", lw=0.6) if arrows else None, **kw)
    return arts


def dominant(values: Sequence[float], *, factor: float = 10.0) -> bool:
    """True when the largest absolute value is more than ``factor`` times the median of the others.

    Such a series squashes the rest into a strip at the bottom of a linear axis.
    """
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return False
    top = v.max()
    rest = np.delete(v, v.argmax())
    med = float(np.median(rest))
    return bool(med > 0 and top > factor * med) or bool(med == 0 and top > 0 and len(rest) > 0 and rest.max() > 0
                                                      and top > factor * rest.max())


def log_or_highlight(ax: Any, values: Sequence[float], *, axis: str = "y", factor: float = 10.0,
                     mode: str = "log") -> bool:
    """When one value dwarfs the others (:func:`dominant`), put the axis on a log scale.

    ``mode="log"`` sets a symmetric-log scale (values may be zero or negative) and notes it
    on the axis title; ``mode="clip"`` instead limits the axis to the others and writes the
    outlier's value at the edge. Returns True when something was done.
    """
    if not dominant(values, factor=factor):
        return False
    v = np.asarray(values, dtype=float)
    target = ax.yaxis if axis == "y" else ax.xaxis
    if mode == "log":
        pos = np.abs(v[np.isfinite(v) & (v != 0)])
        (ax.set_yscale if axis == "y" else ax.set_xscale)("symlog", linthresh=float(pos.min()) if len(pos) else 1.0)
        target.set_label_text(f"{target.get_label_text()} (log scale)".strip())
        target.set_major_formatter(FuncFormatter(lambda t, _p: f"{t:,.0f}"))
        return True
    if mode == "clip":
        i = int(np.nanargmax(np.abs(v)))
        rest = np.delete(v, i)
        hi = float(np.nanmax(rest)) * 1.15
        lo = min(0.0, float(np.nanmin(rest)) * 1.15)
        (ax.set_ylim if axis == "y" else ax.set_xlim)(lo, hi)
        ax.annotate(f"off the scale: {v[i]:,.0f}", xy=(0.99, 0.98), xycoords="axes fraction", ha="right",
                    va="top", fontsize=8.5, color="0.25")
        return True
    raise ValueError(f"mode must be 'log' or 'clip', not {mode!r}")


def nothing_to_draw(ax: Any, message: str) -> Any:
    """Replace a chart that would show nothing with a sentence saying why (no axes, no ticks)."""
    ax.clear()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=11, transform=ax.transAxes)
    return ax


def overlapping_texts(fig: Any, *, tol: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty text artists whose rendered boxes overlap (display pixels).

    Tick labels, axis titles, titles, legend entries and annotations are all included, so a
    test can assert that nothing overprints. ``tol`` shrinks each box by that many pixels.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    all_ticks, drawn = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                all_ticks.update({id(tick.label1), id(tick.label2)})
            for tick in axis._update_ticks():  # the ticks matplotlib actually draws
                drawn.update({id(tick.label1), id(tick.label2)})
    boxes = []
    for t in fig.findobj(mpl.text.Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        if id(t) in all_ticks and id(t) not in drawn:
            continue
        if t.axes is not None and not t.axes.get_visible():
            continue
        bb = t.get_window_extent(renderer)
        if bb.width <= 0 or bb.height <= 0:
            continue
        boxes.append((t.get_text(), bb.x0 + tol, bb.y0 + tol, bb.x1 - tol, bb.y1 - tol))
    out = []
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]:
                out.append((a[0], b[0]))
    return out


# --------------------------------------------------------------------------- tables shown to people

#: A cell that is a code name: lower case, digits and underscores.
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def table(df: Any) -> Any:
    """A copy of ``df`` for display: human column labels with units, code-name values labelled.

    Columns are renamed with :func:`label`. A text column whose every value is a code name
    (``programme_cost_per_yp``, ``cin_plan``) shows each value's label, without units. Numbers,
    the index and free text are unchanged; the frame the analysis uses is not modified. ``None``
    (a table the data do not allow) passes through, so the cell shows nothing.

    Examples
    --------
    >>> import pandas as pd
    >>> table(pd.DataFrame({"parameter": ["programme_cost_per_yp"], "value": [1.0]})).columns.tolist()
    ['parameter', 'value']
    >>> table(pd.DataFrame({"parameter": ["programme_cost_per_yp"], "value": [1.0]})).iloc[0, 0]
    'programme cost per young person'
    """
    import pandas as pd

    if df is None:  # a table the data do not allow (e.g. no training records): nothing to show
        return None
    out = df.copy()
    for col in out.columns:
        values = out[col].dropna()
        if out[col].dtype == object and len(values) and values.map(lambda v: isinstance(v, str) and bool(
                _CODE.match(v))).all():
            out[col] = out[col].map(lambda v: label(v, units=False) if isinstance(v, str) else v)
    out.columns = pd.Index([label(c) if isinstance(c, str) else c for c in out.columns])
    return out
