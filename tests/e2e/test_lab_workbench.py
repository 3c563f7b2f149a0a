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
    page.wait_for_function(f"() => ({status})().step > 200", timeout=60_000)
    before = page.evaluate(f"() => ({status})().step")

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
    # its plot has the run from its start, not only what streamed since the reload (the
    # plot's history request went out before the tab's comm was up, and was dropped)
    _wait(lambda: any(ln["metric"] == "loss" and ln["points"] > 0 and ln["first"] is not None
                      and ln["first"] < before / 2 for ln in _lines(doc)), 30, "the run's loss from its start")
    doc.locator('.dw-wb-tabs button:has-text("Runs")').click()
    row = doc.locator('[data-testid="runs-table"] tbody tr').first
    _wait(lambda: "running" in row.inner_text(), 30, "the live run in the table")
    shot(page, "07_reattached")
    page.evaluate("async () => { await window.jupyterapp.commands.execute('diffwire:stop'); }")
    page.wait_for_function(f"() => ['stopped', 'finished'].includes(({status})().state)", timeout=60_000)
    _wait(lambda: any(r.get("state") == "stopped" for r in _runs(root, stem)), 30, "the stopped record")


# -- the whole story: overlay, smoothing, reload, fork, theme, shut-down ------------------

CURRENT = "window.jupyterapp.shell.currentWidget"
LUMINANCE = """(el) => {
  const c = el.querySelector('canvas');
  const d = c.getContext('2d').getImageData(0, 0, 60, c.height).data;  // the y axis labels
  let sum = 0, n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200) { sum += (d[i] + d[i + 1] + d[i + 2]) / 3; n++; }
  return n ? sum / n : -1;
}"""


def _lines(doc):
    """What the loss plot draws now: one entry per line (label, colour, run, points,
    first step, last value as drawn and raw), from the plot element."""
    text = doc.locator(".dw-loss-plot").get_attribute("data-lines")
    return json.loads(text) if text else []


def _rgb(hex_colour: str) -> str:
    n = int(hex_colour[1:], 16)
    return f"rgb({(n >> 16) & 255}, {(n >> 8) & 255}, {n & 255})"


def _api(lab, path: str):
    import urllib.request

    base, token, _ = lab
    with urllib.request.urlopen(f"{base}{path}?token={token}", timeout=10) as r:
        return json.loads(r.read() or b"null")


def _metrics(run_dir):
    import csv

    with open(run_dir / "metrics.csv", newline="") as f:
        return [row for row in csv.DictReader(f) if row.get("loss")]


def test_the_whole_story_overlay_smooth_reload_fork_theme_and_shut_down(page, lab):
    """Generator, then a CSV with a column mapping; train; change the lr on the Optimizer
    node; train again (and `set` the lr live: the node shows it); overlay both runs in their
    colours; smooth; reload and find both; fork one and watch it beside its parent; read the
    plots in the dark theme; Close and Shut Down ends the kernel."""
    page, root = page
    (root / "story").mkdir(exist_ok=True)
    import math

    rows = "\n".join(f"{-3 + 6 * i / 119:.5f},{math.sin(-3 + 6 * i / 119):.5f}" for i in range(120))
    (root / "story" / "sine.csv").write_text("x_in,y_out\n" + rows + "\n")
    page.evaluate("async () => { await window.jupyterapp.commands.execute('diffwire:new', {cwd: 'story'}); }")
    doc = page.locator(DOC).first
    doc.locator('.react-flow__node[data-id="mlp"]').wait_for(timeout=60_000)
    _connected(page)
    path = page.evaluate(f"() => {CURRENT}.context.path")
    stem = path.rsplit(".", 1)[0]
    graph = f"() => {CURRENT}.transport.readGraph()"
    panel = doc.locator('[data-testid="training-panel"]')
    panel.wait_for(timeout=60_000)

    # a generator's parameters, then a CSV beside the document with a column mapping
    for name in ("x", "y"):
        field = panel.locator(f'[data-field="kw:{name}:n"] input')
        field.fill("64")
        field.press("Enter")
    page.wait_for_function(f"() => ({graph})().training.data.y.kwargs.n === 64")
    panel.locator('[data-field="source:x"]').select_option("file")
    panel.locator('[data-field="file:x"]').select_option("sine.csv")
    panel.locator('[data-binding="x"] input[data-column="x_in"]').check()
    panel.locator('[data-field="source:y"]').select_option("file")
    panel.locator('[data-field="file:y"]').select_option("sine.csv")
    panel.locator('[data-binding="y"] input[data-column="y_out"]').check()
    # steps, and checkpoint retention (keep the last 3 and the best): fields of the section
    for key, value in (("steps", "150"), ("keep_checkpoints", "3")):
        field = panel.locator(f'[data-field="{key}"] input')
        field.fill(value)
        field.press("Enter")
    keep_best = panel.locator('[data-field="keep_best"] input[type="checkbox"]')
    assert keep_best.is_checked()  # the run's default, shown
    bad = panel.locator('[data-field="keep_checkpoints"] input')
    bad.fill("-2")
    panel.locator('[data-field="keep_checkpoints"] .dw-field-error').wait_for()
    bad.fill("3")
    bad.press("Enter")
    page.wait_for_function(f"() => ({graph})().training.keep_checkpoints === 3 && ({graph})().training.steps === 150")
    # compiled ODE solves: a menu, off by default; "auto" goes into the section as a string
    compile_menu = panel.locator('[data-field="compile"] select')
    assert compile_menu.input_value() == "false"
    compile_menu.select_option("auto")
    page.wait_for_function(f"() => ({graph})().training.compile === 'auto'")
    compile_menu.scroll_into_view_if_needed()
    shot(page, "10b_story_compile_menu")
    section = page.evaluate(f"() => ({graph})().training")
    assert section["data"]["x"] == {"source": "file", "path": "sine.csv", "columns": ["x_in"]}
    assert "keep_best" not in section  # left as shown: nothing written
    shot(page, "10_story_csv_retention")

    # run 1
    panel.locator(".dw-wb-train").click()
    _wait(lambda: any(r.get("state") == "finished" for r in _runs(root, stem)), 180, "run 1 to finish")
    run1 = _runs(root, stem)[0]

    # change the lr on the Optimizer node (a document edit the runs' diff will show)
    doc.locator('.react-flow__node[data-id="optim"]').click()
    lr = doc.locator('.dw-inspector [data-param="lr"] input')
    lr.fill("0.003")
    lr.press("Enter")
    page.wait_for_function(f"() => ({graph})().nodes.find((n) => n.id === 'optim').params.lr === 0.003")
    doc.locator(".react-flow__pane").click(position={"x": 30, "y": 30})
    panel.wait_for()

    # run 2, long; while it runs, `set` the lr from the live panel: the node shows it
    steps = panel.locator('[data-field="steps"] input')
    steps.fill("100000")
    steps.press("Enter")
    page.wait_for_function(f"() => ({graph})().training.steps === 100000")
    panel.locator(".dw-wb-train").click()
    status = f"() => {CURRENT}.transport.readStatus()"
    page.wait_for_function(f"() => ({status})().state === 'running' && ({status})().step > 20", timeout=120_000)
    live_lr = doc.locator(".dw-live .dw-lr input")
    live_lr.fill("0.001")
    live_lr.press("Enter")
    shown = doc.locator('.react-flow__node[data-id="optim"] [data-live]')
    _wait(lambda: shown.count() and "0.001" in shown.inner_text(), 60, "the live lr on the Optimizer node")
    # an edit during the run, then Rebuild: the panel says which nodes kept their weights
    doc.locator('.react-flow__node[data-id="mlp"]').click()
    doc.locator('.dw-inspector [data-param="activation"] select').select_option("relu")
    page.wait_for_function(f"() => ({graph})().nodes.find((n) => n.id === 'mlp').params.activation === 'relu'")
    doc.locator(".react-flow__pane").click(position={"x": 30, "y": 30})
    rebuild = doc.locator(".dw-live .dw-rebuild")
    _wait(lambda: rebuild.is_enabled(), 30, "Rebuild to be offered")
    rebuild.click()
    report = doc.locator(".dw-live .dw-rebuilt")
    report.wait_for(timeout=60_000)
    assert "rebuilt at step" in report.inner_text() and "mlp" in report.inner_text().split(";")[0], report.inner_text()
    # the loss plot marks where the lr changed and where the run was rebuilt
    marks = doc.locator(".dw-live .dw-loss-plot").first
    _wait(lambda: "lr@" in (marks.get_attribute("data-markers") or "")
          and "rebuild@" in (marks.get_attribute("data-markers") or ""), 60, "lr and rebuild markers on the loss plot")
    marks.scroll_into_view_if_needed()
    from conftest import ARTIFACTS

    marks.screenshot(path=str(ARTIFACTS / "workbench_10b_markers.png"))
    # the runs table follows the running run: its step grows, its state is running
    doc.locator('.dw-wb-tabs button:has-text("Runs")').click()
    table = doc.locator('[data-testid="runs-table"]')
    run2_id = page.evaluate(f"() => ({status})().run")
    row2 = table.locator(f'tr[data-run="{run2_id}"]')
    row2.wait_for(timeout=30_000)
    first = int(row2.locator("td").nth(2).inner_text())
    _wait(lambda: int(row2.locator("td").nth(2).inner_text()) > first and "running" in row2.inner_text(),
          60, "the live row's step to grow")
    shot(page, "11_story_live_lr_and_row")
    page.wait_for_function(f"() => ({status})().step > 300", timeout=120_000)
    doc.locator(".dw-live .dw-stop").click()
    _wait(lambda: any(r["id"] == run2_id and r.get("state") == "stopped" for r in _runs(root, stem)), 60, "run 2 stopped")

    # overlay both runs: one colour per run in the table and in the plot
    ids = [run1["id"], run2_id]
    for rid in ids:
        table.locator(f'tr[data-run="{rid}"] input[type="checkbox"]').check()

    def both():
        ls = {line["run"]: line for line in _lines(doc) if line["metric"] == "loss"
              and line["run"] in ids and line["points"] > 0}
        return ls if len(ls) == 2 else None
    drawn = _wait(both, 60, "both runs drawn")
    for rid in ids:
        swatch = table.locator(f'tr[data-run="{rid}"] .dw-run-swatch').evaluate("(e) => getComputedStyle(e).backgroundColor")
        assert swatch == _rgb(drawn[rid]["color"]), (rid, swatch, drawn[rid])
    assert drawn[ids[0]]["color"] != drawn[ids[1]]["color"]
    legend = doc.locator(".dw-loss-plot .u-legend").inner_text()
    assert "run 1 loss" in legend and "run 2 loss" in legend, legend
    # kernel side: run 1's line is its kept curve, every step of it (150 < the 1024 limit)
    kept = _metrics(root / f"{stem}.runs" / ids[0])
    assert drawn[ids[0]]["points"] == len(kept) == 150
    assert math.isclose(drawn[ids[0]]["raw"], float(kept[-1]["loss"]), rel_tol=1e-5)
    assert "optim.lr: 0.01 -> 0.003" in doc.locator('[data-testid="run-diff"]').inner_text()
    shot(page, "12_story_overlay")

    # smoothing: every line drawn as a debiased EMA, the raw curve still there
    doc.locator(".dw-smooth input[type=range]").fill("0.9")

    def smoothed():
        ls = {line["run"]: line for line in _lines(doc) if line["metric"] == "loss" and line["run"] in ids}
        return ls if len(ls) == 2 and all(abs(v["last"] - v["raw"]) > 1e-9 for v in ls.values()) else None
    sm = _wait(smoothed, 30, "the smoothed curves")
    assert sm[ids[0]]["raw"] == drawn[ids[0]]["raw"]  # the raw values are unchanged
    shot(page, "13_story_smoothed")

    # x by wall time: both runs still drawn, now over seconds since each started (run 2
    # went past step 300 in far fewer seconds), markers placed on the same axis
    plot = doc.locator(".dw-loss-plot").first
    steps_max = float(plot.get_attribute("data-x-max"))
    doc.locator(".dw-xby select").select_option("time")
    _wait(lambda: plot.get_attribute("data-x-by") == "time" and len(smoothed() or {}) == 2, 30, "the plot by time")
    seconds = float(plot.get_attribute("data-x-max"))
    assert steps_max > 300 and 0 < seconds < min(steps_max, 600), (steps_max, seconds)
    shot(page, "13b_story_by_time")
    doc.locator(".dw-xby select").select_option("step")
    _wait(lambda: plot.get_attribute("data-x-by") == "step", 30, "the plot by step again")

    # save, reload the page: both runs are there, and overlay from what was kept
    page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:save'); }")
    _wait(lambda: json.loads((root / path).read_text())["training"]["keep_checkpoints"] == 3, 30, "the saved document")
    base, token, _ = lab
    page.goto(f"{base}/lab?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined", timeout=90_000)
    page.locator(".jp-Launcher").first.wait_for(timeout=90_000)
    page.evaluate("async (p) => { await window.jupyterapp.commands.execute('docmanager:open', {path: p}); }", path)
    doc = page.locator(DOC).first
    doc.locator('.react-flow__node[data-id="mlp"]').wait_for(timeout=60_000)
    _connected(page)
    doc.locator('.dw-wb-tabs button:has-text("Runs")').click()
    table = doc.locator('[data-testid="runs-table"]')
    _wait(lambda: table.locator("tbody tr").count() == 2, 60, "both runs after the reload")
    for rid in ids:
        table.locator(f'tr[data-run="{rid}"] input[type="checkbox"]').check()
    _wait(lambda: {line["run"] for line in _lines(doc) if line["points"] > 0} >= set(ids), 60, "both runs drawn after the reload")
    shot(page, "14_story_reloaded")

    # fork run 1 from its last checkpoint, 2000 steps in all: it overlays beside its parent
    # while it runs (the table selects the pair)
    table.locator(f'tr[data-run="{ids[1]}"] input[type="checkbox"]').uncheck()
    doc.locator('.dw-wb-tabs button:has-text("Training")').click()
    steps = doc.locator('[data-testid="training-panel"] [data-field="steps"] input')
    steps.fill("2000")
    steps.press("Enter")
    page.wait_for_function(f"() => ({graph})().training.steps === 2000")
    doc.locator('.dw-wb-tabs button:has-text("Runs")').click()
    table.locator(".dw-run-fork").click()
    fork_id = page.wait_for_function(f"() => ({status})().run && ({status})().run !== '{ids[0]}' && ({status})().run",
                                     timeout=60_000).json_value()

    # the fork's kept record carries its parent's steps before its own, so until its stream
    # arrives its line starts at 0; drawn from the live stream it starts at the fork's step
    def pair():
        ls = {line["run"]: line for line in _lines(doc) if line["metric"] == "loss" and line["points"] > 0}
        return ls if ids[0] in ls and fork_id in ls and ls[fork_id]["first"] >= 150 else None
    drawn = _wait(pair, 120, "the fork's live curve beside its parent")
    assert drawn[ids[0]]["first"] == 0 and drawn[ids[0]]["color"] != drawn[fork_id]["color"]
    # the fork trains with the lr on the Optimizer node as edited (0.003), not its parent's
    live_on_node = doc.locator('.react-flow__node[data-id="optim"] [data-live]')
    _wait(lambda: live_on_node.count() and "0.003" in live_on_node.inner_text(), 60, "the fork's lr on the node")
    shot(page, "15_story_fork_live")
    enlarge = doc.locator(".dw-enlarge")
    enlarge.click()
    shot(page, "15b_story_fork_live_plots")
    _wait(lambda: any(r["id"] == fork_id and r.get("state") == "finished" for r in _runs(root, stem)), 300, "the fork to finish")
    fork = next(r for r in _runs(root, stem) if r["id"] == fork_id)
    assert (fork["parent"]["run"], fork["parent"]["step"]) == (ids[0], 150)

    # the dark theme: the plot's ink turns light, and back
    plot = doc.locator(".dw-loss-plot")
    light = plot.evaluate(LUMINANCE)
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    try:
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
        _wait(lambda: plot.evaluate(LUMINANCE) > 150, 20, "light ink on the dark theme")
        page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=30_000)
        shot(page, "16_story_dark")
    finally:
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000)
    _wait(lambda: plot.evaluate(LUMINANCE) < 110, 20, "dark ink again")
    assert light < 110
    enlarge.click()  # back to the side panel

    # Close and Shut Down: the tab goes and the server holds no kernel for the document
    kernel = next(s["kernel"]["id"] for s in _api(lab, "/api/sessions") if s.get("path") == path)
    page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:save'); }")
    page.evaluate("() => { window.jupyterapp.commands.execute('filemenu:close-and-cleanup'); }")
    try:
        _wait(lambda: not any(s.get("path") == path for s in _api(lab, "/api/sessions")), 60, "the session to end")
    except AssertionError:
        from conftest import ARTIFACTS

        page.screenshot(path=str(ARTIFACTS / "workbench_17_story_close_failed.png"))
        raise
    _wait(lambda: not any(k["id"] == kernel for k in _api(lab, "/api/kernels")), 60, "the kernel to shut down")
