"""The learned 2-bit adder (demos/boolean_adder.diffwire) opened in a real JupyterLab and
Chromium: each LUT gate draws its truth table on the canvas, as the document holds it.
Screenshot: artifacts/e2e/boolean_adder.png."""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest

pytestmark = pytest.mark.e2e

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ".dw-lab-document:not(.lm-mod-hidden)"


def test_truth_tables_are_drawn_on_the_canvas(lab, browser_context):
    from conftest import ARTIFACTS

    base, token, root = lab
    shutil.copy(ROOT / "demos" / "boolean_adder.diffwire", root / "boolean_adder.diffwire")
    doc = json.loads((root / "boolean_adder.diffwire").read_text())
    tables = {n["id"]: n["params"]["table"] for n in doc["nodes"] if n["type"] == "LUT"}
    assert set(tables) == {"sum0", "carry0", "sum1", "carry1"}
    page = browser_context.new_page()
    try:
        page.bring_to_front()
        page.goto(f"{base}/lab?reset&token={token}", wait_until="domcontentloaded")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined",
                               timeout=90_000)
        page.locator(".jp-Launcher").first.wait_for(timeout=90_000)
        page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:open',"
                      " {path: 'boolean_adder.diffwire'}); }")
        editor = page.locator(DOC).first.locator(".dw-root")
        # the kernel's analysis arrived: shapes on the ports, every port kind known
        editor.locator('.react-flow__node[data-id="carry1"] .dw-port-shape').first.wait_for(
            timeout=90_000)
        for nid, table in tables.items():
            grid = editor.locator(f'.react-flow__node[data-id="{nid}"] [data-truth-table="table"]')
            grid.wait_for(timeout=90_000)  # drawn once the kernel's catalog arrived
            assert grid.is_visible()
            rows = grid.locator("tbody tr")
            assert rows.count() == len(table)
            k = len(table).bit_length() - 1
            assert grid.locator("thead th").all_inner_texts() == [f"x{i}" for i in range(k)] + ["out"]
            # each row: its inputs (input i is bit i of the row) and the learned output bit
            for row in range(len(table)):
                cells = rows.nth(row).locator("td").all_inner_texts()
                assert cells == [str((row >> i) & 1) for i in range(k)] + [str(table[row])]
            # a row per line at the canvas's zoom (what the screen shows, scaled back)
            zoom = float(editor.locator(".dw-canvas").get_attribute("data-zoom"))
            assert grid.bounding_box()["height"] / zoom > 12 * (len(table) + 1)
        # the output bits that are 1 are filled, so the table reads at a glance
        on = editor.locator('.react-flow__node[data-id="carry1"] td.dw-on')
        assert on.count() == sum(tables["carry1"])
        # every wire of the circuit is a bool wire, in the bool colour, the legend's only kind
        page.wait_for_function("""(sel) => [...document.querySelectorAll(sel)]
            .map((e) => e.dataset.kind).join() === 'bool'""",
                               arg=f"{DOC} .dw-legend-item", timeout=30_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator(DOC).first.screenshot(path=str(ARTIFACTS / "boolean_adder.png"))
    finally:
        page.close()
