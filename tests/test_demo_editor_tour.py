from nbrun import outputs_text, run_notebook


def test_editor_tour_notebook_runs(tmp_path):
    nb = run_notebook("00_editor_tour.ipynb", tmp_path)
    views = [o for c in nb.cells for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views, "the editor was not displayed"
    text = outputs_text(nb)
    assert '"format": "diffwire/1"' in text
    assert "at step" in text and "loss" in text
    # the second editor: the Lotka-Volterra UDE graph (an ODESolve), trained to the end
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "lotka_volterra_ude(" in sources and len(views) >= 2
    assert "finished at step" in text
