"""evalkit.html_report: offline reports (no network loads, title, mode 0644, real paths) and the run dashboard."""

from __future__ import annotations

import base64
import io
import json
import re
import stat

import nbformat
import pytest

from evalkit import html_report


def _png(width: int = 40, height: int = 30) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _notebook(path, *, out_dir="papermill_runs/r1/newtown/derived", png=True, tagged_png=None):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "evalkit", "display_name": "Python (evalkit)", "language": "python"}
    nb.metadata["papermill"] = {"parameters": {"out_dir": out_dir, "la_name": "Newtown"}}
    nb.cells.append(nbformat.v4.new_markdown_cell("Tables are saved to `data/derived/08_matching_child_level/`."))
    code = nbformat.v4.new_code_cell("print('x')")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="wrote data/derived/08_matching_child_level/effects.csv\n")]
    if png:
        code.outputs.append(nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}))
    code.outputs.append(nbformat.v4.new_output(
        "display_data", data={"text/markdown": "The effect is **-0.03**, a plain sentence.", "text/plain": "The effect"}))
    nb.cells.append(code)
    if tagged_png:
        key = nbformat.v4.new_code_cell("plot()", metadata={"tags": [html_report.KEY_CHART_TAG]})
        key.outputs = [nbformat.v4.new_output("display_data", data={"image/png": tagged_png})]
        nb.cells.append(key)
    nbformat.write(nb, str(path))
    return path


def test_stock_lab_template_loads_from_the_network(tmp_path):
    """The check below can fail: nbconvert's own lab template requests require.js from a CDN."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(_notebook(tmp_path / "a.ipynb")), as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    assert html_report.network_references(body)


def test_to_html_offline_titled_public_and_with_real_paths(tmp_path):
    nbp = _notebook(tmp_path / "08.ipynb")
    out = html_report.to_html(nbp, tmp_path / "out" / "08.html", la="Newtown", analysis="matched comparison")
    text = out.read_text(encoding="utf-8")
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert re.search(r"<title>Newtown: matched comparison</title>", text)
    assert html_report.network_references(text) == []
    assert not re.search(r"""<(script|link)\b[^>]*(src|href)=["']?https?://""", text, re.I)
    assert "require.js" not in text and "mathjax" not in text.lower()
    assert "data:image/png;base64," in text
    assert "papermill_runs/r1/newtown/derived/08_matching_child_level" in text
    assert "data/derived/08_matching_child_level" not in text
    assert "<strong>-0.03</strong>" in text  # Markdown output rendered as prose, not <pre>
    assert "print(&#39;x&#39;)" not in text and "print('x')" not in text  # code hidden


def test_to_html_explicit_paths_and_default_out_dir_untouched(tmp_path):
    nbp = _notebook(tmp_path / "08.ipynb", out_dir="data/derived")
    out = html_report.to_html(nbp, tmp_path / "08.html", title="Sefton report")
    assert "data/derived/08_matching_child_level" in out.read_text()
    out = html_report.to_html(nbp, tmp_path / "08b.html", title="t", paths={"data/derived": "/srv/x/derived"})
    assert "/srv/x/derived/08_matching_child_level/effects.csv" in out.read_text()


def test_to_html_needs_a_title_or_analysis(tmp_path):
    from evalkit.errors import ConfigError

    with pytest.raises(ConfigError):
        html_report.to_html(_notebook(tmp_path / "a.ipynb"), tmp_path / "a.html")


def test_rewrite_paths_replaces_whole_prefixes_only():
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("see data/derived/x and data/derived_old/y and mydata/derived/z"))
    html_report.rewrite_paths(nb, {"data/derived": "run/la/derived"})
    assert nb.cells[0].source == "see run/la/derived/x and data/derived_old/y and mydata/derived/z"


def test_key_chart_prefers_tagged_cell(tmp_path):
    tagged = _png(50, 20)
    p = _notebook(tmp_path / "a.ipynb", tagged_png=tagged)
    assert html_report.key_chart_png(p) == base64.b64decode(tagged)
    p = _notebook(tmp_path / "b.ipynb", png=False)
    assert html_report.key_chart_png(p) is None


def _run(tmp_path):
    run = tmp_path / "run1"
    tasks = []
    for slug, la in [("newtown", "Newtown"), ("oldcastle", "Oldcastle")]:
        (run / slug).mkdir(parents=True)
        for nb, status, err in [("08_matching_child_level", "ok", ""),
                                ("09_survey_baselines", "failed", "InputDataError: survey_responses_wide.csv row 4: wave 'later' is not allowed\nmore")]:
            if slug == "oldcastle":
                status, err = "invalid", ""
            out = run / slug / f"{nb}.ipynb"
            htmlp = run / slug / f"{nb}.html"
            if status == "ok":
                _notebook(out)
                html_report.to_html(out, htmlp, la=la, analysis=nb)
            tasks.append({"la": la, "slug": slug, "notebook": nb, "status": status, "error": err,
                          "output": str(out), "html": str(htmlp), "parameters": {}})
    (run / "oldcastle" / "VALIDATION_FAILED.txt").write_text("child_records.csv: column 'age' is missing\n")
    manifest = {"run_id": "run1", "tasks": tasks, "validation": {"oldcastle": ["child_records.csv: column 'age' is missing"]},
                "started": "2026-01-01T00:00:00Z", "ended": "2026-01-01T00:05:00Z"}
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run, manifest


def test_dashboard_rows_columns_thumbnails_links_and_reasons(tmp_path):
    run, manifest = _run(tmp_path)
    index = html_report.write_dashboard(run, manifest)
    assert index == run / "index.html"
    assert stat.S_IMODE(index.stat().st_mode) == 0o644
    text = index.read_text()
    assert html_report.network_references(text) == []
    assert len(re.findall(r'<tr><th scope="row">', text)) == 2
    assert re.findall(r'<th scope="col">([^<]+)</th>', text) == ["local authority", "08_matching_child_level",
                                                                  "09_survey_baselines"]
    imgs = re.findall(r'<img src="([^"]+)"', text)
    assert imgs == ["thumbnails/newtown/08_matching_child_level.png"]
    assert (run / imgs[0]).stat().st_size > 0 and stat.S_IMODE((run / imgs[0]).stat().st_mode) == 0o644
    assert '<a href="newtown/08_matching_child_level.html">open the report</a>' in text
    assert "InputDataError: survey_responses_wide.csv row 4: wave &#x27;later&#x27; is not allowed" in text
    assert "more" not in text.split("InputDataError")[1].split("</div>")[0]  # one line only
    assert 'href="oldcastle/VALIDATION_FAILED.txt"' in text and "column &#x27;age&#x27; is missing" in text


def test_dashboard_reads_manifest_json_by_default(tmp_path):
    run, _ = _run(tmp_path)
    assert html_report.write_dashboard(run).exists()
