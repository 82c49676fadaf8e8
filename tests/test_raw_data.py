"""Raw data: every seed folder documents its provenance, and running a notebook never writes to it."""

from __future__ import annotations

import pytest
import yaml

from evalkit import paths, schemas

from .conftest import tree_hash

SEED_FOLDERS = sorted(p for p in paths.RAW.glob("[0-9][0-9][0-9]_*") if p.is_dir())


def test_there_are_seed_folders():
    assert any(p.name == "000_gloucestershire_yst" for p in SEED_FOLDERS)


@pytest.mark.parametrize("folder", SEED_FOLDERS, ids=lambda p: p.name)
def test_seed_folder_provenance(folder):
    src = yaml.safe_load((folder / "sources.yaml").read_text(encoding="utf-8"))
    seed_file = src["document"]["seed_file"]
    assert seed_file.startswith(folder.name[:3] + "_")
    documented = set(src["tables"])
    for csv in sorted(folder.glob("*.csv")):
        assert csv.stem in documented, f"{csv.name} has no entry in {folder.name}/sources.yaml"
        assert csv.stem in schemas.REGISTRY, f"{csv.name} has no schema"
        header = csv.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert "seed_lines" in header, f"{csv.name} lacks the row-level seed_lines column"
    assert (folder / "stated_figures.csv").exists()


@pytest.mark.parametrize("folder", SEED_FOLDERS, ids=lambda p: p.name)
def test_seed_lines_point_inside_the_seed(folder):
    """Every seed_lines reference names lines that exist in the seed text (when ../shared is present)."""
    src = yaml.safe_load((folder / "sources.yaml").read_text(encoding="utf-8"))
    seed = paths.shared_dir() / "seeds" / src["document"]["seed_file"]
    if not seed.exists():
        pytest.skip(f"{seed} is not present (CI without ../shared)")
    n_lines = len(seed.read_text(encoding="utf-8").splitlines())
    tables, problems = schemas.validate_folder(folder)
    assert not problems
    for name, df in tables.items():
        if "seed_lines" not in df:
            continue
        for ref in df["seed_lines"].dropna().astype(str):
            for part in ref.replace(",", ";").split(";"):
                part = part.strip().lstrip("l.")
                if not part:
                    continue
                lo, _, hi = part.partition("-")
                assert 1 <= int(lo) <= int(hi or lo) <= n_lines, f"{name}: bad seed_lines {ref!r}"


def test_notebook_run_leaves_raw_data_unchanged_and_reads_entered_ratings(tmp_path, run_notebook):
    """Run notebook 01 with ratings entered in the case_study_ratings template (as an evaluator
    would, reading the printed figures): raw data stay byte-for-byte the same, and the rating
    summary is built from the entered values."""
    import pandas as pd

    from evalkit import templates

    ratings = tmp_path / "ratings.csv"
    header = templates.template_csv("case_study_ratings").splitlines()[0]
    rows = [f"Figure 3,young_person,{c},overall support,{r},test" for c, r in [(3, 4), (4, 5), (5, 2)]]
    rows += [f"Figure 5,parent,{c},overall support,{r},test" for c, r in [(1, 2), (2, 4)]]
    ratings.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    before = tree_hash(paths.RAW)
    run_notebook(
        paths.NOTEBOOKS / "01_gloucestershire_yst.ipynb",
        tmp_path / "01.ipynb",
        parameters={"out_dir": str(tmp_path / "derived"), "ratings_file": str(ratings)},
    )
    assert tree_hash(paths.RAW) == before
    out = tmp_path / "derived" / "01_gloucestershire_yst"
    assert (out / "reproduction.csv").exists()
    summary = pd.read_csv(out / "rating_summary.csv", dtype=str).set_index("respondent_group")
    # 3 ratings: the count and its statistics are suppressed on output (a minimum of 3 is one answer)
    assert summary.loc["young_person", "ratings_available"] == "c"
    assert summary.loc["young_person", ["median", "mean", "min", "max"]].tolist() == ["c"] * 4
    nb = (tmp_path / "01.ipynb").read_text(encoding="utf-8")
    assert "young_person Figure 3             5         0        2             3                  3     4.0" in nb
