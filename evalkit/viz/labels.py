"""Human labels, with units, for every measure, parameter and column evalkit draws.

The dictionary is data: ``evalkit/resources/labels.csv`` (``name, label, unit, note``).
Add a row there rather than writing a label in a plotting call.

Examples
--------
>>> label("adolescent_starts")
'children starting to be looked after aged 10 and over (children)'
>>> label("programme_cost_per_yp")
'programme cost per young person (£)'
>>> label("year")
'year ending 31 March'
>>> label("some_new_column")
'some new column'
>>> label("sex[male]"), label("role=CAS team"), label("likert_03")
('sex: male', 'role: CAS team', 'rating item 3')
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

#: ``sex[male]`` (patsy / matching indicator) or ``role=CAS team`` (attrition tables).
_LEVEL = re.compile(r"^([A-Za-z_][\w]*)(?:\[(?:T\.)?([^\]]+)\]|=(.+))$")
#: Questionnaire item columns.
_ITEM = re.compile(r"^(likert|sdq|wemwbs|swemwbs)_(\d+)$", re.IGNORECASE)
_ITEM_SCALES = {"likert": "rating", "sdq": "SDQ", "wemwbs": "WEMWBS", "swemwbs": "SWEMWBS"}

#: Units not repeated after a label (the label already says what is counted).
_SILENT_UNITS = {"", "share"}


@cache
def table() -> dict[str, dict[str, str]]:
    """The label dictionary: name -> {"label", "unit", "note"} (read once from the CSV)."""
    path = resources.files("evalkit") / "resources" / "labels.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        name = r["name"].strip()
        if name in out:
            raise ValueError(f"labels.csv: {name!r} is listed twice")
        out[name] = {"label": r["label"].strip(), "unit": r["unit"].strip(), "note": r["note"].strip()}
    return out


def known(name: str) -> bool:
    """True when ``name`` has a row in the label dictionary."""
    return str(name) in table()


def humanise(name: str) -> str:
    """A code name made readable without the dictionary: underscores to spaces.

    ``cin`` / ``cp`` / ``lac`` / ``yst`` / ``sdq`` and similar abbreviations are upper-cased.
    """
    words = re.split(r"[_\s]+", str(name).strip())
    if len(words) > 1 and words[0] == "n":  # n_sample -> number of sample(s): a count
        words[0:1] = ["number", "of"]
    caps = {"cin", "cp", "lac", "cla", "yst", "sdq", "wemwbs", "swemwbs", "la", "att", "smd", "npv", "neet", "yot", "cse"}
    return " ".join(w.upper() if w.lower() in caps else w for w in words if w)


def unit(name: str) -> str:
    """The unit of ``name`` ("" when none or unknown)."""
    row = table().get(str(name))
    return row["unit"] if row else ""


def label(name: str, *, units: bool = True) -> str:
    """Human label of a measure, parameter or column, with its unit in brackets.

    Parameters
    ----------
    name
        A code name such as ``"programme_cost_per_yp"``.
    units
        Append the unit ("(£)", "(months)") when the dictionary gives one.

    Returns
    -------
    str
        The dictionary's label, or :func:`humanise` of the name when it has no row.
    """
    name = str(name)
    level = _LEVEL.match(name)
    if level and name not in table():
        return f"{label(level.group(1), units=False)}: {(level.group(2) or level.group(3)).strip()}"
    item = _ITEM.match(name)
    if item and name not in table():
        return f"{_ITEM_SCALES[item.group(1).lower()]} item {int(item.group(2))}"
    row = table().get(name)
    if row is None:
        return humanise(name)
    if units and row["unit"] not in _SILENT_UNITS:
        return f"{row['label']} ({row['unit']})"
    return row["label"]


def labels_of(names, *, units: bool = False) -> list[str]:
    """:func:`label` of each name (no units by default: tick labels of a category axis)."""
    return [label(n, units=units) for n in names]
