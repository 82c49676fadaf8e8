"""One results shape for every estimator, in the manner of statsmodels' results classes.

Every fitted object that evalkit returns derives from :class:`Result` and offers

* ``summary()`` -> :class:`Summary`: its ``str()`` is plain text that is stable
  across machines (nbval checks it); in Jupyter it renders as Markdown prose
  followed by HTML tables;
* ``plot(ax=None)`` -> a matplotlib ``Figure``;
* ``to_frame()`` -> a tidy ``pandas.DataFrame``;
* ``notes`` -> the warnings recorded while fitting, instead of being silenced.

Examples
--------
>>> import pandas as pd
>>> s = Summary("Example", "The **ratio** is 0.82.", tables={"effects": pd.DataFrame({"a": [1]})})
>>> print(s)
Example
The ratio is 0.82.
<BLANKLINE>
effects
 a
 1
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

_MD_STRONG = re.compile(r"\*\*(.+?)\*\*")
_MD_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")


def _plain(markdown: str) -> str:
    """Markdown emphasis removed, for the stable text form."""
    return _MD_EM.sub(r"\1", _MD_STRONG.sub(r"\1", markdown))


@dataclass
class Summary:
    """A result's summary: a title, Markdown prose and named tables.

    Parameters
    ----------
    title
        One line naming the analysis.
    text
        Plain-language findings as Markdown (paragraphs and bullet lists).
    tables
        Named tables shown after the text, already rounded for display.
    notes
        Warnings recorded while fitting; listed last.
    preformatted
        ``text`` is fixed-width (a table laid out in spaces): Jupyter shows it
        in a code block instead of as prose. ``str()`` is the same either way.
    """

    title: str
    text: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    preformatted: bool = False

    def __str__(self) -> str:
        parts = [self.title]
        if self.text:
            parts.append(self.text.strip("\n") if self.preformatted else _plain(self.text).strip())
        for name, tab in self.tables.items():
            parts.append("")
            parts.append(name)
            parts.append(tab.to_string(index=False))
        if self.notes:
            parts.append("")
            parts.append("Notes")
            parts.extend(f"- {n}" for n in self.notes)
        return "\n".join(parts)

    def _repr_markdown_(self) -> str:
        body = f"```\n{self.text.strip(chr(10))}\n```" if self.preformatted else self.text.strip()
        md = [f"### {self.title}", "", body]
        for name, tab in self.tables.items():
            md += ["", f"**{name}**", "", _markdown_table(tab)]
        if self.notes:
            md += ["", "**Notes**", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(md)


def _markdown_table(tab: pd.DataFrame) -> str:
    """A DataFrame as a Markdown pipe table (no optional dependency needed)."""
    cols = [str(c) for c in tab.columns]
    rows = [["" if pd.isna(v) else str(v) for v in r] for r in tab.itertuples(index=False)]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


class Result:
    """Base class of evalkit's result objects.

    Subclasses implement :meth:`summary`, :meth:`to_frame` and :meth:`plot`;
    they append to :attr:`notes` (or use :func:`record_warnings`) whenever a
    fit falls back, hits a bound or fails a check.
    """

    notes: list[str]

    def summary(self) -> Summary:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def plot(self, ax: Any = None) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_markdown_(self) -> str:
        return self.summary()._repr_markdown_()


@contextmanager
def record_warnings(notes: list[str]) -> Iterator[None]:
    """Capture warnings raised inside the block into ``notes`` (deduplicated, in order).

    Examples
    --------
    >>> notes: list[str] = []
    >>> with record_warnings(notes):
    ...     warnings.warn("rho hit its bound")
    >>> notes
    ['rho hit its bound']
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        msg = str(w.message)
        if msg not in notes:
            notes.append(msg)
