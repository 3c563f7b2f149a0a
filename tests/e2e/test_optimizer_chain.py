"""An Optimizer node on the canvas shows its update chain, gradient in, update out, and its
`stages` are written in the Inspector's generated form (real JupyterLab and Chromium;
screenshots under artifacts/e2e/opt*.png)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def _stages(doc):
    return next(n for n in doc["nodes"] if n["id"] == "opt")["params"]["stages"]


def test_the_chain_shows_on_the_node_and_is_written_in_the_inspector(nb):
    nb.kernel("ed.graph.add('Optimizer', id='opt', kind='adamw', lr=3e-3, weight_decay=0.01,"
              " position=[0, 160])\ned.graph = ed.graph\nresult = 1")
    opt = nb.node("opt")
    opt.locator(".dw-formula", has_text="add_decayed_weights").wait_for()
    assert opt.locator(".dw-formula").inner_text().splitlines() == [
        "grad", "→ scale_by_adam b1=0.9", "→ add_decayed_weights weight_decay=0.01",
        "→ scale_by_learning_rate lr=0.003"]
    nb.screenshot("opt01_adamw_as_chain")

    nb.select("opt")
    kind = nb.editor.locator('.dw-inspector [data-param="kind"] select')
    kind.select_option("chain")
    opt.locator(".dw-formula", has_text="write the update stages").wait_for()
    field = nb.editor.locator('.dw-inspector [data-param="stages"] textarea')
    field.fill("clip_by_global_norm 1.0\nscale_by_adam b2=0.99\n"
               "scale_by_learning_rate schedule=cosine warmup=10")
    field.press("Enter")
    doc = nb.wait_graph(lambda d: "cosine" in _stages(d))
    assert _stages(doc).splitlines()[1] == "scale_by_adam b2=0.99"
    opt.locator(".dw-formula", has_text="schedule=cosine").wait_for()
    assert "→ clip_by_global_norm max_norm=1" in opt.locator(".dw-formula").inner_text()
    nb.screenshot("opt02_own_chain")

    field.fill("scale_by_adma")  # a typo: the kernel's check shows at the field and the node
    field.press("Enter")
    nb.editor.locator('[data-param="stages"] .dw-field-error',
                      has_text="no update stage 'scale_by_adma'").wait_for()
    opt.locator(".dw-badge-error").wait_for()
    nb.screenshot("opt03_refused_stage")
