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


# --------------------------------------------------------------------------- evalkit's fixed-width result text

#: A ruled line under a fixed-width table header.
_RULE = re.compile(r"^\s*-{3,}[-\s]*$")
#: Two columns of a fixed-width table: text, two or more spaces, text.
_COLUMNS = re.compile(r"\S\s{2,}\S")
#: Punctuation of a sentence or a setting, which a table's header line (column names) lacks.
_PROSE = re.compile(r"[:;,=.]\s|\s-\s")


def _tabular(line: str) -> bool:
    return bool(_RULE.match(line) or _COLUMNS.search(line.strip()))


def _inline(s: str) -> str:
    """Escape what Markdown (and JupyterLab's LaTeX) would read as markup in plain result text."""
    s = s.replace("\\", "\\\\")
    for ch in "*_~`$[]":
        s = s.replace(ch, "\\" + ch)
    s = s.replace("<", "&lt;").replace(">", "&gt;")
    if re.match(r"^(#|\+ |\d+[.)] )", s):
        s = "\\" + s
    return s


def text_markdown(text: str) -> str:
    """Markdown of evalkit's fixed-width result text: prose as paragraphs and lists, tables kept aligned.

    Blocks are separated by blank lines. A block with two or more lines laid out in columns (or a
    ruled header) is a table and stays fixed-width, in a code block (it is not prose, and a code
    block never wraps a number); lines of sentences above it are taken out as prose. Other blocks: lines starting ``"- "`` become list items; a
    one-line block is a paragraph; a block of ``key: value`` lines, or one not opening with a
    capital, is a list; in another longer block the first line (a title) is a bold lead-in and
    each further line a list item (the lines are separate statements, not one wrapped sentence).
    The figures are unchanged, so nbval comparing the Markdown still checks them.

    Examples
    --------
    >>> print(text_markdown("Reproduced figures\\n- 3 exact\\n- 1 discrepant"))
    **Reproduced figures**
    <BLANKLINE>
    - 3 exact
    - 1 discrepant
    >>> print(text_markdown("point  weekly\\n  low   1,500\\nhigh   6,000"))
    ```text
    point  weekly
      low   1,500
    high   6,000
    ```
    >>> print(text_markdown("P(npv > 0) = 0.286 for row_id"))
    P(npv &gt; 0) = 0.286 for row\\_id
    """
    out: list[str] = []
    for block in re.split(r"\n[ \t]*\n", str(text).strip("\n")):
        lines = [ln.rstrip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        if sum(_tabular(ln) for ln in lines) >= 2:
            lead = 0  # sentences above the table (a title, settings) are prose, not table
            while lead < len(lines) and not _tabular(lines[lead]) and _PROSE.search(lines[lead]):
                lead += 1
            if lead:
                out.append(text_markdown("\n".join(ln.strip() for ln in lines[:lead])))
            body = "\n".join(lines[lead:]).replace("```", "'''")
            out.append(f"```text\n{body}\n```")
        elif len(lines) == 1:
            out.append(_inline(lines[0].strip()))
        elif all(": " in ln or ln.strip().startswith("- ") for ln in lines) or not lines[0].strip()[:1].isupper():
            out.append("\n".join(f"- {_inline(ln.strip().removeprefix('- '))}" for ln in lines))
        else:
            head, rest = lines[0].strip(), lines[1:]
            items = [f"- {_inline(ln.strip()[2:] if ln.strip().startswith('- ') else ln.strip())}" for ln in rest]
            if head.startswith("- "):
                out.append("\n".join([f"- {_inline(head[2:])}", *items]))
            else:
                out.append(f"**{_inline(head.rstrip(':'))}**\n\n" + "\n".join(items))
    return "\n\n".join(out)


def as_markdown(text: str):
    """An ``IPython.display.Markdown`` of :func:`text_markdown`: a result text shown as prose in Jupyter."""
    from IPython.display import Markdown

    return Markdown(text_markdown(text))


def markdown(*parts: str):
    """``IPython.display.Markdown`` of Markdown strings (e.g. a result's ``findings()``), blank-line joined."""
    from IPython.display import Markdown

    return Markdown("\n\n".join(str(p).strip() for p in parts if str(p).strip()))
