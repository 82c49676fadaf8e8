"""Structure of the committed notebooks: kernel, parameters cell, clean outputs, checked cells."""

from __future__ import annotations

import nbformat
import pytest

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
