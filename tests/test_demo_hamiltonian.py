"""Demo 07, the Hamiltonian neural network, executes in a real kernel with DIFFWIRE_FAST=1:
both graphs train with dw.train, the table and the energy plot come out, the export matches.
Its default setting (the paper's 2000 steps, the order-of-magnitude energy gap asserted in
the notebook) is in tests/test_demos_default.py."""

from nbrun import outputs_text, run_notebook


def test_hamiltonian_notebook_fast(tmp_path):
    nb = run_notebook("07_hamiltonian_nn.ipynb", tmp_path, timeout=900)
    text = outputs_text(nb)
    assert "HNN OK" in text and "energy MSE, baseline / HNN" in text
    assert "exported HNN vs trained graph" in text
    data = [out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", [])]
    tables = [d["text/markdown"] for d in data if "text/markdown" in d]
    assert any("| HNN |" in t and "| baseline |" in t and "energy MSE" in t for t in tables)
    plots = [d for d in data if "application/vnd.plotly.v1+json" in d]
    names = {tr.get("name") for p in plots for tr in p["application/vnd.plotly.v1+json"]["data"]}
    assert {"ground truth", "baseline", "HNN"} <= names
