"""A .diffwire document's kernel lives as long as the document needs it: File > Close and
Shut Down shuts it down, closing the last tab follows the `kernelOnClose` setting (default:
shut down when no run is going, ask when one is). Checked with the server's sessions API in
a real JupyterLab and Chromium."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from test_lab_document import LabPage

pytestmark = pytest.mark.e2e

CURRENT = "window.jupyterapp.shell.currentWidget"


@pytest.fixture(scope="module")
def page(lab, browser_context):
    """A JupyterLab page of this module's own (the documents it opens close with their kernels)."""
    from conftest import ARTIFACTS

    base, token, root = lab
    pg = browser_context.new_page()
    pg.bring_to_front()
    pg.goto(f"{base}/lab?reset&token={token}", wait_until="domcontentloaded")
    pg.locator(".jp-Launcher").first.wait_for(timeout=90_000)
    yield LabPage(pg, root, ARTIFACTS)
    pg.close()
STATUS = f"() => {CURRENT}.transport.readStatus()"


def _api(lab, path: str, method: str = "GET"):
    base, token, _root = lab
    req = urllib.request.Request(f"{base}{path}?token={token}", method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else None


def _kernel_of(lab, path: str) -> str | None:
    """The id of the kernel the server holds for the document at `path`, or None."""
    for s in _api(lab, "/api/sessions"):
        if s.get("path") == path and s.get("kernel"):
            return s["kernel"]["id"]
    return None


def _kernel_alive(lab, kernel_id: str) -> bool:
    return any(k["id"] == kernel_id for k in _api(lab, "/api/kernels"))


def _wait(check, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def _new_document(p: LabPage, lab) -> tuple[str, str]:
    """File > New > Differentiable Program, in a folder of its own (the other lab tests count
    the untitled files at the root); returns (path, kernel id) once connected."""
    (p.root / "lifecycle").mkdir(exist_ok=True)
    p.command("diffwire:new", {"cwd": "lifecycle"})
    p.node("mlp").wait_for(timeout=60_000)
    p.wait_connected()
    path = p.page.evaluate(f"() => {CURRENT}.context.path")
    _wait(lambda: _kernel_of(lab, path) is not None, what=f"a session for {path}")
    return path, _kernel_of(lab, path)


def _tab_gone(p: LabPage, path: str) -> bool:
    return p.page.evaluate(
        "(path) => !Array.from(window.jupyterapp.shell.widgets('main'))"
        ".some((w) => w.context && w.context.path === path)", path)


def test_setting_is_in_the_schema(page):
    schema = page.page.evaluate(
        "async () => (await window.jupyterapp.serviceManager.settings.fetch('diffwire-editor:plugin')).schema")
    prop = schema["properties"]["kernelOnClose"]
    assert prop["default"] == "shutdown" and set(prop["enum"]) == {"shutdown", "keep"}
    assert page.page.evaluate(
        "() => window.jupyterapp.commands.hasCommand('diffwire:close-and-shutdown')")


def test_close_and_shut_down_from_the_file_menu(page, lab):
    p = page
    path, kernel = _new_document(p, lab)
    assert _kernel_alive(lab, kernel)
    # what File > Close and Shut Down runs; it delegates to the current widget's cleaner
    label = p.page.evaluate("() => window.jupyterapp.commands.label('filemenu:close-and-cleanup')")
    assert "Shut Down" in label, label
    p.command("filemenu:close-and-cleanup")
    _wait(lambda: _tab_gone(p, path), what="the tab closing")
    _wait(lambda: not _kernel_alive(lab, kernel), what=f"kernel {kernel} shutting down")
    assert _kernel_of(lab, path) is None


def test_closing_the_last_tab_shuts_the_idle_kernel_down(page, lab):
    p = page
    path, kernel = _new_document(p, lab)
    p.page.evaluate(f"() => {CURRENT}.close()")
    _wait(lambda: _tab_gone(p, path), what="the tab closing")
    _wait(lambda: not _kernel_alive(lab, kernel), what=f"kernel {kernel} shutting down")


def test_keep_setting_leaves_the_kernel_running(page, lab):
    p = page
    path, kernel = _new_document(p, lab)
    p.page.evaluate(f"() => {{ {CURRENT}.kernelOnClose = 'keep'; {CURRENT}.close(); }}")
    _wait(lambda: _tab_gone(p, path), what="the tab closing")
    time.sleep(2)
    assert _kernel_alive(lab, kernel)
    _api(lab, f"/api/kernels/{kernel}", method="DELETE")


def test_closing_during_a_run_asks_and_keep_running_keeps_it(page, lab):
    p = page
    path, kernel = _new_document(p, lab)
    p.command("diffwire:train")
    p.page.wait_for_function(f"() => ({STATUS})().step > 0", timeout=60_000)
    # paused, the run stays going however fast training is
    p.command("diffwire:pause")
    p.page.wait_for_function(f"() => ({STATUS})().state === 'paused'", timeout=30_000)
    p.page.evaluate(f"() => {CURRENT}.close()")
    dialog = p.page.locator(".jp-Dialog")
    dialog.wait_for(timeout=10_000)
    assert "run is going" in dialog.inner_text()
    p.screenshot("lab_close_during_run", full=True)
    dialog.locator("button", has_text="Keep Running").click()
    _wait(lambda: _tab_gone(p, path), what="the tab closing")
    time.sleep(1)
    assert _kernel_alive(lab, kernel)

    # reopened, the same kernel session comes back; Close and Shut Down asks, then ends it
    p.command("docmanager:open", {"path": path})
    p.wait_connected()
    assert _kernel_of(lab, path) == kernel
    if p.page.evaluate(f"() => ['starting', 'running', 'paused'].includes(({STATUS})().state)"):
        p.command("filemenu:close-and-cleanup")
        confirm = p.page.locator(".jp-Dialog")
        confirm.wait_for(timeout=10_000)
        confirm.locator("button", has_text="Shut Down").click()
    else:  # the run ended while the tab was closed: nothing to ask
        p.command("filemenu:close-and-cleanup")
    _wait(lambda: _tab_gone(p, path), what="the tab closing")
    _wait(lambda: not _kernel_alive(lab, kernel), what=f"kernel {kernel} shutting down")
