"""Every notebook in notebooks/ runs top to bottom with the project's kernel."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    import nbclient
    import nbformat

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("SALESGXE_NOTEBOOK_OUT", str(tmp_path))   # notebooks write outputs here
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=600,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_declares_the_project_kernel_and_says_how_to_run_it(path):
    # The kernel test above runs every notebook in a plain "python3" kernel; the file itself
    # names the project's kernel (registered by `make notebooks`) and says how to use either.
    import nbformat
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "salesgxe"
    assert "How to run this notebook" in nb.cells[1].source and "python3" in nb.cells[1].source
    assert "--name salesgxe" in (ROOT / "Makefile").read_text()


def test_notebook_01_leaves_the_statistics_to_the_package():
    import nbformat
    nb = nbformat.read(ROOT / "notebooks" / "01_replicate.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "probing.crossover(" not in code and "families.crossovers(" in code
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    from analysis.study.claims import CLAIMS
    nulls = [c.id for c in CLAIMS if c.kind == "null"]
    words = {4: "Four", 5: "Five", 6: "Six"}
    assert f"{words[len(nulls)]} of the claims are *null* claims ({', '.join(nulls)}" in text
