"""A real JupyterLab and a real (Debian) Chromium for the editor's end-to-end tests.

One `jupyter lab` per test session on 127.0.0.1 with a token in a temp dir, one
persistent Chromium context, and one notebook page (the demo notebook plus nothing else)
that the scenarios share. Each scenario resets the graph from the kernel first.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import shutil
import subprocess
import sys
import time

import nbformat
import pytest
from labserver import chromium, open_notebook, running_lab

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
BUNDLE = ROOT / "kernel_lib" / "diffwire" / "widget" / "static" / "editor.js"
NOTEBOOK = "tour.ipynb"


LABEXT = ROOT / "kernel_lib" / "diffwire" / "labextension" / "package.json"


def build_bundle() -> None:
    """Build the editor bundle and the lab extension if missing (a fresh clone under plain pytest)."""
    if not BUNDLE.exists():
        subprocess.run(["make", "-C", str(ROOT / "extension"), "build"], check=True, timeout=600)
    if not LABEXT.exists():
        subprocess.run(["make", "-C", str(ROOT / "extension"), "lab", f"PY={sys.executable}"], check=True, timeout=600)


def tour_notebook():
    """The editor tour demo's cells up to the one that shows the editor."""
    nb = nbformat.read(ROOT / "demos" / "00_editor_tour.ipynb", as_version=4)
    cells = []
    for c in nb.cells:
        if c.cell_type == "code":
            cells.append(c)
            if "dw.Editor(" in c.source:
                break
    nb.cells = cells
    return nb


def _server(tmp_path_factory, app: str):
    pytest.importorskip("playwright")
    if shutil.which("jupyter-" + app, path=str(pathlib.Path(sys.executable).parent)) is None:
        pytest.skip(f"jupyter {app} is not installed in this environment (pip install -e '.[test]')")
    build_bundle()
    return running_lab(tmp_path_factory.mktemp(app), {NOTEBOOK: tour_notebook()}, app=app)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A running JupyterLab: yields (base_url, token, root_dir)."""
    with _server(tmp_path_factory, "lab") as server:
        yield server


@pytest.fixture(scope="session")
def notebook7_server(tmp_path_factory):
    """A running Jupyter Notebook 7: yields (base_url, token, root_dir)."""
    with _server(tmp_path_factory, "notebook") as server:
        yield server


@contextlib.contextmanager
def browser(tmp_path_factory, name: str = "chromium"):
    """A Chromium context on a fresh profile (skips when Debian's chromium is missing)."""
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make browser)")
    with chromium(tmp_path_factory.mktemp(name)) as ctx:
        yield ctx


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    with browser(tmp_path_factory) as ctx:
        yield ctx


class Notebook:
    """The shared notebook page, with helpers that act on the kernel directly."""

    def __init__(self, page, root: pathlib.Path, prefix: str = ""):
        self.page = page
        self.root = root
        self.prefix = prefix  # screenshots of another front end keep their own names
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

    def select(self, node_id: str, timeout: float = 15.0) -> None:
        """Click a node until React Flow shows it selected (a click that lands while the
        canvas is still mounting, as on a cold first start, selects nothing), so the keys
        pressed next go to it."""
        node = self.node(node_id)
        deadline = time.monotonic() + timeout
        while True:
            node.click()
            try:
                self.editor.locator(f'.react-flow__node.selected[data-id="{node_id}"]').wait_for(timeout=2_000)
                return
            except Exception:  # noqa: BLE001 - clicked too early: again, until the deadline
                if time.monotonic() > deadline:
                    raise

    def screenshot(self, name: str) -> pathlib.Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.prefix}{name}.png"
        self.editor.screenshot(path=str(path))
        return path


@contextlib.contextmanager
def opened(server, ctx, app: str = "lab", prefix: str = ""):
    """The demo notebook open on `server` in browser context `ctx`, its editor cell run and
    its starting graph kept for `_reset`."""
    base, token, root = server
    page = open_notebook(ctx, base, token, NOTEBOOK, app=app)
    nb = Notebook(page, root, prefix=prefix)
    nb.kernel("import diffwire as dw\n_start = ed.graph.to_dict()\nresult = 1")
    try:
        yield nb
    finally:
        page.close()


@contextlib.contextmanager
def private_notebook(tmp_path_factory, name: str):
    """A module's own JupyterLab, Chromium and kernel with the demo notebook open, for
    scenarios (zooms, layouts, frames, probes) the shared page must not inherit."""
    with _server(tmp_path_factory, "lab") as server, browser(tmp_path_factory, name) as ctx, \
            opened(server, ctx) as nb:
        yield nb


@pytest.fixture(scope="session")
def notebook(lab, browser_context):
    """The demo notebook open in JupyterLab with its editor cell run."""
    with opened(lab, browser_context) as nb:
        yield nb


@pytest.fixture(scope="session")
def notebook7(notebook7_server, browser_context):
    """The demo notebook open in Jupyter Notebook 7 with its editor cell run."""
    with opened(notebook7_server, browser_context, app="notebook", prefix="nb7_") as nb:
        yield nb


def _reset(notebook):
    notebook.kernel("ed.graph = dw.Graph.from_dict(_start)\nresult = 1")
    notebook.page.wait_for_timeout(300)
    notebook.editor.locator('.react-flow__node[data-id="mlp"]').wait_for()
    notebook.page.keyboard.press("Escape")
    return notebook


@pytest.fixture
def nb(notebook):
    """The shared notebook, with the editor reset to the demo graph."""
    return _reset(notebook)


@pytest.fixture
def nb7(notebook7):
    """The shared Notebook 7 page, with the editor reset to the demo graph."""
    return _reset(notebook7)
