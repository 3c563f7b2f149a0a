"""The ODE demo notebooks execute in a real kernel and pass their lines: with
DIFFWIRE_FAST=1 in the default run, and in their default setting (what Run All does) in the
slow-marked tests (`pytest -m slow tests/test_ode_demos.py`)."""

import pathlib

import pytest

import diffwire as dw

from nbrun import outputs_text, run_notebook


def test_lotka_volterra_ude_notebook(tmp_path):
    nb = run_notebook("03_lotka_volterra_ude.ipynb", tmp_path, timeout=600)
    text = outputs_text(nb)
    assert "PASS LINE" in text and "raw-data SINDy finds them: False" in text


@pytest.mark.slow
def test_lotka_volterra_ude_notebook_default_setting(tmp_path):
    nb = run_notebook("03_lotka_volterra_ude.ipynb", tmp_path, timeout=3000, fast=False)
    text = outputs_text(nb)
    assert "PASS LINE" in text and "raw-data SINDy finds them: False" in text
    assert "both terms within 10% and tracking to t=50:" in text  # the kept seed table


def test_structure_ablation_notebook(tmp_path):
    nb = run_notebook("04_structure_ablation.ipynb", tmp_path, timeout=600)
    assert "ABLATION OK" in outputs_text(nb)


def test_structure_ablation_notebook_default_setting(tmp_path):
    """Run All as shipped loads the kept full experiment (270 fits) and states its
    findings; quick enough for the default test run."""
    nb = run_notebook("04_structure_ablation.ipynb", tmp_path, timeout=600, fast=False)
    text = outputs_text(nb)
    assert "loaded the kept result lv_structure_ablation.json" in text
    assert "ABLATION OK: 270 runs" in text
    assert "extrap 10x: most helpful term" in text and "of the data: most helpful term" in text


def test_spiral_notebook(tmp_path):
    nb = run_notebook("05_spiral_neural_ode.ipynb", tmp_path, timeout=600)
    assert "SPIRAL OK" in outputs_text(nb)


@pytest.mark.slow
def test_spiral_notebook_default_setting(tmp_path):
    nb = run_notebook("05_spiral_neural_ode.ipynb", tmp_path, timeout=3000, fast=False)
    assert "SPIRAL OK" in outputs_text(nb) and "after 300 steps" in outputs_text(nb)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_lotka_volterra_demo_reads_the_nfe_key_that_records_carry():
    # the demo printed run.history[-1].get("nfe"), which is always None
    data = dw.ode.lotka_volterra()
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)

    def fixed(name, v):
        return {"source": "kernel", "name": name, "value": v, "batch": False}

    run = dw.train(g, data={"y0": fixed("y0", data.y0), "t": fixed("t", data.t), "y": data.y},
                   loss="mse", steps=1, progress=False, background=False)
    assert run.history[-1]["solve/nfe"] > 0 and "nfe" not in run.history[-1]
    root = pathlib.Path(__file__).resolve().parents[1]
    for name in ("demos/03_lotka_volterra_ude.ipynb", "tools/make_ode_demos.py"):
        text = (root / name).read_text()
        assert 'get("nfe")' not in text and 'get(\\"nfe\\")' not in text
