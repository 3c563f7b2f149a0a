"""A notebook executed with its widget state stored (what nbclient and `jupyter nbconvert
--execute` do) grows by the editor's state, not by the editor's code."""

from __future__ import annotations

import json
import os
import pathlib
import sys

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
GRAPH = """import diffwire as dw
g = dw.Graph()
x = g.add("Input", name="x", shape=[None, 1])
h = g.add("MLP", widths=[1, 32, 32, 1], activation="tanh")
g.connect(x, h)
g.add_output(h, name="y")"""


def executed(tmp_path: pathlib.Path, last: str, name: str) -> pathlib.Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(GRAPH), nbformat.v4.new_code_cell(last)]
    env = dict(os.environ)
    os.environ["PYTHONPATH"] = str(ROOT / "kernel_lib")
    os.environ["PATH"] = str(pathlib.Path(sys.executable).parent) + os.pathsep + env["PATH"]
    try:
        NotebookClient(nb, timeout=180, kernel_name="python3", store_widget_state=True,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env)
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_a_saved_editor_adds_under_300_kb(tmp_path):
    with_editor = executed(tmp_path, "dw.Editor(g)", "editor.ipynb")
    without = executed(tmp_path, "g", "plain.ipynb")
    grown = with_editor.stat().st_size - without.stat().st_size
    assert grown <= 300_000, f"the editor added {grown / 1000:.0f} KB"
    state = json.loads(with_editor.read_text())["metadata"]["widgets"][
        "application/vnd.jupyter.widget-state+json"]["state"]
    editor = [m for m in state.values() if m["model_name"] == "AnyModel"]
    assert len(editor) == 1
    esm = editor[0]["state"]["_esm"]
    assert len(esm) < 10_000 and "editor." in esm  # the bootstrap, naming the module
    assert editor[0]["state"]["doc"]["nodes"]  # the graph itself is kept: it reopens
