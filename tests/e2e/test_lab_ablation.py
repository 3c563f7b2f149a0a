"""The Ablation panel in a real JupyterLab and Chromium: a person opens the LV ablation
document, finds its two known terms as checkboxes (unticking one writes the node's flag
into the document), sets seeds and budget, runs, watches the progress bar, reads the
table and the extrapolation figure, and finds the same result after closing and reopening
the document. Screenshots go to artifacts/e2e/ablation_*.png."""

from __future__ import annotations

import json
import pathlib
import time

import pytest
from test_lab_document import LabPage

pytestmark = pytest.mark.e2e

DEMOS = pathlib.Path(__file__).resolve().parents[2] / "demos"


@pytest.fixture(scope="module")
def lab_page(lab, browser_context):
    from conftest import ARTIFACTS

    base, token, root = lab
    doc = json.loads((DEMOS / "lotka_volterra_ablation.diffwire").read_text())
    for b in doc["training"]["data"].values():  # a short trajectory: tiny budgets stay quick
        b["kwargs"] = {"n": 11, "t_end": 1.0}
    (root / "abl.diffwire").write_text(json.dumps(doc))
    page = browser_context.new_page()
    page.bring_to_front()
    page.goto(f"{base}/lab?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined",
                           timeout=90_000)
    page.locator(".jp-Launcher").first.wait_for(timeout=90_000)
    yield LabPage(page, root, ARTIFACTS)
    page.close()


def _open(p: LabPage):
    p.command("docmanager:open", {"path": "abl.diffwire"})
    p.node("solve").wait_for(timeout=60_000)
    p.wait_connected()
    p.doc.locator(".dw-wb-tabs button", has_text="Ablation").click()
    panel = p.doc.locator('[data-testid="ablation-panel"]')
    panel.locator("[data-term]").nth(1).wait_for(timeout=60_000)
    return panel


def _flags(p: LabPage) -> dict:
    return p.page.evaluate("""() => {
        const g = window.jupyterapp.shell.currentWidget.transport.readGraph();
        const f = g.nodes.find((n) => n.id === 'solve').body.field;
        return Object.fromEntries(f.nodes.filter((n) => n.type === 'Expression')
            .map((n) => [n.id, n.params.ablatable]));
    }""")


def test_mark_run_read_and_reopen(lab_page):
    p = lab_page
    panel = _open(p)
    terms = panel.locator("[data-term]")
    assert [terms.nth(i).get_attribute("data-term") for i in range(terms.count())] == [
        "solve/field/prey_growth", "solve/field/predator_death"]
    box = panel.locator('[data-term="solve/field/predator_death"] input[type=checkbox]')
    assert box.is_checked()
    # unticking writes the node's flag into the document (and ticking it back)
    box.uncheck()
    p.page.wait_for_function("""() => { const g = window.jupyterapp.shell.currentWidget.transport.readGraph();
        return g.nodes.find((n) => n.id === 'solve').body.field.nodes
            .find((n) => n.id === 'predator_death').params.ablatable === false; }""")
    assert _flags(p) == {"prey_growth": True, "predator_death": False}
    box.check()
    p.page.wait_for_function("""() => { const g = window.jupyterapp.shell.currentWidget.transport.readGraph();
        return g.nodes.find((n) => n.id === 'solve').body.field.nodes
            .find((n) => n.id === 'predator_death').params.ablatable === true; }""")

    # bad settings are refused as they are typed
    seeds = panel.locator('[data-field="ablation-seeds"]')
    seeds.fill("0")
    panel.locator(".dw-field-error", has_text="seeds").wait_for()
    assert panel.locator(".dw-ablation-run").is_disabled()
    seeds.fill("2")
    panel.locator('[data-field="ablation-budget"]').fill("3")
    panel.locator('[data-field="ablation-fractions"]').fill("0.5, 1")
    # the wrong control: the person picks predator death, with its sign flipped
    panel.locator('[data-field="ablation-wrong-term"]').select_option("solve/field/predator_death")
    assert panel.locator(".dw-ablation-run").is_enabled()

    panel.locator(".dw-ablation-run").click()
    progress = panel.locator('[data-testid="ablation-progress"]')
    progress.wait_for(timeout=30_000)
    # 4 subsets + black box + wrong term, 2 seeds, 2 data fractions: the bar counts to 24
    p.page.wait_for_function("""() => { const el = document.querySelector('[data-testid="ablation-progress"] progress');
        return el && Number(el.max) === 24 && Number(el.value) >= 1; }""", timeout=180_000)
    p.screenshot("ablation_01_progress")
    result = panel.locator('[data-testid="ablation-result"]')
    result.wait_for(timeout=300_000)
    progress.wait_for(state="detached", timeout=60_000)
    rows = result.locator("tbody tr")
    assert rows.count() == 12  # one per variant and data fraction
    assert [rows.nth(i).get_attribute("data-variant") for i in range(0, 12, 2)] == [
        "none (neural ODE)", "prey_growth", "predator_death", "prey_growth + predator_death",
        "black box (no ODE)", "wrong term"]
    assert result.locator('[data-testid="ablation-fraction-figure"] g[data-variant]').count() == 6
    head = result.locator("thead").inner_text()
    assert "extrap 10x RMSE" in head and "BIC rank" in head and "NFE" not in head
    result.scroll_into_view_if_needed()
    p.screenshot("ablation_02_result")
    result.locator("table").scroll_into_view_if_needed()
    result.screenshot(path=str(p.artifacts / "ablation_02b_table.png"))
    result.locator('[data-field="ablation-all-columns"]').check()
    head = result.locator("thead").inner_text()
    for title in ("train loss", "interp RMSE", "extrap 2x RMSE", "extrap 10x RMSE", "2x spread",
                  "NFE", "wall s", "BIC rank"):
        assert title in head
    assert result.locator('[data-testid="ablation-figure"] g[data-variant]').count() == 6
    ident = result.get_attribute("data-id")
    kept = p.root / "abl.runs" / ident
    assert (kept / "results.json").is_file() and (kept / "results.csv").is_file()
    meta = json.loads((kept / "results.json").read_text())["meta"]
    assert meta["wrong"] == ["solve/field/predator_death", "-(0*y[0]), -(-delta*y[1])"]
    assert (meta["seeds"], meta["budget"]["adam"], meta["fractions"]) == ([0, 1], 3, [0.5, 1.0])
    # the panel ran the batched backend: three ensembles (the four subsets, the black box,
    # the wrong term), none falling back per variant
    assert meta["backend"] == "batched"
    assert [(g["members"], g["batched"]) for g in meta["batched"]["groups"]] == \
        [(16, True), (4, True), (4, True)]

    # save (the flags were edited), close and reopen: the kept result is shown again,
    # nothing reruns, and the flags are in the file
    p.command("docmanager:save")
    p.page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
    saved = json.loads((p.root / "abl.diffwire").read_text())
    field = next(n for n in saved["nodes"] if n["id"] == "solve")["body"]["field"]
    assert {n["id"]: n["params"]["ablatable"] for n in field["nodes"]
            if n["type"] == "Expression"} == {"prey_growth": True, "predator_death": True}
    p.page.evaluate("() => window.jupyterapp.shell.currentWidget.close()")
    p.page.wait_for_function("() => !document.querySelector('.dw-lab-document')", timeout=15_000)
    panel = _open(p)
    again = panel.locator('[data-testid="ablation-result"]')
    again.wait_for(timeout=60_000)
    assert again.get_attribute("data-id") == ident
    assert again.locator("tbody tr").count() == 12
    # the form starts from the shown result's settings
    assert panel.locator('[data-field="ablation-seeds"]').input_value() == "2"
    assert panel.locator('[data-field="ablation-budget"]').input_value() == "3"
    assert panel.locator('[data-field="ablation-fractions"]').input_value() == "0.5, 1"
    assert len(list((p.root / "abl.runs").glob("ablation-*"))) == 1
    time.sleep(0.3)
    p.screenshot("ablation_03_reopened")
