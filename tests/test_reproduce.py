"""make reproduce / evalkit reproduce: the shipped notebooks through the batch engine (own file, so
pytest-xdist --dist loadfile runs it beside the batch tests)."""

from __future__ import annotations

import json
from pathlib import Path

from evalkit import batch


def test_reproduce_runs_through_the_batch_engine(tmp_path, capfd):
    """`make reproduce`: shipped notebook, default parameters, the batch manifest, counts, memory,
    and no "Kernel is running over TCP without encryption" in what the user sees."""
    import os

    from evalkit.paths import DERIVED
    from evalkit.report import summarise_file

    nb = "04_ofsted_edging_away"
    env_before = dict(os.environ)
    result = batch.reproduce([nb], out=tmp_path, workers=1, progress=True)
    printed = capfd.readouterr()
    assert dict(os.environ) == env_before  # the in-process worker leaves this process as it was
    (t,) = result.tasks
    assert t.status == "ok", t.error
    assert t.parameters == {} and Path(t.output) == result.run_dir / f"{nb}.ipynb" and Path(t.output).exists()
    assert t.counts == summarise_file(DERIVED / nb / "reproduction.csv") and sum(t.counts.values()) > 0
    line = result.summary_lines()[0]
    assert line.startswith(nb) and "exact " in line and "not_reproducible " in line
    assert "without encryption" not in printed.out + printed.err
    assert "LA x notebook" in printed.err  # the batch progress bar
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["command"]["reproduce"] is True and manifest["tasks"][0]["kernel_peak_rss_mb"] > 50
    assert any(k.endswith(f"{nb}.ipynb") for k in manifest["inputs"]["shipped"])
