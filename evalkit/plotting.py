"""Shared plot settings so every notebook's figures look alike and render headless."""

from __future__ import annotations

import matplotlib

PALETTE = "colorblind"


def setup(context: str = "notebook") -> None:
    """Set the seaborn theme used across evalkit notebooks.

    Uses a non-interactive backend when no display is present, and fixes the
    SVG hash salt so saved figures are byte-reproducible.
    """
    import seaborn as sns

    matplotlib.rcParams["svg.hashsalt"] = "evalkit"
    matplotlib.rcParams["figure.dpi"] = 100
    sns.set_theme(context=context, style="whitegrid", palette=PALETTE)


def rating_grid(grid, ax=None):
    """Heatmap of respondent group x case study: mean rating, or why there is none.

    ``grid`` is :func:`evalkit.casestudies.rating_grid` output.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    groups = list(dict.fromkeys(grid["respondent_group"]))
    cases = sorted(grid["case_study"].unique())
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * len(cases) + 2.5, 0.7 * len(groups) + 1.2))
    vals = np.full((len(groups), len(cases)), np.nan)
    labels = np.full((len(groups), len(cases)), "", dtype=object)
    short = {"not collected": "none\ncollected", "value lost": "value\nlost", "unknown": "?"}
    for _, r in grid.iterrows():
        i, j = groups.index(r["respondent_group"]), cases.index(r["case_study"])
        if r["state"] == "rated":
            vals[i, j] = r["rating"]
            labels[i, j] = f"{r['rating']:.1f}"
        else:
            labels[i, j] = short.get(r["state"], r["state"])
    ax.imshow(np.where(np.isnan(vals), 0, vals), cmap="Greens", vmin=0, vmax=5, aspect="auto",
              alpha=np.where(np.isnan(vals), 0.08, 1.0))
    for i in range(len(groups)):
        for j in range(len(cases)):
            ax.text(j, i, labels[i, j], ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(cases)), [f"case {c}" for c in cases])
    ax.set_yticks(range(len(groups)), [g.replace("_", " ") for g in groups])
    ax.grid(False)
    ax.set_title("Case-study ratings (1 very poor - 5 very good)")
    return ax


def cost_vs_saving(savings, ax=None, *, label="12-month potential saving"):
    """Scatter of each case's cost against its potential saving, with the break-even line."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    sns.scatterplot(data=savings, x="cost", y="saving", hue="saving_basis", s=90, ax=ax)
    for _, r in savings.iterrows():
        ax.annotate(f"case {r['case_id']}", (r["cost"], r["saving"]), textcoords="offset points",
                    xytext=(6, 4), fontsize=8)
    top = max(float(savings["saving"].max()), float(savings["cost"].max())) * 1.1
    ax.plot([0, top], [0, top], ls="--", color="grey", lw=1, label="saving = cost")
    ax.set_xlim(0, float(savings["cost"].max()) * 1.3)
    ax.set_ylim(-0.03 * top, top)
    ax.set_xlabel("YST cost of the case (GBP)")
    ax.set_ylabel(f"{label} (GBP)")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def implied_rates(rates, ax=None):
    """Bar chart of each case's implied hourly rate against the reference rate."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar([f"case {c}" for c in rates["case_id"]], rates["implied_rate"], color="#4c72b0")
    ref = float(rates["reference_rate"].iloc[0])
    ax.axhline(ref, ls="--", color="black", lw=1, label=f"median implied rate £{ref:.2f}")
    ax.set_ylim(rates["implied_rate"].min() * 0.9, rates["implied_rate"].max() * 1.05)
    ax.set_ylabel("Cost / hours (GBP per hour)")
    ax.legend(fontsize=8)
    return ax
