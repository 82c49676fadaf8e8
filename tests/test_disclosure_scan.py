"""No disclosure through any output: scan every file a batch writes and try to recover hidden counts.

A small batch runs once (module-scoped): a shipped LA on its shipped data
(Sefton, the CBA notebook) and a synthetic LA made by ``evalkit new-la
--synthetic`` whose ``params.yaml`` says ``case_level_public: 'false'`` as
text (the case that used to publish the per-case table). Every CSV, HTML and
text file written is then attacked:

* small counts shown and identifier columns (:func:`evalkit.disclosure.scan_file`);
* **differencing** within a row: a count column that is the sum of others in
  every fully shown row, beside a row with exactly one of them hidden;
* **differencing** in printed text: "all / matched / unmatched" sample sizes,
  and named outcome counts beside their total;
* **shares**: a shown percentage (or share, or standardised difference) of a
  hidden count, with its denominator shown;
* per-case rows in an LA's report.

The attacks are themselves tested on tables built to leak, so the scan cannot
pass by detecting nothing.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest

from evalkit import batch, disclosure

MARKER = disclosure.MARKER
T = disclosure.DEFAULT_THRESHOLD


def _num(v: object) -> float | None:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if pd.isna(x) else x


def _count_columns(df: pd.DataFrame) -> list[str]:
    return disclosure.count_like_columns(df)


def differencing_leaks(df: pd.DataFrame, where: str = "table") -> list[str]:
    """Hidden counts that a total and the other shown parts of the same row give away."""
    cols = _count_columns(df)
    if len(cols) < 3 or not (df[cols].astype(str) == MARKER).any().any():
        return []
    vals = [{c: (MARKER if str(r[c]) == MARKER else _num(r[c])) for c in cols} for _, r in df.iterrows()]
    leaks = []
    for total in cols:
        others = [c for c in cols if c != total]
        for k in range(2, min(len(others), 6) + 1):
            for parts in itertools.combinations(others, k):
                full = [v for v in vals if all(isinstance(v[c], float) for c in (total, *parts))]
                if not full or any(abs(v[total] - sum(v[c] for c in parts)) > 1e-9 for v in full):
                    continue  # not a sum relation in this table
                for i, v in enumerate(vals):
                    hidden = [c for c in (total, *parts) if v[c] == MARKER]
                    if len(hidden) == 1 and all(v[c] is not None for c in (total, *parts)):
                        leaks.append(f"{where}: row {i + 2}: {hidden[0]} = {total} - ({' + '.join(parts)})"
                                     if hidden[0] != total else f"{where}: row {i + 2}: {total} is the sum of {parts}")
    return sorted(set(leaks))


def _share_column(df: pd.DataFrame, count: str) -> list[str]:
    cands = [count.replace("n_", "pct_", 1), count.replace("count_", "", 1), "pct" if count == "count" else "",
             count.replace("count", "share"), count.replace("n_", "share_", 1)]
    return [c for c in dict.fromkeys(cands) if c and c != count and c in df.columns]


def share_leaks(df: pd.DataFrame, where: str = "table") -> list[str]:
    """Hidden counts whose share (percentage) is shown beside a shown denominator."""
    cols = _count_columns(df)
    denominators = [c for c in ("n", "n_followed_up", "n_lost", "total", "n_all") if c in df.columns]
    leaks = []
    for i, r in df.reset_index(drop=True).iterrows():
        for c in cols:
            if str(r[c]) != MARKER:
                continue
            for s in _share_column(df, c):
                if _num(r[s]) is not None and any(_num(r[d]) for d in denominators):
                    leaks.append(f"{where}: row {i + 2}: hidden {c} has its share {s} = {r[s]} shown")
    return leaks


def balance_leaks(balance: pd.DataFrame, attrition: pd.DataFrame, where: str) -> list[str]:
    """Standardised differences shown for category levels whose counts the attrition table hid."""
    hidden = attrition.astype(str).eq(MARKER).any(axis=1)
    keys = set(attrition.loc[hidden, "covariate"])
    rows = balance[balance["covariate"].isin(keys)]
    stats = [c for c in balance.columns if c != "covariate"]
    return [f"{where}: {r['covariate']}: standardised difference shown for a hidden level"
            for _, r in rows.iterrows() if any(_num(r[c]) is not None for c in stats)]


SAMPLE = re.compile(r"^\s*(all|matched|unmatched)\s+(\S+)\s+(\S+)\s*$")
OUTCOMES = re.compile(r"(cases|closed to social care|cp escalation avoided|became child in care|status changed)"
                      r": (\d+|c)")


def text_leaks(text: str, where: str) -> list[str]:
    """Small counts and differencing in printed matching sample sizes and case outcome counts."""
    leaks = []
    rows = {m.group(1): m.groups()[1:] for m in map(SAMPLE.match, text.splitlines()) if m}
    if {"all", "matched", "unmatched"} <= set(rows):
        for j, g in enumerate(("treated", "control")):
            a, m, u = rows["all"][j], rows["matched"][j], rows["unmatched"][j]
            for x in (a, m, u):
                if _num(x) is not None and 0 < _num(x) < T:
                    leaks.append(f"{where}: {g} sample size {x} shown")
            if [a, m, u].count(MARKER) == 1:
                leaks.append(f"{where}: {g} all/matched/unmatched {a}/{m}/{u}: the hidden one is the difference")
    found = dict(OUTCOMES.findall(text))
    total = _num(found.get("cases"))
    for k, v in found.items():
        n = _num(v)
        if n is not None and 0 < n < T:
            leaks.append(f"{where}: '{k}: {v}' is a small count")
        if k != "cases" and n is not None and total is not None and 0 < total - n < T:
            leaks.append(f"{where}: '{k}: {v}' beside 'cases: {total:g}' gives {total - n:g} away")
    return leaks


def _html_text(path: Path) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def scan_run(run_dir: Path) -> list[str]:
    problems = []
    files = sorted(p for p in run_dir.rglob("*") if p.is_file() and p.suffix in {".csv", ".html", ".txt"})
    assert files, f"the batch wrote nothing in {run_dir}"
    for f in files:
        where = str(f.relative_to(run_dir))
        problems += [f"{where}: {p}" for p in disclosure.scan_file(f)]
        if f.suffix == ".csv":
            df = pd.read_csv(f, dtype=str, keep_default_na=False)
            problems += differencing_leaks(df, where) + share_leaks(df, where)
            if f.name.endswith("_balance.csv") and f.with_name(f.name.replace("_balance", "_attrition")).exists():
                att = pd.read_csv(f.with_name(f.name.replace("_balance", "_attrition")), dtype=str, keep_default_na=False)
                problems += balance_leaks(df, att, where)
        else:
            text = _html_text(f) if f.suffix == ".html" else f.read_text(encoding="utf-8")
            problems += text_leaks(text, where)
    return problems


# ----------------------------------------------------------------------------- the attacks work


def test_attacks_find_planted_leaks():
    leaky = pd.DataFrame({"group": ["treated", "control"], "n_all": [20, 1000], "n_matched": [20, "c"],
                          "n_unmatched": [0, 997]})
    assert differencing_leaks(leaky)
    safe = disclosure.suppress(pd.DataFrame({"group": ["treated", "control"], "n_all": [20, 1000],
                                             "n_matched": [20, 3], "n_unmatched": [0, 997]}),
                               ["n_all", "n_matched", "n_unmatched"], totals=["n_all"])
    assert differencing_leaks(safe) == []
    shares = pd.DataFrame({"score": ["total"], "band": ["borderline"], "count": ["c"], "n": [20], "pct": [20.0]})
    assert share_leaks(shares)
    att = pd.DataFrame({"covariate": ["years=over 5"], "count_lost": ["c"]})
    assert balance_leaks(pd.DataFrame({"covariate": ["years=over 5"], "completers vs lost": ["0.386"]}), att, "b")
    assert text_leaks("Sample sizes\n  all  20  1000\n  matched  20  c\n  unmatched  0  997\n", "t")
    assert text_leaks("cases: 12, closed to social care: 1", "t")
    assert text_leaks("cases: 12, closed to social care: 11", "t")
    assert text_leaks("cases: 12, closed to social care: c, status changed: 6", "t") == []


def test_counts_text_suppresses_parts_and_complements():
    counts = {"cases": 12, "closed_to_social_care": 1, "cp_escalation_avoided": 11, "status_changed": 6}
    text = disclosure.counts_text(counts, total="cases")
    assert text == "cases: 12, closed to social care: c, cp escalation avoided: c, status changed: 6"
    assert "closed to social care: 1" in disclosure.counts_text(counts, total="cases", public=True)
    with pytest.raises(ValueError, match="not true or false"):
        disclosure.counts_text(counts, public="perhaps")


# ----------------------------------------------------------------------------- the batch


@pytest.fixture(scope="module")
def batch_runs(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("scan")
    base = tmp / "las"
    folder = batch.new_la("Scanville", base=base, synthetic=True, seed=5)
    (folder / "params.yaml").write_text(
        "la_name: Scanville\n"
        "notebooks:\n"
        "  01_gloucestershire_yst:\n"
        "    case_level_public: 'false'\n"
        "  08_matching_child_level: {}\n"
        "  09_survey_baselines: {}\n",
        encoding="utf-8",
    )
    # one worker (this process, one warm kernel for the three notebooks): what is scanned is the
    # same with any number of workers; parallel workers are tested in test_batch.py
    synth = batch.run_batch(["scanville"], base=base, out=tmp / "runs", run_id="synthetic", workers=1, progress=False)
    shipped = batch.run_batch(["sefton"], notebooks=["02_sefton_cas"], out=tmp / "runs", run_id="shipped",
                              workers=1, progress=False)
    for res in (synth, shipped):
        bad = [(t.notebook, t.status, t.error) for t in res.tasks if t.status != "ok"]
        assert not bad, bad
    return {"synthetic": synth.run_dir, "shipped": shipped.run_dir}


@pytest.mark.slow
@pytest.mark.parametrize("which", ["synthetic", "shipped"])
def test_nothing_recoverable_in_batch_outputs(batch_runs, which):
    problems = scan_run(batch_runs[which])
    assert problems == [], "\n".join(problems)


@pytest.mark.slow
def test_case_level_public_false_as_text_hides_the_per_case_table(batch_runs):
    html = _html_text(batch_runs["synthetic"] / "scanville" / "01_gloucestershire_yst.html")
    assert "the cases imply £" in html  # the notebook ran that far
    assert "rate_gap_pct" not in html and "hours_at_reference" not in html
    assert "closed to social care: " in html
