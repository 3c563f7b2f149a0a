"""The Gradient block on the canvas, in a real JupyterLab and Chromium: the Hamiltonian
network's graph shows the node with its derivative written on it, in the palette's math
section, and its body (the MLP H) opens. Screenshots: artifacts/e2e/g*.png."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_hamiltonian_graph_shows_the_gradient_and_opens_its_body(nb):
    nb.kernel("ed.graph = dw.ode.hamiltonian_nn()\nresult = 1")
    node = nb.node("dH")
    node.locator(".dw-formula", has_text="grad = ∂f/∂x").wait_for()
    assert nb.kernel("result = ed.last_analysis['formulas']['dH']") == ["grad = ∂f/∂x"]
    assert nb.node("field").locator(".dw-formula").inner_text().strip() != ""
    palette = nb.editor.locator(".dw-palette")
    assert palette.get_by_text("Gradient", exact=True).count() >= 1
    nb.screenshot("g01_hamiltonian_graph")
    try:
        node.locator(".dw-node-title").dblclick()
        nb.editor.locator(".dw-crumb", has_text="dH.body").wait_for()
        nb.node("H").wait_for()
        nb.page.wait_for_timeout(800)  # the fit runs after the body is drawn
        nb.screenshot("g02_gradient_body")
    finally:
        crumb = nb.editor.locator(".dw-crumb", has_text="graph").first
        if crumb.is_enabled():
            crumb.click()
