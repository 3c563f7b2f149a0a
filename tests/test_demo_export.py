from nbrun import outputs_text, run_notebook


def test_export_and_import_notebook_runs(tmp_path):
    nb = run_notebook("06_export_and_import.ipynb", tmp_path, timeout=600)
    text = outputs_text(nb)
    assert "class Model(nn.Module)" in text
    assert "saved weights to lv_weights.pt" in text
    assert "round trip ok" in text
    assert "largest difference" in text
    assert "between the exported file and the module" in text  # the imported CNN exports
    assert (tmp_path / "lv_ude.py").exists()
