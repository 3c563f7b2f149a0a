"""A notebook executed with its widget state stored (what nbclient and `jupyter nbconvert
--execute` do) grows by the editor's state, not by the editor's code."""

from __future__ import annotations

import json

import nbformat

from nbrun import execute_cells

GRAPH = """import diffwire as dw
g = dw.Graph()
x = g.add("Input", name="x", shape=[None, 1])
h = g.add("MLP", widths=[1, 32, 32, 1], activation="tanh")
g.connect(x, h)
g.add_output(h, name="y")"""


def test_a_saved_editor_adds_under_300_kb(tmp_path):
    nbformat.write(execute_cells([GRAPH, "dw.Editor(g)"], tmp_path), tmp_path / "editor.ipynb")
    nbformat.write(execute_cells([GRAPH, "g"], tmp_path), tmp_path / "plain.ipynb")
    with_editor, without = tmp_path / "editor.ipynb", tmp_path / "plain.ipynb"
    grown = with_editor.stat().st_size - without.stat().st_size
    assert grown <= 300_000, f"the editor added {grown / 1000:.0f} KB"
    state = json.loads(with_editor.read_text())["metadata"]["widgets"][
        "application/vnd.jupyter.widget-state+json"]["state"]
    editor = [m for m in state.values() if m["model_name"] == "AnyModel"]
    assert len(editor) == 1
    esm = editor[0]["state"]["_esm"]
    assert len(esm) < 10_000 and "editor." in esm  # the bootstrap, naming the module
    assert editor[0]["state"]["doc"]["nodes"]  # the graph itself is kept: it reopens
