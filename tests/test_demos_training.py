"""The live-training demo notebook executes, with a small budget."""

import os
import pathlib

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_live_training_notebook_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT / "kernel_lib"), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("DIFFWIRE_FAST", "1")
    nb = nbformat.read(ROOT / "demos" / "02_live_training.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                  for o in c.get("outputs", []))
    assert "features kept their weights" in out
