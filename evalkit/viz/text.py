"""Plain-language results as Markdown, so Lab and the HTML report wrap them as prose.

evalkit's text methods return fixed-width plain text (stable for nbval). :func:`prose`
turns such text into Markdown: blank-line separated blocks become paragraphs, an
unindented line followed by indented lines becomes a bold heading with a bullet
list. Displayed in a ``# NBVAL_CHECK_OUTPUT`` cell, nbval still compares the text
(``text/markdown``), so the figures stay checked.
"""

from __future__ import annotations

import re

_INDENT = re.compile(r"^\s{2,}\S")


def to_markdown(text: str) -> str:
    """Markdown of evalkit's plain text (see the module docstring).

    Examples
    --------
    >>> print(to_markdown("Sensitivity: months in care\\n  E-value 1.54.\\n  In plain words: ..."))
    **Sensitivity: months in care**
    <BLANKLINE>
    - E-value 1.54.
    - In plain words: ...
    """
    out: list[str] = []
    blocks = re.split(r"\n\s*\n", str(text).strip())
    for block in blocks:
        lines = [ln.rstrip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        if len(lines) > 1 and not _INDENT.match(lines[0]) and all(_INDENT.match(ln) for ln in lines[1:]):
            out.append(f"**{_escape(lines[0].strip())}**")
            out.append("")
            out.extend(f"- {_escape(ln.strip())}" for ln in lines[1:])
        elif all(_INDENT.match(ln) for ln in lines):
            out.extend(f"- {_escape(ln.strip())}" for ln in lines)
        else:
            out.append(" ".join(_escape(ln.strip()) for ln in lines))
        out.append("")
    return "\n".join(out).strip()


def _escape(s: str) -> str:
    """Escape the Markdown characters that evalkit's plain text uses literally."""
    return s.replace("*", "\\*").replace("_", "\\_")


def prose(text: str):
    """An ``IPython.display.Markdown`` object of :func:`to_markdown` (renders as prose in Jupyter)."""
    from IPython.display import Markdown

    return Markdown(to_markdown(text))
