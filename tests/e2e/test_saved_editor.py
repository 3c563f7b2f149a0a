"""A notebook saved with its editor (executed by nbclient, widget state stored: the state
holds a small bootstrap, not the editor) reopens in JupyterLab and shows its editor, the
module imported from the lab extension, and again after a kernel restart. Where the front
end does not serve the module (simulated: a bootstrap naming a file the extension lacks),
the kernel sends it, and auto-layout's elkjs too.

(JupyterLab 4.6 with ipywidgets 8 showed the saved output's text form, `<Editor ...>`,
until the cell ran again: with a live kernel it does not draw widget views from the
notebook's stored state.)"""

from __future__ import annotations

import pytest
from conftest import Notebook
from labserver import open_notebook, running_lab

from nbrun import execute_cells

pytestmark = pytest.mark.e2e

GRAPH = """import diffwire as dw
from diffwire.widget import bundle
g = dw.Graph()
x = g.add("Input", name="x", shape=[None, 1], position=[0, 0])
h = g.add("MLP", id="mlp", widths=[1, 16, 1], position=[0, 150])
g.connect(x, h)
g.add_output(h, name="y")"""
SHOW = "ed = dw.Editor(g, height='420px')\ned"
NO_EXTENSION = ("ed2 = dw.Editor(g.copy(), height='420px', "
                "_esm=bundle.bootstrap('editor.0000000000000000.js'))\ned2")
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


@pytest.fixture(scope="module")
def saved(tmp_path_factory, browser_context):
    tmp = tmp_path_factory.mktemp("saved")
    nb = execute_cells([GRAPH, SHOW, NO_EXTENSION], tmp)
    with running_lab(tmp, {"saved.ipynb": nb}) as (base, token, root):
        page = open_notebook(browser_context, base, token, "saved.ipynb", run=False)
        yield Notebook(page, root)
        page.close()


def test_reopens_and_shows_its_editor(saved):
    page = saved.page
    assert saved.kernel("result = 'ed' in globals()") is False  # a fresh kernel
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    first = page.locator(f'{PANEL} [data-dw-module="extension"] .dw-root').first
    first.locator(".react-flow__node").nth(2).wait_for(timeout=60_000)
    assert first.locator('.react-flow__node[data-id="mlp"]').count() == 1
    assert saved.kernel("result = len(ed.graph.nodes)") == 3
    saved.editor = first
    saved.screenshot("saved_01_reopened")


def test_shows_again_after_a_kernel_restart_and_the_kernel_serves_a_missing_module(saved):
    page = saved.page
    page.evaluate("() => document.querySelectorAll('.dw-root').forEach((e) => e.dataset.old = '1')")
    page.evaluate("async () => { await window.jupyterapp.shell.currentWidget.sessionContext.restartKernel(); }")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    fresh = page.locator(f'{PANEL} [data-dw-module="extension"] .dw-root:not([data-old])')
    fresh.locator(".react-flow__node").nth(2).wait_for(timeout=60_000)
    assert saved.kernel("result = len(ed.graph.nodes)") == 3
    # the second editor's bootstrap names a file the extension does not have: the kernel
    # sent the module
    fallback = page.locator(f'{PANEL} [data-dw-module="kernel"] .dw-root:not([data-old])')
    fallback.locator('.react-flow__node[data-id="mlp"]').wait_for(timeout=60_000)
    before = saved.kernel("result = ed2.graph.node('mlp').position")
    fallback.locator('.react-flow__node[data-id="mlp"]').click()
    page.keyboard.press("l")  # auto-layout: elkjs comes from the kernel
    deadline = page.evaluate("() => performance.now()") + 30_000
    while saved.kernel("result = ed2.graph.node('mlp').position") == before:
        assert page.evaluate("() => performance.now()") < deadline, "auto-layout never moved a node"
        page.wait_for_timeout(300)
    saved.editor = fallback
    saved.screenshot("saved_02_kernel_module_layout")
