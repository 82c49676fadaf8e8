"""Structure of the committed notebooks: kernel, parameters cell, clean outputs, checked cells."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

import evalkit
from evalkit import studies
from evalkit.paths import NOTEBOOKS

NBS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def test_there_are_notebooks():
    assert NBS


@pytest.mark.parametrize("path", NBS, ids=lambda p: p.stem)
def test_notebook_structure(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "evalkit", "papermill and nbval must use the evalkit kernel"
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = code[0]
    assert "parameters" in first.metadata.get("tags", []), "the first code cell must be tagged 'parameters'"
    for name in ("la_name", "data_dir", "out_dir"):
        assert f"{name} =" in first.source, f"parameters cell lacks {name}"
    for c in code:
        assert c.get("execution_count") is not None, "commit notebooks executed, with outputs"
        assert not [o for o in c.outputs if o.get("output_type") == "error"], "a committed cell has an error output"
        assert "def " not in c.source and "class " not in c.source, "logic belongs in evalkit, not the notebook"
    checked = [c for c in code if c.source.lstrip().startswith("# NBVAL_CHECK_OUTPUT")]
    assert checked, "mark the cells that print reproduced figures with # NBVAL_CHECK_OUTPUT"
    for c in checked:
        # plain text, or Markdown prose (nbval compares the text/markdown string): nothing else
        for o in c.outputs:
            if o.get("output_type") == "stream":
                continue
            data = set(o.get("data", {}))
            assert o.get("output_type") in {"execute_result", "display_data"} and "text/markdown" in data, (
                f"checked cells must print plain text or display Markdown, not {o.get('output_type')} {data}")
            assert data <= {"text/markdown", "text/plain"}, f"checked cells must not display {data - {'text/markdown', 'text/plain'}}"


# --------------------------------------------------------------------------- size limits

MAX_CELL_LINES = 12
MAX_NOTEBOOK_LINES = 80
#: Notebooks not yet thinned, each listed by name (xfail, strict: thinning one makes its test pass and
#: the xfail must then be removed here).
NOT_YET_THIN: dict[str, str] = {}


#: Notebooks that open, right after the parameters, with a "Findings" section.
THIN_WITH_FINDINGS = {
    "01_gloucestershire_yst",
    "02_sefton_cas",
    "03_gloucestershire_iis",
    "04_ofsted_edging_away",
    "05_innovation_evidence_map",
}


def _code_lines(cell) -> int:
    return len([ln for ln in cell.source.splitlines() if ln.strip()])


def _size_params():
    for p in NBS:
        marks = [pytest.mark.xfail(reason=NOT_YET_THIN[p.stem], strict=True)] if p.stem in NOT_YET_THIN else []
        yield pytest.param(p, id=p.stem, marks=marks)


@pytest.mark.parametrize("path", list(_size_params()))
def test_notebook_is_thin(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    body = [c for c in code if "parameters" not in c.metadata.get("tags", [])]
    fat = [(i, _code_lines(c)) for i, c in enumerate(body) if _code_lines(c) > MAX_CELL_LINES]
    assert not fat, f"code cells over {MAX_CELL_LINES} lines (index, lines): {fat}"
    total = sum(_code_lines(c) for c in body)
    assert total <= MAX_NOTEBOOK_LINES, f"{total} code lines (limit {MAX_NOTEBOOK_LINES})"
    for c in body:
        assert not any(ln.lstrip().startswith(("for ", "while ")) for ln in c.source.splitlines()), "a loop"


def test_size_limit_counts_lines():
    cell = nbformat.v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(13)))
    assert _code_lines(cell) == 13 > MAX_CELL_LINES


@pytest.mark.parametrize("path", [p for p in NBS if p.stem in THIN_WITH_FINDINGS], ids=lambda p: p.stem)
def test_findings_come_first(path):
    nb = nbformat.read(path, as_version=4)
    first_md_after_params = None
    seen_params = False
    for c in nb.cells:
        if c.cell_type == "code" and "parameters" in c.metadata.get("tags", []):
            seen_params = True
        elif seen_params and c.cell_type == "markdown":
            first_md_after_params = c.source
            break
    assert first_md_after_params is not None and first_md_after_params.startswith("## Findings")


# --------------------------------------------------------------------------- parameters cell = study's PARAMETERS


def _parameters_cell(path) -> dict[str, object]:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", []))
    out = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


@pytest.mark.parametrize("name", studies.NAMES)
def test_parameters_cell_matches_the_study(name):
    st = studies.get(name)
    path = NOTEBOOKS / f"{st.INFO.notebook}.ipynb"
    assert _parameters_cell(path) == st.PARAMETERS


# --------------------------------------------------------------------------- layering

METHOD_MODULES = ("its", "matching", "la_compare", "counterfactual", "cba", "surveys")
FORBIDDEN = ("evalkit.studies", "evalkit.batch", "evalkit.cli", "evalkit.catalog", "evalkit.runner")
PACKAGE = Path(evalkit.__file__).resolve().parent


def _method_files() -> list[Path]:
    files = []
    for m in METHOD_MODULES:
        if (PACKAGE / f"{m}.py").exists():
            files.append(PACKAGE / f"{m}.py")
        if (PACKAGE / m).is_dir():
            files.extend(sorted((PACKAGE / m).rglob("*.py")))
    return files


def _imports(path: Path, root: Path = PACKAGE.parent) -> set[str]:
    """Every module a source file imports, anywhere in it (functions included), as absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join([*parts, base]) if base else ".".join(parts)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def test_method_modules_are_found():
    names = {p.stem for p in _method_files()} | {p.parent.name for p in _method_files()}
    assert {"its", "matching", "cba", "surveys"} <= names


@pytest.mark.parametrize("path", _method_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_method_module_imports_no_study_or_application(path):
    bad = sorted(i for i in _imports(path) if i.startswith(FORBIDDEN) or i in {"evalkit.studies"})
    assert not bad, f"{path.name} imports {bad}"


def test_import_guard_catches_a_study_import(tmp_path):
    fake = tmp_path / "evalkit" / "cba" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from ..studies import sefton\n    import evalkit.catalog\n")
    found = _imports(fake, root=tmp_path)
    assert "evalkit.studies.sefton" in found and "evalkit.catalog" in found
    assert any(i.startswith(FORBIDDEN) for i in found)
