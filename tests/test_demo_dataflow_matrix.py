"""demos/10_dataflow_matrix.ipynb in the fast setting, and the document it describes."""

import pathlib
import re

import diffwire as dw

from nbrun import outputs_text, run_notebook

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_dataflow_matrix_notebook_runs(tmp_path):
    text = outputs_text(run_notebook("10_dataflow_matrix.ipynb", tmp_path, timeout=600))
    # (a stream's output may arrive in several parts, joined here by newlines)
    changes = re.search(r"per sequence: \[([^\]]*)\]", text)
    assert changes and all(float(v) > 0 for v in changes.group(1).split(","))
    counts = [int(m) for m in re.findall(r"links +(\d+)/48", text)]
    assert len(counts) == 2 and counts[0] == 48 and counts[1] < 48  # the second run pruned
    assert "exported model matches: True" in text
    assert "0.15 delayed_copy" in text


def test_document_validates_and_trains_from_its_section(tmp_path):
    g = dw.load(ROOT / "demos" / "dataflow_matrix.diffwire")
    assert not [e for e in g.validate() if e.severity == "error"]
    assert not dw.validate_training(g)
    run = dw.train(g, steps=3, background=False, progress=False, out=False)
    assert run.state == "finished" and "dmm/links" in run.history[-1]
