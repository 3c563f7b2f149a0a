"""The ODE demo notebooks execute in a real kernel with DIFFWIRE_FAST=1 and pass their lines."""

import pytest

from nbrun import outputs_text, run_notebook


def test_lotka_volterra_ude_notebook(tmp_path):
    nb = run_notebook("03_lotka_volterra_ude.ipynb", tmp_path, timeout=600)
    text = outputs_text(nb)
    assert "PASS LINE" in text and "raw-data SINDy finds them: False" in text


def test_structure_ablation_notebook(tmp_path):
    nb = run_notebook("04_structure_ablation.ipynb", tmp_path, timeout=600)
    assert "ABLATION OK" in outputs_text(nb)


def test_spiral_notebook(tmp_path):
    nb = run_notebook("05_spiral_neural_ode.ipynb", tmp_path, timeout=600)
    assert "SPIRAL OK" in outputs_text(nb)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
