from nbrun import outputs_text, run_notebook


def test_quickstart_notebook_runs(tmp_path):
    nb = run_notebook("01_quickstart.ipynb", tmp_path)
    text = outputs_text(nb)
    assert "loss" in text and "->" in text
    assert (tmp_path / "quickstart_model.diffwire").exists()
