"""A real JupyterLab and a real (Debian) Chromium for the editor's end-to-end tests.

One `jupyter lab` per test session on 127.0.0.1 with a token in a temp dir, one
persistent Chromium context, and one notebook page (the demo notebook plus nothing else)
that the scenarios share. Each scenario resets the graph from the kernel first.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
BUNDLE = ROOT / "kernel_lib" / "diffwire" / "widget" / "static" / "editor.js"
NOTEBOOK = "tour.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_bundle() -> None:
    """Build the editor bundle if it is missing (a fresh clone under plain pytest)."""
    if BUNDLE.exists():
        return
    subprocess.run(["make", "-C", str(ROOT / "extension"), "build"], check=True, timeout=600)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A running JupyterLab: yields (base_url, token, root_dir)."""
    pytest.importorskip("playwright")
    if shutil.which("jupyter", path=str(pathlib.Path(sys.executable).parent)) is None:
        pytest.skip("jupyter lab is not installed in this environment")
    build_bundle()
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    root.mkdir()
    nb = nbformat.read(ROOT / "demos" / "00_editor_tour.ipynb", as_version=4)
    # the demo's cells up to the one that shows the editor
    cells = []
    for c in nb.cells:
        if c.cell_type == "code":
            cells.append(c)
            if "dw.Editor(" in c.source:
                break
    nb.cells = cells
    nbformat.write(nb, root / NOTEBOOK)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    bindir = str(pathlib.Path(sys.executable).parent)
    env.update(
        PATH=bindir + os.pathsep + env.get("PATH", ""),
        PYTHONPATH=str(ROOT / "kernel_lib"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
    )
    # no "get Jupyter news?" toast over the screenshots
    notes = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    notes.mkdir(parents=True)
    (notes / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    log = open(tmp / "lab.log", "w")
    proc = subprocess.Popen(
        [str(pathlib.Path(bindir) / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.expose_app_in_browser=True", "--allow-root"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("jupyter lab did not start:\n" + (tmp / "lab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Debian's chromium is not installed (make browser)")
    profile = tmp_path_factory.mktemp("chromium")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=exe, headless=True,
            viewport={"width": 1400, "height": 900},
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"],
        )
        ctx.set_default_timeout(30_000)
        try:
            yield ctx
        finally:
            ctx.close()


class Notebook:
    """The shared notebook page, with helpers that act on the kernel directly."""

    def __init__(self, page, root: pathlib.Path):
        self.page = page
        self.root = root
        self.editor = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .dw-root").first
        self._n = 0

    def kernel(self, code: str, timeout: float = 30.0):
        """Run `code` in the notebook's kernel; the value of `result` comes back as JSON."""
        self._n += 1
        out = self.root / f".probe_{self._n}.json"
        full = (f"{code}\nimport json as _json\n"
                f"open({str(out)!r}, 'w').write(_json.dumps(result if 'result' in dir() else None))")
        self.page.evaluate(
            """(code) => {
                const nb = window.jupyterapp.shell.currentWidget;
                nb.sessionContext.session.kernel.requestExecute({code, silent: false, store_history: false});
            }""",
            full,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if out.exists():
                try:
                    return json.loads(out.read_text())
                except json.JSONDecodeError:
                    pass
            time.sleep(0.1)
        raise TimeoutError(f"the kernel did not answer: {code}")

    def graph(self) -> dict:
        return self.kernel("result = ed.graph.to_dict()")

    def wait_graph(self, check, timeout: float = 15.0) -> dict:
        """Poll the kernel's `ed.graph` until `check(doc)` holds."""
        deadline = time.monotonic() + timeout
        doc = self.graph()
        while not check(doc):
            if time.monotonic() > deadline:
                raise AssertionError(f"kernel graph never satisfied the check: {json.dumps(doc)[:2000]}")
            time.sleep(0.3)
            doc = self.graph()
        return doc

    def node(self, node_id: str):
        return self.editor.locator(f'.react-flow__node[data-id="{node_id}"]')

    def screenshot(self, name: str) -> pathlib.Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.editor.screenshot(path=str(path))
        return path


@pytest.fixture(scope="session")
def notebook(lab, browser_context):
    """The demo notebook open in JupyterLab with its editor cell run."""
    base, token, root = lab
    page = browser_context.new_page()
    page.goto(f"{base}/lab/tree/{NOTEBOOK}?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                           "window.jupyterapp.shell.currentWidget.sessionContext", timeout=90_000)
    page.wait_for_function("() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
                           " return s.session && s.session.kernel && s.session.kernel.connectionStatus === 'connected'"
                           " && s.session.kernel.status === 'idle'; }", timeout=90_000)
    nb = Notebook(page, root)
    # run every cell (the last one shows the editor); retry once if the first run is ignored
    for _attempt in range(3):
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            nb.editor.locator(".react-flow__node").first.wait_for(timeout=60_000)
            break
        except Exception:  # noqa: BLE001 - retried; the last attempt re-raises below
            continue
    nb.editor.locator(".react-flow__node").first.wait_for(timeout=30_000)
    nb.kernel("import diffwire as dw\n_start = ed.graph.to_dict()\nresult = 1")
    yield nb
    page.close()


@pytest.fixture
def nb(notebook):
    """The shared notebook, with the editor reset to the demo graph."""
    notebook.kernel("ed.graph = dw.Graph.from_dict(_start)\nresult = 1")
    notebook.page.wait_for_timeout(300)
    notebook.editor.locator('.react-flow__node[data-id="mlp"]').wait_for()
    notebook.page.keyboard.press("Escape")
    return notebook
