"""The browser test's own logic (the script itself runs with `make browser-test`, not under pytest)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "browser" / "run_browser_test.py"


@pytest.fixture(scope="module")
def bt():
    spec = importlib.util.spec_from_file_location("run_browser_test", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(mod)
        yield mod
    finally:
        sys.modules.pop(spec.name, None)


def test_missing_chromium_fails_with_one_line(bt, tmp_path, monkeypatch):
    monkeypatch.setattr(bt.shutil, "which", lambda _name: None)  # no package manager
    with pytest.raises(SystemExit) as err:
        bt.find_chromium(tmp_path / "no-chromium")
    msg = str(err.value.code)
    assert msg == bt.MISSING_CHROMIUM and "\n" not in msg and "apt-get install -y chromium" in msg


def test_present_chromium_is_used(bt, tmp_path):
    exe = tmp_path / "chromium"
    exe.write_text("")
    assert bt.find_chromium(exe) == exe


def test_passing_check_keeps_what_was_seen_not_the_failure_text(bt):
    out = bt.Outcome()
    out.add("nb", "no kernel picker", True, "a dialog opened", "no dialog opened")
    out.add("nb", "no kernel picker", False, "a dialog opened: 'Select Kernel'", "no dialog opened")
    assert [(c.ok, c.detail) for c in out.checks] == [(True, "no dialog opened"),
                                                      (False, "a dialog opened: 'Select Kernel'")]


def test_prose_in_preformatted_output_is_found(bt):
    sentence = "The interval includes no effect. The change is small and the comparison group is thin " * 2
    assert bt.prose_in_pre([sentence]) and not bt.prose_in_pre(["a  b  c\n1  2  3"])
