"""demos/09_boolean_circuits.ipynb in the fast setting: the adder is learned by the rda
Optimizer node, its tables printed, the export checked on every input, parity learned."""

from nbrun import outputs_text, run_notebook


def test_boolean_circuits_notebook(tmp_path):
    text = outputs_text(run_notebook("09_boolean_circuits.ipynb", tmp_path, timeout=600))
    assert "accuracy on all 16 rows: 1.000" in text
    assert "sum0: [0, 1, 1, 0]  = XOR" in text
    assert "exported circuit matches the compiled circuit and adds on all 16 inputs" in text
    assert "solved" in text and "BOOLEAN OK" in text
