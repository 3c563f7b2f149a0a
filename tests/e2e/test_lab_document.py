""".diffwire documents in a real JupyterLab and Chromium: the launcher card, editing and
saving through the file model, reopening, export to Python, a change on disk while open.
Uses the editor suite's session server (conftest.py); screenshots go to artifacts/e2e/."""

from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.e2e

DOC = ".dw-lab-document:not(.lm-mod-hidden)"


def _edges(doc):
    return {(e["source"], e["source_port"], e["target"], e["target_port"]) for e in doc["edges"]}


def _drag(page, src, dst, steps: int = 12):
    a, b = src.bounding_box(), dst.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=steps)
    page.wait_for_timeout(100)
    page.mouse.move(b["x"] + b["width"] / 2 + 1, b["y"] + b["height"] / 2, steps=2)
    page.mouse.up()


def _wait_file(path, check, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = json.loads(path.read_text())
            if check(last):
                return last
        except (OSError, json.JSONDecodeError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{path.name} never satisfied the check: {json.dumps(last)[:1500]}")


class LabPage:
    """A JupyterLab page with helpers for the current .diffwire tab."""

    def __init__(self, page, root, artifacts):
        self.page = page
        self.root = root
        self.artifacts = artifacts
        self.doc = page.locator(DOC).first
        self.editor = self.doc.locator(".dw-root")

    def node(self, node_id: str):
        return self.editor.locator(f'.react-flow__node[data-id="{node_id}"]')

    def handle(self, node_id, port, side):
        kind = "target" if side == "in" else "source"
        return self.node(node_id).locator(f'.react-flow__handle.{kind}[data-handleid="{port}"]')

    def wait_connected(self, timeout: float = 90_000):
        """The tab's kernel is up and the catalog arrived over the comm (palette filled)."""
        self.page.bring_to_front()  # the editor suite's notebook page shares the browser
        try:
            self.page.wait_for_function(
                """() => { const w = window.jupyterapp.shell.currentWidget;
                    return w && w.transport && w.transport.connection === 'connected'; }""",
                timeout=timeout)
            self.editor.locator('.dw-palette-item[data-block-type="Linear"]').wait_for(timeout=timeout)
        except Exception as e:
            self.screenshot("lab_failed_connect", full=True)
            state = self.page.evaluate("""() => { const w = window.jupyterapp.shell.currentWidget;
                const k = w?.context?.sessionContext?.session?.kernel;
                return [w?.title?.label, w?.transport?.connection, w?.transport?.readStatus().message,
                        k?.status, k?.connectionStatus]; }""")
            raise AssertionError(f"the tab did not connect to its kernel: {state}") from e

    def command(self, cmd: str, args: dict | None = None):
        return self.page.evaluate("async ([c, a]) => { await window.jupyterapp.commands.execute(c, a); return null; }", [cmd, args or {}])

    def dirty(self) -> bool:
        return self.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.context.model.dirty")

    def screenshot(self, name: str, full: bool = False):
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        (self.page if full else self.doc).screenshot(path=str(path))
        return path


@pytest.fixture(scope="module")
def lab_page(lab, browser_context):
    from conftest import ARTIFACTS

    base, token, root = lab
    page = browser_context.new_page()
    page.bring_to_front()
    page.goto(f"{base}/lab?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined",
                           timeout=90_000)
    page.locator(".jp-Launcher").first.wait_for(timeout=90_000)
    yield LabPage(page, root, ARTIFACTS)
    page.close()


def test_plugin_commands_settings_and_toolbar(lab_page):
    p = lab_page
    ids = ["diffwire:new", "diffwire:train", "diffwire:pause", "diffwire:stop", "diffwire:validate",
           "diffwire:auto-layout", "diffwire:export-python", "diffwire:open-in-notebook",
           "diffwire:train-in-terminal"]
    has = p.page.evaluate("(ids) => ids.map((i) => window.jupyterapp.commands.hasCommand(i))", ids)
    assert all(has), dict(zip(ids, has))
    schema = p.page.evaluate(
        "async () => (await window.jupyterapp.serviceManager.settings.fetch('diffwire-editor:plugin')).schema")
    assert {"plotRefreshHz", "autosaveCheckpoints", "defaultDevice", "theme"} <= set(schema["properties"])
    ft = p.page.evaluate("() => window.jupyterapp.docRegistry.getFileType('diffwire').extensions")
    assert ft == [".diffwire"]


def test_new_program_edit_save_close_reopen(lab_page):
    p = lab_page
    # the launcher card creates untitled.diffwire with the starter graph and opens it
    p.page.locator('.jp-LauncherCard[title^="Create a .diffwire"]').first.click()
    for nid in ("x", "mlp", "y"):
        p.node(nid).wait_for(timeout=60_000)
    p.wait_connected()
    path = p.root / "untitled.diffwire"
    start = _wait_file(path, lambda d: {n["id"] for n in d["nodes"]} >= {"x", "mlp", "y"})
    assert start["training"]["loss"]["fn"] == "mse"  # the starter trains as it is
    assert _edges(start) == {("x", "out", "mlp", "x"), ("mlp", "out", "y", "x")}
    # shapes inferred by the kernel reach the canvas through the comm
    p.node("mlp").locator(".dw-port-shape").first.wait_for(timeout=30_000)
    assert not p.dirty()
    toolbar = p.doc.locator(".jp-Toolbar").first
    for cls in ("validate", "auto-layout", "export-python", "open-in-notebook"):
        toolbar.locator(f".dw-lab-{cls}").wait_for()
    # one place for the training controls: the live panel, not the toolbar too
    for cls in ("train", "pause", "stop"):
        assert toolbar.locator(f".dw-lab-{cls}").count() == 0
    toolbar.locator(".jp-KernelName").wait_for()

    # add an Activation block from the palette and wire mlp.out -> activation.x
    item = p.editor.locator('.dw-palette-item[data-block-type="Activation"]')
    pane = p.editor.locator(".react-flow__pane")
    box = pane.bounding_box()
    item.drag_to(pane, target_position={"x": box["width"] * 0.78, "y": box["height"] * 0.55})
    p.node("activation").wait_for()
    _drag(p.page, p.handle("mlp", "out", "out"), p.handle("activation", "x", "in"))
    p.screenshot("lab_01_wired", full=True)
    p.page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.transport.readGraph().edges"
        ".some((e) => e.source === 'mlp' && e.target === 'activation')", timeout=15_000)
    p.page.locator(".lm-TabBar-tab.jp-mod-dirty", has_text="untitled.diffwire").wait_for(timeout=10_000)
    assert p.dirty()
    p.screenshot("lab_01_edited")

    # Ctrl+S saves through JupyterLab
    p.node("activation").click()
    p.page.keyboard.press("Control+s")
    saved = _wait_file(path, lambda d: any(n["id"] == "activation" for n in d["nodes"]))
    assert ("mlp", "out", "activation", "x") in _edges(saved)
    p.page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
    text = path.read_text()

    # close and reopen: the same graph, nothing changed on disk, not dirty
    p.page.evaluate("() => window.jupyterapp.shell.currentWidget.close()")
    p.page.wait_for_function("() => !document.querySelector('.dw-lab-document')", timeout=15_000)
    p.command("docmanager:open", {"path": "untitled.diffwire"})
    for n in saved["nodes"]:
        p.node(n["id"]).wait_for(timeout=60_000)
    p.wait_connected()
    shown = p.page.evaluate("() => window.jupyterapp.shell.currentWidget.transport.readGraph()")
    assert {n["id"] for n in shown["nodes"]} == {n["id"] for n in saved["nodes"]}
    assert _edges(shown) == _edges(saved)
    # React Flow draws edges once their nodes are measured: wait for them, bounded
    edges = p.editor.locator(".react-flow__edge")
    deadline = time.monotonic() + 30
    while edges.count() != len(saved["edges"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert edges.count() == len(saved["edges"])
    assert json.loads(path.read_text()) == saved and path.read_text() == text
    assert not p.dirty()
    p.screenshot("lab_02_reopened", full=True)


def test_export_to_python_opens_a_py_tab(lab_page):
    import diffwire as dw

    p = lab_page
    p.page.wait_for_function("() => window.jupyterapp.shell.currentWidget?.transport")
    p.wait_connected()
    p.doc.locator(".dw-lab-export-python").first.click()
    assert callable(getattr(dw, "export", None))
    py = p.root / "untitled.py"
    deadline = time.monotonic() + 60
    while not py.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert py.exists(), "untitled.py was not written"
    assert "torch" in py.read_text()
    p.page.locator(".lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel", has_text="untitled.py").wait_for(timeout=30_000)
    p.screenshot("lab_03_export", full=True)
    # back to the program for the next scenario
    p.command("docmanager:open", {"path": "untitled.diffwire"})


def test_save_conflict_never_overwrites_silently(lab_page):
    """Keep this tab's version after a change on disk, then save: JupyterLab asks first."""
    p = lab_page
    p.command("docmanager:open", {"path": "untitled.diffwire"})
    p.wait_connected()
    path = p.root / "untitled.diffwire"
    doc = json.loads(path.read_text())
    doc["meta"] = {"note": "written by someone else"}
    time.sleep(1.1)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    dialog = p.page.locator(".jp-Dialog", has_text="changed on disk")
    dialog.wait_for(timeout=30_000)
    dialog.locator("button", has_text="Keep this version").click()
    # an edit in the tab, then Ctrl+S: JupyterLab's "File Changed" check stops the save
    p.page.evaluate("""() => { const t = window.jupyterapp.shell.currentWidget.transport; const d = t.readGraph();
        t.writeGraph({...d, nodes: d.nodes.map((n) => n.id === 'mlp' ? {...n, position: [260, 120]} : n)}); }""")
    p.node("mlp").click()
    p.page.keyboard.press("Control+s")
    conflict = p.page.locator(".jp-Dialog", has_text="File Changed")
    conflict.wait_for(timeout=30_000)
    p.screenshot("lab_04_save_conflict", full=True)
    conflict.locator("button", has_text="Cancel").click()
    assert json.loads(path.read_text())["meta"] == {"note": "written by someone else"}
    assert p.dirty()


def test_change_on_disk_offers_reload(lab_page):
    p = lab_page
    p.command("docmanager:open", {"path": "untitled.diffwire"})
    p.wait_connected()
    path = p.root / "untitled.diffwire"
    doc = json.loads(path.read_text())
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] != "activation"]
    doc["edges"] = [e for e in doc["edges"] if "activation" not in (e["source"], e["target"])]
    time.sleep(1.1)  # a later mtime than the one the tab loaded
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    dialog = p.page.locator(".jp-Dialog", has_text="changed on disk")
    dialog.wait_for(timeout=30_000)
    p.screenshot("lab_05_reload_prompt", full=True)
    dialog.locator("button", has_text="Reload").click()
    p.page.wait_for_function(
        "() => !document.querySelector('.dw-lab-document:not(.lm-mod-hidden) .react-flow__node[data-id=\"activation\"]')",
        timeout=15_000)
    assert not p.dirty()
    shown = p.page.evaluate("() => window.jupyterapp.shell.currentWidget.transport.readGraph()")
    assert {n["id"] for n in shown["nodes"]} == {"x", "mlp", "y", "optim"}


def test_train_and_stop_from_the_commands(lab_page):
    p = lab_page
    p.wait_connected()
    status = "() => window.jupyterapp.shell.currentWidget.transport.readStatus()"
    assert p.page.evaluate(status)["available"]
    assert p.doc.get_by_role("button", name="Train", exact=True).count() == 1  # the live panel's
    p.page.evaluate("() => window.jupyterapp.commands.execute('diffwire:train')")
    p.page.wait_for_function(f"() => ({status})().step > 0", timeout=60_000)
    p.page.evaluate("() => window.jupyterapp.commands.execute('diffwire:stop')")
    p.page.wait_for_function(
        f"() => ['stopped', 'finished', 'done'].includes(({status})().state)", timeout=60_000)
    p.editor.locator(".dw-loss-plot").wait_for()
    p.screenshot("lab_06_trained")
    import diffwire as dw

    kept = dw.runs(p.root / "untitled.diffwire")  # the run is kept in untitled.runs/ beside it
    assert kept and kept[-1]["state"] in ("stopped", "finished") and kept[-1]["step"] > 0


def test_kernel_restart_reconnects(lab_page):
    p = lab_page
    p.wait_connected()
    p.page.evaluate("() => window.jupyterapp.shell.currentWidget.context.sessionContext.session.kernel.restart()")
    p.page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.transport.connection !== 'connected'", timeout=30_000)
    p.wait_connected()
    # the reconnected kernel side answers commands (a validation comes back)
    p.page.evaluate("""() => new Promise((resolve, reject) => {
        const t = window.jupyterapp.shell.currentWidget.transport;
        const off = t.onEvent((ev) => { if (ev.event === 'analysis') { off(); resolve(true); } });
        t.send({cmd: 'validate'});
        setTimeout(() => reject(new Error('no analysis after restart')), 30000);
    })""")


def test_group_comes_from_the_kernel_and_undoes_in_one_step(lab_page):
    """Ctrl+G in the document tab: the kernel groups (the group/ungroup commands over the
    comm), the tab commits its answer as one undo step, and Ctrl+Z takes it back."""
    p = lab_page
    p.wait_connected()
    graph = "() => window.jupyterapp.shell.currentWidget.transport.readGraph()"
    before = p.page.evaluate(graph)
    p.node("mlp").click()
    p.page.keyboard.press("Control+g")
    p.page.wait_for_function(f"() => ({graph})().nodes.some((n) => n.type === 'Group' && n.id === 'group')",
                             timeout=30_000)
    doc = p.page.evaluate(graph)
    assert not any(n["id"] == "mlp" for n in doc["nodes"])
    p.node("group").wait_for()
    assert p.doc.locator("button.dw-ungroup").is_enabled()  # the new group is selected
    p.screenshot("lab_05_grouped")
    p.page.keyboard.press("Control+z")
    p.page.wait_for_function(f"() => ({graph})().nodes.some((n) => n.id === 'mlp')", timeout=15_000)
    assert _edges(p.page.evaluate(graph)) == _edges(before)
    assert {n["id"] for n in p.page.evaluate(graph)["nodes"]} == {n["id"] for n in before["nodes"]}


def test_open_in_a_notebook(lab_page):
    p = lab_page
    p.command("docmanager:open", {"path": "untitled.diffwire"})
    p.wait_connected()
    p.doc.locator(".dw-lab-open-in-notebook").first.click()
    nb = p.root / "untitled.ipynb"
    p.page.locator(".lm-TabBar-tab.lm-mod-current", has_text="untitled.ipynb").wait_for(timeout=30_000)
    cells = json.loads(nb.read_text())["cells"]
    assert 'dw.Editor("untitled.diffwire")' in "".join(cells[1]["source"])
    p.page.evaluate("""async () => { const w = window.jupyterapp.shell.currentWidget;
        await w.sessionContext.shutdown(); w.dispose(); }""")


def test_train_in_terminal_from_the_file_browser(lab_page):
    p = lab_page
    p.command("filebrowser:open")
    item = p.page.locator('.jp-DirListing-item[data-file-type="diffwire"]', has_text="untitled.diffwire")
    item.first.click(button="right")
    entry = p.page.locator(".lm-Menu-item", has_text="Train in Terminal")
    entry.wait_for(timeout=10_000)
    p.page.locator(".lm-Menu-item", has_text="Open in a Notebook").wait_for()
    entry.click()
    p.page.locator(".jp-Terminal").last.wait_for(timeout=30_000)
    p.page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget?.content?.session?.connectionStatus === 'connected'",
        timeout=30_000)
    p.page.wait_for_timeout(1500)
    p.screenshot("lab_07_train_in_terminal", full=True)
    p.page.evaluate("() => window.jupyterapp.shell.currentWidget.content.session.shutdown()")
