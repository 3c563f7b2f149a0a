"""The workbench in a real JupyterLab and Chromium: a person with no Python opens a new
.diffwire document, sets the training up in the Training panel (a generator's parameters,
then a CSV beside the document with a column mapping), trains, trains again, finds both
runs in the table, compares them, forks one, and a document without a training section
opens the panel when Train is pressed. Screenshots go to artifacts/e2e/workbench_*.png."""

from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.e2e

DOC = ".dw-lab-document:not(.lm-mod-hidden)"


def _wait(check, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _runs(root, stem):
    folder = root / f"{stem}.runs"
    if not folder.is_dir():
        return []
    out = []
    for d in sorted(folder.iterdir()):
        try:
            out.append(json.loads((d / "run.json").read_text()))
        except (OSError, ValueError):
            continue
    return out


@pytest.fixture(scope="module")
def page(lab, browser_context):
    base, token, root = lab
    # the CSV the person will map: t, x_in, y_out (y = sin x); and a broken one
    rows = "\n".join(f"{i},{-3 + 6 * i / 99:.5f},{__import__('math').sin(-3 + 6 * i / 99):.5f}" for i in range(100))
    (root / "wb_data.csv").write_text("t,x_in,y_out\n" + rows + "\n")
    (root / "wb_bad.csv").write_text("x_in,y_out\n1,2\n3\n")
    page = browser_context.new_page()
    page.goto(f"{base}/lab?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined", timeout=90_000)
    page.locator(".jp-Launcher").first.wait_for(timeout=90_000)
    yield page, root
    page.close()


def _connected(page):
    page.bring_to_front()
    page.wait_for_function("""() => { const w = window.jupyterapp.shell.currentWidget;
        return w && w.transport && w.transport.connection === 'connected'; }""", timeout=90_000)


def shot(page, name):
    from conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(DOC).first.screenshot(path=str(ARTIFACTS / f"workbench_{name}.png"))


def test_set_up_train_twice_compare_and_fork(page):
    page, root = page
    page.evaluate("async () => { await window.jupyterapp.commands.execute('diffwire:new', {cwd: ''}); }")
    doc = page.locator(DOC).first
    doc.locator('.react-flow__node[data-id="mlp"]').wait_for(timeout=60_000)
    _connected(page)
    stem = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path").rsplit(".", 1)[0]
    panel = doc.locator('[data-testid="training-panel"]')
    panel.wait_for(timeout=60_000)
    # the generator's parameters as a form: n = 64 points for x and y, 150 steps
    for name in ("x", "y"):
        field = panel.locator(f'[data-field="kw:{name}:n"] input')
        field.fill("64")
        field.press("Enter")
    steps = panel.locator('[data-field="steps"] input')
    steps.fill("150")
    steps.press("Enter")
    path = root / f"{stem}.diffwire"
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.transport.readGraph().training.steps === 150")
    page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:save'); }")
    _wait(lambda: json.loads(path.read_text()).get("training", {}).get("steps") == 150, 30,
          "the steps field to reach the saved document")
    saved = json.loads(path.read_text())["training"]
    assert saved["data"]["x"]["kwargs"]["n"] == 64 and saved["data"]["y"]["kwargs"]["n"] == 64
    # a value out of range is refused as it is typed, and the document keeps 150
    steps.fill("-5")
    panel.locator('[data-field="steps"] .dw-field-error').wait_for()
    shot(page, "01_generator_form")
    steps.fill("150")
    steps.press("Enter")

    # first run
    panel.locator(".dw-wb-train").click()
    _wait(lambda: any(r.get("state") == "finished" for r in _runs(root, stem)), 120, "the first run to finish")

    # the CSV beside the document: a broken file shows its error and binds nothing
    panel.locator('[data-field="source:x"]').select_option("file")
    panel.locator('[data-field="file:x"]').select_option("wb_bad.csv")
    err = panel.locator('[data-binding="x"] .dw-file-error')
    err.wait_for()
    assert "wb_bad.csv, line 3" in err.inner_text()
    err.scroll_into_view_if_needed()
    shot(page, "02_bad_csv")
    # then the good one, with a column mapping: x <- x_in, y <- y_out
    panel.locator('[data-field="file:x"]').select_option("wb_data.csv")
    panel.locator('[data-binding="x"] input[data-column="x_in"]').check()
    panel.locator('[data-field="source:y"]').select_option("file")
    panel.locator('[data-field="file:y"]').select_option("wb_data.csv")
    panel.locator('[data-binding="y"] input[data-column="y_out"]').check()
    panel.locator('[data-binding="y"] .dw-preview').wait_for()
    shot(page, "03_csv_mapping")
    section = page.evaluate("() => window.jupyterapp.shell.currentWidget.transport.readGraph().training")
    assert section["data"]["x"] == {"source": "file", "path": "wb_data.csv", "columns": ["x_in"]}
    assert section["data"]["y"] == {"source": "file", "path": "wb_data.csv", "columns": ["y_out"]}

    # second run, on the CSV
    panel.locator(".dw-wb-train").click()
    _wait(lambda: sum(r.get("state") == "finished" for r in _runs(root, stem)) == 2, 120, "the second run")

    # both runs in the table; select both: overlay colours and the diff
    doc.locator('.dw-wb-tabs button:has-text("Runs")').click()
    table = doc.locator('[data-testid="runs-table"]')
    rows = table.locator("tbody tr")
    _wait(lambda: rows.count() == 2, 30, "two rows in the runs table")
    ids = [r["id"] for r in _runs(root, stem)]
    table.locator(f'tr[data-run="{ids[0]}"] input[type="checkbox"]').check()
    table.locator(f'tr[data-run="{ids[1]}"] input[type="checkbox"]').check()
    diff = table.locator('[data-testid="run-diff"]')
    diff.wait_for(timeout=30_000)
    text = diff.inner_text()
    assert "data.x.source" in text and "wb_data.csv" in text
    shot(page, "04_runs_diff")

    # rename the first run, then fork it from its last checkpoint with 300 steps in all
    doc.locator('.dw-wb-tabs button:has-text("Training")').click()
    steps = panel.locator('[data-field="steps"] input')
    steps.fill("300")
    steps.press("Enter")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.transport.readGraph().training.steps === 300")
    doc.locator('.dw-wb-tabs button:has-text("Runs")').click()
    table.locator(f'tr[data-run="{ids[1]}"] input[type="checkbox"]').uncheck()
    name = table.locator('[data-field="run-name"]')
    name.fill("generator run")
    name.press("Enter")
    _wait(lambda: "generator run" in table.locator(f'tr[data-run="{ids[0]}"]').inner_text(), 20, "the new name")
    table.locator(".dw-run-fork").click()
    _wait(lambda: len(_runs(root, stem)) == 3 and _runs(root, stem)[-1].get("state") == "finished", 120, "the fork")
    fork = _runs(root, stem)[-1]
    assert fork["parent"]["run"] == ids[0] and fork["parent"]["step"] == 150
    assert fork["step"] == 300 and fork["loss"] is not None
    _wait(lambda: rows.count() == 3, 30, "three rows")
    assert "↳ run 3" in table.locator(f'tr[data-run="{fork["id"]}"]').inner_text()
    shot(page, "05_forked")


def test_train_without_a_training_section_opens_the_panel(page):
    page, root = page
    doc_text = json.dumps({"format": "diffwire/1", "nodes": [
        {"id": "x", "type": "Input", "params": {"name": "x", "shape": [None, 1]}, "position": [0, 0]},
        {"id": "mlp", "type": "MLP", "params": {"widths": [1, 8, 1]}, "position": [200, 0]},
        {"id": "y", "type": "Output", "params": {"name": "y"}, "position": [400, 0]}],
        "edges": [{"source": "x", "source_port": "out", "target": "mlp", "target_port": "x"},
                  {"source": "mlp", "source_port": "out", "target": "y", "target_port": "x"}]})
    (root / "bare.diffwire").write_text(doc_text)
    page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:open', {path: 'bare.diffwire'}); }")
    doc = page.locator(DOC).first
    doc.locator('.react-flow__node[data-id="mlp"]').wait_for(timeout=60_000)
    _connected(page)
    doc.locator('.react-flow__node[data-id="mlp"]').click()  # a block selected: the inspector shows
    doc.locator('[data-testid="workbench"]').wait_for(state="detached")
    page.evaluate("async () => { await window.jupyterapp.commands.execute('diffwire:train'); }")
    needed = doc.locator(".dw-wb-needed")
    needed.wait_for(timeout=30_000)
    assert "Training panel" in needed.inner_text()
    assert doc.locator('[data-testid="training-panel"] [data-binding="x"]').count() == 1
    shot(page, "06_training_needed")
    assert not (root / "bare.runs").exists()


def test_a_page_reload_finds_the_runs_and_reattaches_the_live_run(page, lab):
    page, root = page
    base, token, _ = lab
    page.evaluate("async () => { await window.jupyterapp.commands.execute('diffwire:new', {cwd: ''}); }")
    doc = page.locator(DOC).first
    doc.locator('.react-flow__node[data-id="mlp"]').wait_for(timeout=60_000)
    _connected(page)
    path = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path")
    stem = path.rsplit(".", 1)[0]
    panel = doc.locator('[data-testid="training-panel"]')
    steps = panel.locator('[data-field="steps"] input')
    steps.fill("1000000")
    steps.press("Enter")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.transport.readGraph().training.steps === 1000000")
    page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:save'); }")
    panel.locator(".dw-wb-train").click()
    status = "() => window.jupyterapp.shell.currentWidget.transport.readStatus()"
    page.wait_for_function(f"() => ({status})().step > 0", timeout=60_000)

    page.goto(f"{base}/lab?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined", timeout=90_000)
    page.locator(".jp-Launcher").first.wait_for(timeout=90_000)
    page.evaluate("async (p) => { await window.jupyterapp.commands.execute('docmanager:open', {path: p}); }", path)
    doc = page.locator(DOC).first
    doc.locator('.react-flow__node[data-id="mlp"]').wait_for(timeout=60_000)
    _connected(page)
    # the run still going streams to the new page, and its controls act on it
    first = page.wait_for_function(f"() => ({status})().state === 'running' && ({status})().step", timeout=60_000).json_value()
    page.wait_for_function(f"(s) => ({status})().step > s", arg=first, timeout=60_000)
    doc.locator('.dw-wb-tabs button:has-text("Runs")').click()
    row = doc.locator('[data-testid="runs-table"] tbody tr').first
    _wait(lambda: "running" in row.inner_text(), 30, "the live run in the table")
    shot(page, "07_reattached")
    page.evaluate("async () => { await window.jupyterapp.commands.execute('diffwire:stop'); }")
    page.wait_for_function(f"() => ['stopped', 'finished'].includes(({status})().state)", timeout=60_000)
    _wait(lambda: any(r.get("state") == "stopped" for r in _runs(root, stem)), 30, "the stopped record")
