"""Real-client test: every notebook run in JupyterLab in headless Chromium, and the HTML reports opened offline.

Run with ``make browser-test`` (or ``.venv/bin/python tests/browser/run_browser_test.py``). Not collected by
pytest (``tests/browser/conftest.py``): it starts a JupyterLab server and a browser, and takes minutes.

What it does
------------
1. Finds the system Chromium (``/usr/bin/chromium``); when missing, installs it with ``apt-get install -y
   chromium`` if it can, and otherwise stops with one line saying what to install. Playwright drives it;
   no browser is downloaded (``playwright install`` is never run).
2. Starts JupyterLab on a free port from the repository root (no token; ``--allow-root`` only as root),
   with autosave off (the committed notebooks are never overwritten) and notebook windowing off (every
   cell is in the page, so every image can be checked).
3. For every notebook: opens it, checks the kernel is "Python (evalkit)" with no kernel picker, runs all
   cells, waits for idle, and asserts: no error output; no image of zero width; plain-language results
   rendered as Markdown prose (a Markdown output exists, and no printed output holds a long line of
   sentences). Saves a full-page screenshot under ``papermill_runs/<run>/screenshots/``.
4. Opens a batch's ``index.html`` and two reports over ``file://`` (made here with
   :func:`evalkit.html_report.to_html` and :func:`evalkit.html_report.write_dashboard` from a small
   papermill run when no batch output exists), and asserts that no request left the machine and every
   image rendered.
5. Stops what it started, by PID, and prints one line per check; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
KERNEL_DISPLAY = "Python (evalkit)"
#: A printed line this long holding a sentence break is prose set as preformatted text.
PROSE_LINE = 150
_SENTENCE = re.compile(r"[a-z)]\. [A-Z]")


@dataclass
class Check:
    target: str
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Outcome:
    checks: list[Check] = field(default_factory=list)

    def add(self, target: str, name: str, ok: bool, why_failed: str = "", seen: str = "") -> None:
        """Record a check. ``why_failed`` is kept only when it failed; ``seen`` is what was observed when it passed."""
        detail = why_failed if not ok else seen
        self.checks.append(Check(target, name, bool(ok), detail))
        print(f"  {'PASS' if ok else 'FAIL'}  {target}: {name}{(' - ' + detail) if detail and not ok else ''}",
              flush=True)


# --------------------------------------------------------------------------- setup


MISSING_CHROMIUM = ("browser-test: FAILED: no Chromium at /usr/bin/chromium and no package manager could install "
                    "it; install the system package 'chromium' (Debian/Ubuntu: apt-get install -y chromium) "
                    "and rerun")


def find_chromium(chromium: Path | None = None) -> Path:
    """The system Chromium, installed with apt-get when missing and possible; else exit with one line.

    apt-get's own output goes to a log file, not the console, so a failure ends in exactly one line
    (:data:`MISSING_CHROMIUM`) and exit status 1.
    """
    chromium = chromium or CHROMIUM
    if chromium.exists():
        return chromium
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        print(f"browser-test: {chromium} missing; installing it with apt-get install -y chromium", flush=True)
        with tempfile.NamedTemporaryFile("w", prefix="evalkit-apt-", suffix=".log", delete=False) as log:
            subprocess.run([apt, "install", "-y", "chromium"], check=False, stdout=log, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if chromium.exists():
        return chromium
    sys.exit(MISSING_CHROMIUM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_lab_settings(settings_dir: Path) -> None:
    """User settings: no autosave (never overwrite a committed notebook), no windowing, no news."""
    files = {
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                              "checkForUpdates": False},
    }
    for rel, content in files.items():
        p = settings_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(content))


def start_lab(port: int, tmp: Path) -> subprocess.Popen:
    settings, workspaces = tmp / "lab-settings", tmp / "lab-workspaces"
    write_lab_settings(settings)
    workspaces.mkdir(parents=True, exist_ok=True)
    cmd = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
           f"--ServerApp.root_dir={ROOT}", f"--LabApp.user_settings_dir={settings}",
           f"--LabApp.workspaces_dir={workspaces}", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), PYDEVD_DISABLE_FILE_VALIDATION="1")
    log = open(tmp / "jupyterlab.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"browser-test: JupyterLab exited at start; see {tmp / 'jupyterlab.log'}") from None
            time.sleep(1)
    raise SystemExit("browser-test: JupyterLab did not answer within 120 s")


def api(port: int, path: str, method: str = "GET") -> object:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
    return json.loads(body) if body else None


def stop_lab(proc: subprocess.Popen, port: int) -> None:
    """Shut down every kernel, then the server, then make sure its PID is gone."""
    try:
        for s in api(port, "/api/sessions"):
            api(port, f"/api/sessions/{s['id']}", "DELETE")
        api(port, "/api/shutdown", "POST")
    except OSError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- notebooks

_PAGE_STATE = """() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  if (!nb) return null;
  const code = [...nb.querySelectorAll('.jp-CodeCell')];
  const prompts = code.map(c => (c.querySelector('.jp-InputArea-prompt') || {}).textContent || '');
  return {n_code: code.length, prompts};
}"""

_INSPECT = """() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  const outs = [...nb.querySelectorAll('.jp-OutputArea-output')];
  const errors = outs.filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.error')
                     .map(o => o.innerText.split('\\n').filter(Boolean).slice(-1)[0] || 'error');
  const imgs = [...nb.querySelectorAll('.jp-OutputArea-output img')]
                 .map(i => ({w: i.naturalWidth, cw: i.clientWidth, h: i.naturalHeight}));
  const markdown = outs.filter(o => o.getAttribute('data-mime-type') === 'text/markdown').length;
  const pres = [...nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"] pre, '
                + '.jp-OutputArea-output[data-mime-type="text/plain"] pre')].map(p => p.textContent);
  const kernel = (document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName, '
                  + '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-kernelName') || {}).textContent || '';
  const dlg = document.querySelector('.jp-Dialog');
  const dialog = dlg ? ((dlg.querySelector('.jp-Dialog-header') || dlg).innerText || 'a dialog').trim() : '';
  const outer = nb.querySelector('.jp-WindowedPanel-outer') || nb;
  const height = outer.scrollHeight;
  return {errors, imgs, markdown, pres, kernel: kernel.trim(), dialog, height};
}"""


_TO_TOP = """() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  (nb.querySelector('.jp-WindowedPanel-outer') || nb).scrollTop = 0;
}"""


def prose_in_pre(texts: list[str]) -> list[str]:
    """Printed lines that are prose: long, with at least one sentence break."""
    return [ln.strip()[:90] for t in texts for ln in t.splitlines()
            if len(ln) >= PROSE_LINE and _SENTENCE.search(ln)]


def _started(st) -> bool:
    return bool(st) and any(re.search(r"\[(\d+|\*)\]", p) for p in st["prompts"])


def _finished(st) -> bool:
    if not st or not st["prompts"] or any("*" in p for p in st["prompts"]):
        return False
    return len([p for p in st["prompts"] if re.search(r"\[\d+\]", p)]) == st["n_code"]


def run_all_and_wait(page, timeout_s: int) -> tuple[bool, str]:
    """Run > Run All Cells (retried, then select-all + Shift+Enter), and wait until every code cell ran."""
    for attempt in range(4):
        if attempt < 3:
            page.click(".lm-MenuBar-itemLabel:text-is('Run')")
            page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        else:
            page.click(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell .jp-InputPrompt")
            page.keyboard.press("Escape")
            page.keyboard.press("Control+a")
            page.keyboard.press("Shift+Enter")
        t0 = time.time()
        while time.time() - t0 < 30 and not _started(page.evaluate(_PAGE_STATE)):
            time.sleep(1)
        if _started(page.evaluate(_PAGE_STATE)):
            break
    else:
        return False, "no cell started running after four attempts"
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        st = page.evaluate(_PAGE_STATE)
        if _finished(st):
            return True, ""
        time.sleep(2)
    return False, f"not idle after {timeout_s} s"


def run_notebook(ctx, port: int, nb: Path, shots: Path, out: Outcome, timeout_s: int) -> None:
    name = nb.stem
    page = ctx.new_page()
    page.set_viewport_size({"width": 1400, "height": 1000})
    try:
        page.goto(f"http://127.0.0.1:{port}/lab/tree/notebooks/{nb.name}?reset", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
        # the kernel starts (or a picker appears) a moment after the notebook opens
        deadline = time.time() + 90
        state = {}
        while time.time() < deadline:
            state = page.evaluate(_INSPECT)
            if state["dialog"] or state["kernel"] not in ("", "No Kernel", "Kernel"):
                break
            time.sleep(1)
        shown = state.get("kernel")
        out.add(name, "no kernel picker", not state.get("dialog"),
                f"a dialog opened when the notebook did: {state.get('dialog')!r}",
                f"no dialog opened; the kernel started by itself: {shown!r}")
        out.add(name, f'kernel is "{KERNEL_DISPLAY}"', shown == KERNEL_DISPLAY, f"kernel shown: {shown!r}",
                f"kernel shown: {shown!r}")
        if state.get("dialog"):
            page.keyboard.press("Escape")
        # the kernel must be ready before "Run All" (a click while it starts can be lost)
        page.wait_for_function("() => /[|]\\s*Idle/.test(document.body.innerText)", timeout=120_000)
        done, why = run_all_and_wait(page, timeout_s)
        out.add(name, "ran all cells to idle", done, why)
        time.sleep(1)
        res = page.evaluate(_INSPECT)
        out.add(name, "no error output", not res["errors"], "; ".join(res["errors"])[:300])
        zero = [i for i in res["imgs"] if i["w"] == 0 or i["cw"] == 0]
        out.add(name, "every image has a width", res["imgs"] and not zero,
                f"{len(zero)} of {len(res['imgs'])} images have zero width" if res["imgs"] else "no image at all")
        prose = prose_in_pre(res["pres"])
        ok = res["markdown"] > 0 and not prose
        why = []
        if res["markdown"] == 0:
            why.append("no output renders as Markdown")
        if prose:
            why.append(f"{len(prose)} printed line(s) of prose, e.g. {prose[0]!r}")
        out.add(name, "plain-language results render as prose", ok, "; ".join(why))
        page.keyboard.press("Control+b")  # hide the file browser: the notebook gets the width
        page.set_viewport_size({"width": 1400, "height": int(min(max(res["height"] + 250, 1000), 30000))})
        page.evaluate(_TO_TOP)
        time.sleep(1.5)
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    except Exception as err:  # noqa: BLE001 - one notebook's failure must not stop the others
        out.add(name, "notebook page worked", False, f"{type(err).__name__}: {str(err).splitlines()[0][:200]}")
        try:
            page.screenshot(path=str(shots / f"{name}.FAILED.png"), full_page=True)
        except Exception:  # noqa: BLE001
            pass
    finally:
        page.close()
        for s in api(port, "/api/sessions"):
            if s.get("path", "").endswith(nb.name):
                api(port, f"/api/sessions/{s['id']}", "DELETE")


# --------------------------------------------------------------------------- reports


def make_small_batch(run_dir: Path) -> Path:
    """Run notebooks 08 and 09 with papermill for one pretend LA, export reports, write the dashboard."""
    from evalkit import html_report

    la, slug = "Browser test LA", "browser-test-la"
    started = datetime.now(UTC).isoformat(timespec="seconds")
    tasks = []
    for nb, analysis in [("08_matching_child_level", "matched comparison"),
                         ("09_survey_baselines", "survey baselines")]:
        out_nb = run_dir / slug / f"{nb}.ipynb"
        out_nb.parent.mkdir(parents=True, exist_ok=True)
        derived = run_dir / slug / "derived"
        cmd = [str(VENV_BIN / "papermill"), "-k", "evalkit", "--no-progress-bar", "--log-level", "ERROR",
               str(ROOT / "notebooks" / f"{nb}.ipynb"), str(out_nb), "-p", "la_name", la, "-p", "out_dir", str(derived)]
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        status = "ok" if r.returncode == 0 else "failed"
        html = run_dir / slug / f"{nb}.html"
        if status == "ok":
            html_report.to_html(out_nb, html, la=la, analysis=analysis)
        tasks.append({"la": la, "slug": slug, "notebook": nb, "status": status, "output": str(out_nb),
                      "html": str(html), "error": (r.stderr.strip().splitlines() or [""])[-1] if status != "ok" else ""})
    manifest = {"run_id": run_dir.name, "tasks": tasks, "validation": {}, "started": started,
                "ended": datetime.now(UTC).isoformat(timespec="seconds")}
    return html_report.write_dashboard(run_dir, manifest).parent


def check_reports(ctx, batch: Path, shots: Path, out: Outcome) -> None:
    index = batch / "index.html"
    reports = sorted(batch.glob("*/*.html"))[:2]
    out.add("reports", "the batch wrote two reports", len(reports) == 2,
            f"{len(reports)} report(s) in {batch.name}: " + ", ".join(r.name for r in reports))
    for target in [index, *reports]:
        label = str(target.relative_to(batch))
        left: list[str] = []
        page = ctx.new_page()

        def on_request(req, left=left):
            if not req.url.startswith(("file:", "data:", "about:", "blob:")):
                left.append(req.url)

        page.on("request", on_request)
        page.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
        try:
            page.goto(target.as_uri(), wait_until="load")
            page.wait_for_timeout(500)
            imgs = page.evaluate("() => [...document.images].map(i => ({w: i.naturalWidth, c: i.complete}))")
            out.add(label, "no request left the machine", not left, ", ".join(left[:3]))
            bad = [i for i in imgs if not i["c"] or i["w"] == 0]
            out.add(label, "every image rendered", imgs and not bad,
                    f"{len(bad)} of {len(imgs)} images did not render" if imgs else "no image at all")
            title = page.title()
            out.add(label, "page has a real title", bool(title) and title != "Notebook", f"title {title!r}")
            page.screenshot(path=str(shots / f"report_{label.replace('/', '_')}.png"), full_page=True)
        finally:
            page.close()


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebooks", nargs="*", help="notebook stems or prefixes (default: all)")
    ap.add_argument("--run-id", default=None, help="folder under papermill_runs/ (default: browser-<time>)")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per notebook to reach idle")
    ap.add_argument("--skip-lab", action="store_true", help="only check the HTML reports")
    args = ap.parse_args(argv)

    chromium = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("browser-test: playwright is not installed in this environment; run `make install` "
                 "(it is pinned in requirements.lock) and rerun")

    run_id = args.run_id or f"browser-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    run_dir = ROOT / "papermill_runs" / run_id
    shots = run_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    nbs = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        nbs = [p for p in nbs if any(p.stem.startswith(k) for k in args.notebooks)]
    out = Outcome()
    tmp = Path(tempfile.mkdtemp(prefix="evalkit-browser-"))
    lab = port = None
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(tmp / "chromium-profile"), executable_path=str(chromium), headless=True,
                args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})
            try:
                if not args.skip_lab:
                    port = free_port()
                    lab = start_lab(port, tmp)
                    print(f"JupyterLab (PID {lab.pid}) on port {port}; screenshots in {shots.relative_to(ROOT)}",
                          flush=True)
                    for nb in nbs:
                        print(f"- {nb.name}", flush=True)
                        run_notebook(ctx, port, nb, shots, out, args.timeout)
                # Its own small batch every time: what is checked does not depend on earlier runs.
                print("- running notebooks 08 and 09 with papermill for a dashboard and two reports", flush=True)
                batch = make_small_batch(run_dir)
                print(f"- reports in {batch.relative_to(ROOT)}", flush=True)
                check_reports(ctx, batch, shots, out)
            finally:
                ctx.close()
    finally:
        if lab is not None:
            stop_lab(lab, port)
        shutil.rmtree(tmp, ignore_errors=True)

    failed = [c for c in out.checks if not c.ok]
    print(f"\nbrowser-test: {len(out.checks) - len(failed)} of {len(out.checks)} checks passed; "
          f"screenshots in {shots.relative_to(ROOT)}")
    for c in failed:
        print(f"FAILED  {c.target}: {c.name} - {c.detail}")
    (run_dir / "browser_test.json").write_text(json.dumps([c.__dict__ for c in out.checks], indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
