"""Raw data: every seed folder documents its provenance, and running a notebook never writes to it."""

from __future__ import annotations

import pytest
import yaml

from evalkit import paths, schemas
from evalkit.runner import execute

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


def test_notebook_run_leaves_raw_data_unchanged(tmp_path):
    before = tree_hash(paths.RAW)
    execute(
        paths.NOTEBOOKS / "01_gloucestershire_yst.ipynb",
        tmp_path / "01.ipynb",
        parameters={"out_dir": str(tmp_path / "derived")},
    )
    assert tree_hash(paths.RAW) == before
    assert (tmp_path / "derived" / "01_gloucestershire_yst" / "reproduction.csv").exists()
