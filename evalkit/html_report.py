"""Finished, offline HTML: one report per executed notebook, and a run dashboard.

``to_html`` exports an executed notebook with nbconvert's JupyterLab template
stripped of everything it would fetch from the network (require.js, MathJax,
Mermaid, the widget manager), the code hidden, plots embedded as PNG, the page
title naming the LA and the analysis, and the text's output paths rewritten to
those the run really wrote. ``write_dashboard`` writes a run's ``index.html``:
one row per LA, one column per notebook, each cell its status, a thumbnail of
the key chart and a link to the report, or the one-line reason it failed.

Every file is written atomically with mode 0644 (readable by the people the run
is handed to, unlike the 0600 of a bare temporary file).
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "FILE_MODE",
    "KEY_CHART_TAG",
    "key_chart_png",
    "network_references",
    "rewrite_paths",
    "run_paths",
    "to_html",
    "write_dashboard",
    "write_public",
]

#: Mode of every file this module writes.
FILE_MODE = 0o644
#: Cell tag marking a notebook's key chart (else its first PNG output is used).
KEY_CHART_TAG = "key-chart"
#: Where notebooks write by default; a run's text is rewritten to its own folder.
DEFAULT_OUT_DIR = "data/derived"

_TEMPLATE_NAME = "evalkit_offline"

_NET_REF = re.compile(
    r"""(?:<(?:script|link|img|iframe|source|video|audio|embed)\b[^>]*?\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:@import\s+(?:url\()?\s*["']?(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?(?:https?:)?//)""",
    re.IGNORECASE,
)


def write_public(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` atomically with mode :data:`FILE_MODE` (0644)."""
    from evalkit.outputs import atomic_write_bytes

    raw = data.encode("utf-8") if isinstance(data, str) else data
    return atomic_write_bytes(path, raw, mode=FILE_MODE)


def network_references(text: str) -> list[str]:
    """Every place an HTML text would load a script, stylesheet, image or frame over the network.

    An ``<a href="https://...">`` link is not a load and is not listed.
    """
    return [text[m.start(): m.start() + 120] for m in _NET_REF.finditer(text)]


# --------------------------------------------------------------------------- paths


def run_paths(nb: Any, *, root: str | Path | None = None) -> dict[str, str]:
    """The path rewrites implied by a papermill run: ``data/derived`` -> the ``out_dir`` it was given.

    Reads the ``out_dir`` parameter papermill recorded in the notebook's metadata; empty when
    the notebook wrote to the default folder.
    """
    params = (nb.get("metadata", {}).get("papermill", {}) or {}).get("parameters", {}) or {}
    out_dir = params.get("out_dir")
    if not out_dir or str(out_dir).rstrip("/") == DEFAULT_OUT_DIR:
        return {}
    shown = Path(out_dir)
    if root is not None:
        try:
            shown = shown.resolve().relative_to(Path(root).resolve())
        except ValueError:
            pass
    return {DEFAULT_OUT_DIR: str(shown).rstrip("/")}


def _sub_all(text: str, mapping: Mapping[str, str]) -> str:
    for old, new in sorted(mapping.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"(?<![\w/.-]){re.escape(old)}(?=/|\b|$)", new.replace("\\", "\\\\"), text)
    return text


def rewrite_paths(nb: Any, mapping: Mapping[str, str]) -> Any:
    """Replace paths in a notebook's Markdown and text outputs (in place; returns ``nb``).

    ``mapping`` is ``{path written in the text: path the run really wrote}``, e.g.
    ``{"data/derived": "papermill_runs/r1/newtown/derived"}``. Only whole path prefixes
    are replaced (``data/derived_old`` is left alone).
    """
    if not mapping:
        return nb
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        if cell.get("cell_type") == "markdown":
            cell["source"] = _sub_all("".join(src) if isinstance(src, list) else src, mapping)
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "stream":
                t = out.get("text", "")
                out["text"] = _sub_all("".join(t) if isinstance(t, list) else t, mapping)
            data = out.get("data")
            if data:
                for mime in ("text/plain", "text/markdown", "text/html"):
                    if mime in data:
                        v = data[mime]
                        data[mime] = _sub_all("".join(v) if isinstance(v, list) else v, mapping)
    return nb


# --------------------------------------------------------------------------- one report


def _template_dir() -> Path:
    return Path(str(resources.files("evalkit") / "resources" / "nbconvert"))


def to_html(
    notebook_path: str | Path,
    out_path: str | Path,
    *,
    title: str | None = None,
    la: str | None = None,
    analysis: str | None = None,
    paths: Mapping[str, str] | None = None,
    root: str | Path | None = None,
) -> Path:
    """Export an executed notebook as a finished, offline HTML report.

    Parameters
    ----------
    notebook_path
        The executed notebook (``.ipynb``).
    out_path
        The HTML file to write (mode 0644, written atomically).
    title
        The page title; by default ``"<la>: <analysis>"``.
    la, analysis
        The local authority and the analysis the report is about; one of ``title``
        or ``analysis`` is required.
    paths
        Path rewrites ``{as written: as really written}``; by default those implied by the
        notebook's papermill ``out_dir`` parameter (:func:`run_paths`), so a batch report
        names ``<run>/<la>/derived/...`` rather than ``data/derived/...``.
    root
        Folder the rewritten paths are shown relative to (default: the repository root).

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    import nbformat
    from nbconvert import HTMLExporter

    from evalkit.errors import ConfigError

    if title is None:
        if not analysis:
            raise ConfigError("to_html: give a title, or the analysis (and LA) it reports")
        title = f"{la}: {analysis}" if la else analysis
    nb = nbformat.read(str(notebook_path), as_version=4)
    if root is None:
        from evalkit.paths import ROOT

        root = ROOT
    mapping = dict(run_paths(nb, root=root) if paths is None else paths)
    rewrite_paths(nb, mapping)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name=_TEMPLATE_NAME,
        extra_template_basedirs=[str(_template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    header = " · ".join(x for x in (la, analysis) if x)
    body, _ = exporter.from_notebook_node(nb, resources={"evalkit_header": header})
    bad = network_references(body)
    if bad:  # a new nbconvert block we did not strip: fail loudly rather than ship it
        raise ConfigError(f"to_html: the report would load from the network: {bad[0]!r}")
    return write_public(out_path, body)


# --------------------------------------------------------------------------- dashboard


def key_chart_png(notebook_path: str | Path) -> bytes | None:
    """The PNG of a notebook's key chart: the first PNG of a cell tagged ``key-chart``, else its first PNG."""
    import nbformat

    nb = nbformat.read(str(notebook_path), as_version=4)
    first = tagged = None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            png = (out.get("data") or {}).get("image/png")
            if not png:
                continue
            if first is None:
                first = png
            if tagged is None and KEY_CHART_TAG in cell.get("metadata", {}).get("tags", []):
                tagged = png
    chosen = tagged or first
    return base64.b64decode(chosen) if chosen else None


def thumbnail_path(run_dir: str | Path, slug: str, notebook: str) -> Path:
    """Where a run's dashboard keeps the thumbnail of one task's key chart."""
    return Path(run_dir) / "thumbnails" / slug / f"{notebook}.png"


def write_thumbnail(notebook_path: str | Path, dest: str | Path) -> Path | None:
    """Write the thumbnail of an executed notebook's key chart to ``dest`` (None: it has no chart).

    The batch's workers call this as each notebook finishes, so the dashboard, written once at
    the end of the run, need not read every executed notebook again.
    """
    png = key_chart_png(notebook_path)
    return write_public(dest, _thumbnail(png)) if png else None


def _thumbnail(png: bytes, width: int = 320) -> bytes:
    from PIL import Image

    im = Image.open(io.BytesIO(png))
    if im.width > width:
        im = im.resize((width, max(1, round(im.height * width / im.width))), Image.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _rel(path: str | Path, base: Path) -> str:
    try:
        return Path(path).resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return Path(path).resolve().as_uri()


_STATUS_TEXT = {"ok": "ran", "failed": "failed", "invalid": "not run: input data failed validation",
                "interrupted": "interrupted", "pending": "not run yet"}

_DASHBOARD_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 0.5em; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
td.ok { background: #f2faf2; }
td.failed, td.invalid, td.interrupted { background: #fdf1f0; }
td .status { font-weight: bold; display: block; margin-bottom: 0.3em; }
td img { display: block; width: 240px; height: auto; border: 1px solid #ddd; margin-bottom: 0.3em; }
td .why { font-family: monospace; font-size: 0.85em; white-space: pre-wrap; max-width: 28em; }
"""


def write_dashboard(run_dir: str | Path, manifest: Mapping[str, Any] | str | Path | None = None) -> Path:
    """Write ``<run_dir>/index.html``: one row per LA, one column per notebook.

    Parameters
    ----------
    run_dir
        The batch run folder.
    manifest
        The run's manifest (``evalkit.batch`` format: ``tasks`` with ``la``, ``slug``,
        ``notebook``, ``status``, ``error``, ``output``, ``html``; optional ``validation``
        ``{slug: [problems]}``), or a path to ``manifest.json``; default
        ``<run_dir>/manifest.json``.

    Returns
    -------
    pathlib.Path
        The dashboard's path. Thumbnails are written under ``<run_dir>/thumbnails/``.
    """
    import json

    run_dir = Path(run_dir)
    if manifest is None:
        manifest = run_dir / "manifest.json"
    if isinstance(manifest, str | Path):
        manifest = json.loads(Path(manifest).read_text(encoding="utf-8"))
    tasks: Sequence[Mapping[str, Any]] = manifest.get("tasks", [])
    validation: Mapping[str, Sequence[str]] = manifest.get("validation") or {}
    las = list(dict.fromkeys((t["slug"], t["la"]) for t in tasks))
    notebooks = list(dict.fromkeys(t["notebook"] for t in tasks))
    by = {(t["slug"], t["notebook"]): t for t in tasks}
    esc = html.escape

    rows = []
    for slug, la in las:
        cells = [f'<th scope="row">{esc(la)}']
        if validation.get(slug):
            vf = run_dir / slug / "VALIDATION_FAILED.txt"
            link = f' (<a href="{esc(_rel(vf, run_dir))}">VALIDATION_FAILED.txt</a>)' if vf.exists() else ""
            cells.append(f'<div class="why">input data failed validation{link}: '
                         f"{esc(str(validation[slug][0]))}</div>")
        cells[-1] += "</th>"
        for nb in notebooks:
            t = by.get((slug, nb))
            if t is None:
                rows_cell = '<td class="none">not requested</td>'
            else:
                status = str(t.get("status", "pending"))
                parts = [f'<span class="status">{esc(_STATUS_TEXT.get(status, status))}</span>']
                report = Path(t["html"]) if t.get("html") else None
                if status == "ok":
                    out = Path(t["output"]) if t.get("output") else None
                    thumb = thumbnail_path(run_dir, slug, nb)
                    if out is None or not out.exists():
                        thumb = None
                    elif not (thumb.exists() and thumb.stat().st_mtime >= out.stat().st_mtime):
                        thumb = write_thumbnail(out, thumb)  # not written by the worker (or stale)
                    if thumb is not None:
                        parts.append(f'<img src="{esc(_rel(thumb, run_dir))}" alt="key chart of {esc(nb)} for {esc(la)}">')
                    if report is not None and report.exists():
                        parts.append(f'<a href="{esc(_rel(report, run_dir))}">open the report</a>')
                else:
                    why = (str(t.get("error") or "").strip().splitlines() or [""])[0]
                    if status == "invalid" and not why and validation.get(slug):
                        why = str(validation[slug][0])
                    if why:
                        parts.append(f'<div class="why">{esc(why)}</div>')
                rows_cell = f'<td class="{esc(status)}">' + "".join(parts) + "</td>"
            cells.append(rows_cell)
        rows.append("<tr>" + "".join(cells) + "</tr>")

    n_ok = sum(1 for t in tasks if t.get("status") == "ok")
    run_id = manifest.get("run_id", run_dir.name)
    head = "".join(f'<th scope="col">{esc(nb)}</th>' for nb in notebooks)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>evalkit run {esc(str(run_id))}: {len(las)} local authorities x {len(notebooks)} notebooks</title>
<style>{_DASHBOARD_CSS}</style>
</head>
<body>
<h1>evalkit run {esc(str(run_id))}</h1>
<p class="meta">{n_ok} of {len(tasks)} notebooks ran; started {esc(str(manifest.get("started") or manifest.get("created") or ""))}, ended {esc(str(manifest.get("ended") or "not yet"))}.</p>
<table>
<thead><tr><th scope="col">local authority</th>{head}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
    return write_public(run_dir / "index.html", page)
