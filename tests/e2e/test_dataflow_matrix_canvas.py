"""A DataflowMatrix node on the canvas, in a real JupyterLab and Chromium: while a run trains
with sparsification, the node draws its link matrix as a heat grid, and the links the run
pruned fade (pale, crossed out), as many as the kernel's mask says. Leaves screenshots
under artifacts/e2e/ (dmm_*.png)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e]

START = """
import pathlib
g = dw.load(pathlib.Path({root!r}) / "demos" / "dataflow_matrix.diffwire")
g.node("dmm").params.update(prune_below=0.2, prune_every=10)
ed.graph = g
_dmm_data = dw.runtime.data.delayed_copy(n=256, steps=12, delay=3)
ed.train(data=_dmm_data, loss="bce", optimizer=("adam", {{"lr": 2e-2}}), steps=100000,
         batch_size=128)
result = 1
"""


def test_heat_grid_shows_links_and_pruned_links_fade(nb):
    from conftest import ROOT

    nb.kernel(START.format(root=str(ROOT)))
    node = nb.node("dmm")
    grid = node.locator("[data-heat-grid]")
    grid.wait_for(timeout=60_000)
    assert grid.locator("[data-cell]").count() == 6 * 8
    nb.page.wait_for_function(
        """() => document.querySelectorAll('.react-flow__node[data-id="dmm"] [data-pruned="1"]').length >= 3""",
        timeout=90_000)
    nb.page.wait_for_timeout(500)
    nb.screenshot("dmm_heat_grid_pruning")
    # the remaining link count plots beside the loss, under the metric's own name
    live = nb.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .dw-live").first
    live.locator(".u-legend").get_by_text("dmm/links").first.wait_for(timeout=30_000)
    live.screenshot(path=str(ROOT / "artifacts" / "e2e" / "dmm_links_plot.png"))
    nb.kernel("ed.control.run.stop()\nresult = 1")
    nb.page.wait_for_timeout(1500)
    kept = nb.kernel("result = int(ed.control.run.model.blocks['dmm'].mask.sum())")
    assert 0 < kept < 48
    nb.page.wait_for_function(
        """(k) => document.querySelector('.react-flow__node[data-id="dmm"] [data-heat-grid]').dataset.links === String(k)""",
        arg=kept, timeout=15_000)
    assert grid.locator('[data-pruned="1"]').count() == 48 - kept
    assert f"links {kept}/48" in grid.inner_text()

    def look(sel: str) -> dict:
        return grid.locator(sel).first.evaluate(
            "el => { const s = getComputedStyle(el); return {fill: s.fill, opacity: +s.opacity,"
            " fillOpacity: +s.fillOpacity}; }")

    pruned, strong = look(".dw-heat-pruned"), look(".dw-heat-cell")
    # a kept link is drawn in the heat colour; a pruned one is pale and faded
    assert pruned["fill"] != strong["fill"]
    assert pruned["opacity"] * pruned["fillOpacity"] < 0.7
    assert grid.locator(".dw-heat-cross").count() == 48 - kept
    nb.screenshot("dmm_heat_grid_stopped")
    node.screenshot(path=str(ROOT / "artifacts" / "e2e" / "dmm_node.png"))
