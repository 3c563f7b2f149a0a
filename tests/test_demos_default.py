"""Every other demo notebook in its default setting, as a person's Run All runs it (no
DIFFWIRE_FAST). Slow-marked: `pytest -m slow tests/test_demos_default.py`; the default
test run executes each with DIFFWIRE_FAST=1 (test_demo_*.py, test_demos_training.py), and
the ODE demos' default settings are in test_ode_demos.py."""

import pytest

from nbrun import outputs_text, run_notebook

PASS = {
    "00_editor_tour.ipynb": ['"format": "diffwire/1"', "finished at step"],
    "01_quickstart.ipynb": ["loss", "->"],
    "02_live_training.ipynb": ["features kept their weights", "<Run finished"],
    "06_export_and_import.ipynb": ["saved weights to lv_weights.pt", "round trip ok"],
    "10_dataflow_matrix.ipynb": ["sparsest at >= 99% accuracy", "exported model matches: True"],
    "08_learned_optimizer.ipynb": ["LEARNED OPTIMIZER OK: 150 meta-iterations"],
    # the notebook asserts the energy gap (> 10x) before printing its pass line
    "07_hamiltonian_nn.ipynb": ["HNN OK", "energy MSE, baseline / HNN"],
    "09_boolean_circuits.ipynb": ["accuracy on all 16 rows: 1.000",
                                  "adds on all 16 inputs", "BOOLEAN OK"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PASS))
def test_demo_default_setting(name, tmp_path):
    text = outputs_text(run_notebook(name, tmp_path, timeout=2400, fast=False))
    for line in PASS[name]:
        assert line in text, (name, line)
