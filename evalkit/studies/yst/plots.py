"""Figures of the YST costed case review (notebook 01).

Every figure starts its bars at zero, labels axes in words with units, keeps
legends outside the data and keeps point labels apart. A figure with nothing
to draw says so in words instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit import viz

BASIS_LABELS = {"cin_plan": "CIN plan no longer needed", "cp_plan": "CP plan avoided", "none": "no saving credited"}


def _ax(ax: Any, size: tuple[float, float]) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def message(ax: Any, text: str) -> Any:
    """Write ``text`` in an empty axes (no ticks, no frame) and return it."""
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=11, transform=ax.transAxes)
    return ax


def spread_labels(y: np.ndarray, min_gap: float) -> np.ndarray:
    """Label positions moved apart so that no two are closer than ``min_gap`` (order kept).

    Examples
    --------
    >>> spread_labels(np.array([1.0, 1.1, 5.0]), 1.0).tolist()
    [1.0, 2.0, 5.0]
    """
    order = np.argsort(y, kind="stable")
    out = np.asarray(y, dtype=float).copy()
    for k in range(1, len(order)):
        i, j = order[k - 1], order[k]
        out[j] = max(out[j], out[i] + min_gap)
    return out


def implied_rates(rates: pd.DataFrame, ax: Any = None, *, public: bool = True) -> Any:
    """Bars of each case's implied hourly rate (from zero) against the median rate."""
    ax = _ax(ax, (6.5, 3.5))
    if not public:
        return message(ax, "Per-case rates are not shown for an LA's own case records.")
    ax.bar([f"Case {c}" for c in rates["case_id"]], rates["implied_rate"], color="#4c72b0")
    ref = float(rates["reference_rate"].iloc[0])
    ax.axhline(ref, ls="--", color="black", lw=1, label=f"median implied rate (£{ref:.2f} an hour)")
    ax.set_ylim(0, float(rates["implied_rate"].max()) * 1.15)
    ax.set_ylabel("Implied hourly rate (£ per hour)")
    ax.set_xlabel("Costed case")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("Staff cost / staff hours, by case")
    return ax


def cost_vs_saving(savings: pd.DataFrame, ax: Any = None, *, months: float = 12, public: bool = True) -> Any:
    """Each case's YST cost against its potential saving, with the break-even line; labels never overprint."""
    ax = _ax(ax, (7.5, 4.5))
    if not public:
        return message(ax, "Per-case costs and savings are not shown for an LA's own case records.")
    top = max(float(savings["saving"].max()), float(savings["cost"].max())) * 1.1
    colours = {"cin_plan": "#1b9e77", "cp_plan": "#d95f02", "none": "#7570b3"}
    for basis, grp in savings.groupby("saving_basis", sort=False):
        ax.scatter(grp["cost"], grp["saving"], s=70, color=colours.get(basis, "grey"),
                   label=BASIS_LABELS.get(basis, str(basis)), zorder=3)
    ax.plot([0, top], [0, top], ls="--", color="grey", lw=1, label="saving = cost")
    ax.set_xlim(0, float(savings["cost"].max()) * 1.35)
    ax.set_ylim(-0.05 * top, top)
    label_y = spread_labels(savings["saving"].to_numpy(float), 0.06 * top)
    for (_, r), y in zip(savings.iterrows(), label_y, strict=True):
        ax.annotate(f"Case {r['case_id']}", (r["cost"], r["saving"]), xytext=(r["cost"] + 0.04 * top / 3, y),
                    textcoords="data", fontsize=8, va="center",
                    arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.5})
    ax.set_xlabel("YST staff cost of the case")
    ax.set_ylabel(f"Potential saving over {months:g} months")
    viz.money_axis(ax, axis="x")
    viz.money_axis(ax, axis="y")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("Cost against potential saving, by case")
    return ax


def break_even(grid: pd.DataFrame, ax: Any = None) -> Any:
    """Net saving of all cases against the assumed months of avoided support."""
    ax = _ax(ax, (6.5, 4))
    ax.plot(grid["months"], grid["net"], marker="o")
    ax.axhline(0, color="grey", lw=1)
    ax.set_xlabel("Months of avoided CIN / CP support (assumed; not in the document)")
    ax.set_ylabel("Net saving, all cases")
    viz.money_axis(ax)
    ax.set_title("How the verdict depends on the unknown duration")
    return ax


def attendance(att: pd.DataFrame | None, ax: Any = None, *, public: bool = True) -> Any:
    """Stacked bars of direct-work sessions attended and missed, by case."""
    ax = _ax(ax, (6.5, 3.5))
    if att is None or not public:
        return message(ax, "No per-case session counts to show.")
    x = [f"Case {c}" for c in att["case_id"]]
    ax.bar(x, att["attended"], label="attended", color="#1b9e77")
    ax.bar(x, att["missed"], bottom=att["attended"], label="missed", color="#d95f02")
    ax.set_ylim(0, float((att["attended"] + att["missed"]).max()) * 1.15)
    ax.set_ylabel("Direct-work sessions (number)")
    ax.set_xlabel("Costed case")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("Sessions attended and missed, by case")
    return ax


def rating_grid(grid: pd.DataFrame | None, ax: Any = None) -> Any:
    """Heatmap of respondent group x case study, or, when no rating is known, a sentence saying so.

    ``grid`` is :func:`evalkit.studies.yst.casestudies.rating_grid` output.
    """
    if grid is None or not (grid["state"] == "rated").any():
        ax = _ax(ax, (6.5, 1.2))
        return message(ax, "No rating values to show: the bars of Figures 3, 5 and 6 were lost in the text "
                           "extraction. Pass ratings_file to add them.")
    groups = list(dict.fromkeys(grid["respondent_group"]))
    cases = sorted(grid["case_study"].unique())
    ax = _ax(ax, (1.2 * len(cases) + 2.5, 0.7 * len(groups) + 1.2))
    vals = np.full((len(groups), len(cases)), np.nan)
    labels = np.full((len(groups), len(cases)), "", dtype=object)
    short = {"not collected": "none\ncollected", "value lost": "value\nlost", "unknown": "not\nknown"}
    for r in grid.itertuples(index=False):
        i, j = groups.index(r.respondent_group), cases.index(r.case_study)
        if r.state == "rated":
            vals[i, j] = r.rating
            labels[i, j] = f"{r.rating:.1f}"
        else:
            labels[i, j] = short.get(r.state, r.state)
    ax.imshow(np.where(np.isnan(vals), 0, vals), cmap="Greens", vmin=0, vmax=5, aspect="auto",
              alpha=np.where(np.isnan(vals), 0.08, 1.0))
    for i in range(len(groups)):
        for j in range(len(cases)):
            ax.text(j, i, labels[i, j], ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(cases)), [f"Case study {c}" for c in cases])
    ax.set_yticks(range(len(groups)), [g.replace("_", " ").capitalize() for g in groups])
    ax.grid(False)
    ax.set_title("Case-study ratings (1 very poor to 5 very good)")
    return ax
