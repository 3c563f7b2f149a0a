"""The live-training demo notebook executes, with a small budget (DIFFWIRE_FAST=1)."""

from nbrun import outputs_text, run_notebook


def test_live_training_notebook_runs(tmp_path):
    nb = run_notebook("02_live_training.ipynb", tmp_path, timeout=120)
    text = outputs_text(nb)
    assert "features kept their weights" in text
    assert "<Run finished" in text
