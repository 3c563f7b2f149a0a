"""A new .diffwire document's Training panel while its kernel is still starting up, in a
real JupyterLab and Chromium: the form (x as the graph's input, the loss row, the Optimizer
node in the phase menu) shows before the kernel has answered anything about the section,
and a value typed at once reaches the saved document and the kernel, however the kernel's
answers are ordered around it. Two documents, one page.

The kernel's first ``check_training`` is held on purpose (``DIFFWIRE_TEST_DELAY``,
kernel_lib/diffwire/widget/testdelay.py), as a fresh kernel's jsonschema import makes it
slow by chance, until the test has looked at the panel and releases it (a file named by
``DIFFWIRE_TEST_RELEASE``), so the race runs the same way every time on any machine. This module has its own JupyterLab
(the knob is in its kernels' environment). Screenshot: artifacts/e2e/startup_*.png."""

from __future__ import annotations

import json
import time

import pytest
from conftest import ARTIFACTS, _server

pytestmark = pytest.mark.e2e

DELAY = 180  # at most this long a fresh kernel holds its first check_training answer...

# A new document, kept as `window.__dwDoc`, and a count of what its kernel has answered
# about the training section so far.
NEW = """async () => {
  const w = await window.jupyterapp.commands.execute('diffwire:new', {cwd: ''});
  window.__dwDoc = w;
  const checks = {n: 0};  // this document's own count: an earlier one's kernel may answer too
  window.__dwChecks = checks;
  w.transport.onEvent((ev) => { if (ev.event === 'training_errors') checks.n += 1; });
  return [w.id, w.context.path];
}"""
DOC = "window.__dwDoc"


@pytest.fixture(scope="module")
def slow_lab(tmp_path_factory):
    release = tmp_path_factory.mktemp("release") / "release"  # ... or until this exists
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DIFFWIRE_TEST_DELAY", f"check_training={DELAY}")
        mp.setenv("DIFFWIRE_TEST_RELEASE", str(release))
        server = _server(tmp_path_factory, "lab")
        base_token_root = server.__enter__()
    try:
        yield (*base_token_root, release)
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(scope="module")
def page(slow_lab, browser_context):
    base, token, root, release = slow_lab
    page = browser_context.new_page()
    page.goto(f"{base}/lab?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined", timeout=90_000)
    page.locator(".jp-Launcher").first.wait_for(timeout=90_000)
    yield page, root, release
    page.close()


def _checks(page) -> int:
    return page.evaluate("() => window.__dwChecks.n")


def _kernel_steps(page, root, n: int):
    """The training steps of the document as this tab's kernel holds it."""
    out = root / f".steps_{n}.json"
    code = ("from diffwire.widget.comm import SESSIONS as _s\nimport json as _j\n"
            f"open({str(out)!r}, 'w').write(_j.dumps([e.graph.training.get('steps') for e in _s.values()]))")
    page.evaluate(f"(code) => {DOC}.context.sessionContext.session.kernel.requestExecute({{code, silent: true}})", code)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if out.exists():
            try:
                return json.loads(out.read_text())
            except ValueError:
                pass
        time.sleep(0.2)
    raise AssertionError("the document's kernel did not answer")


@pytest.mark.parametrize("n, typed", [(0, 4321), (1, 5432)])
def test_a_new_document_has_its_training_form_and_keeps_a_value_typed_at_once(page, n, typed):
    page, root, release = page
    release.unlink(missing_ok=True)  # this document's kernel holds its first answer
    widget, name = page.evaluate(NEW)
    doc = page.locator(f"#{widget}")
    panel = doc.locator('[data-testid="training-panel"]')
    steps = panel.locator('[data-field="steps"] input')
    steps.wait_for(timeout=60_000)  # the panel is drawn once the kernel sends its catalogs
    steps.fill(str(typed))  # typed at once; committed (Enter) below, as a person would

    # the form, from the document, while the kernel's first check is still going
    panel.locator('[data-binding="x"] legend:has-text("graph input")').wait_for(timeout=3_000)
    panel.locator('[data-binding="y"] legend:has-text("target")').wait_for(timeout=3_000)
    panel.locator('[data-loss="y"] [data-field="target:y"]').wait_for(timeout=3_000)
    assert panel.locator('[data-phase="0"] select option[value="optim"]').count() == 1
    assert "No Optimizer node" not in panel.inner_text()
    assert _checks(page) == 0, "the kernel answered while held: this run shows no race"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doc.screenshot(path=str(ARTIFACTS / f"startup_{n}_new_document_at_once.png"))
    panel.locator('[data-phase="0"]').scroll_into_view_if_needed()
    doc.screenshot(path=str(ARTIFACTS / f"startup_{n}_optimizer_phase_at_once.png"))

    # the kernel's held answers arrive, and whatever follows them in its queue; the value
    # typed meanwhile is still in the field and is committed
    release.touch()
    page.wait_for_function("() => window.__dwChecks.n > 0", timeout=60_000)
    page.wait_for_timeout(1_500)
    assert steps.input_value() == str(typed)
    steps.press("Enter")
    page.wait_for_function(f"(v) => {DOC}.transport.readGraph().training.steps === v", arg=typed, timeout=10_000)

    path = root / name
    page.evaluate(f"async () => {{ await {DOC}.context.save(); }}")
    deadline = time.monotonic() + 30
    while json.loads(path.read_text()).get("training", {}).get("steps") != typed:
        assert time.monotonic() < deadline, "the typed steps never reached the saved document"
        time.sleep(0.25)
    assert _kernel_steps(page, root, n) == [typed]  # Train uses the kernel's copy
    # the form stayed (the kernel's answer did not take it away)
    assert panel.locator('[data-loss="y"]').count() == 1
    assert panel.locator('[data-phase="0"] select option[value="optim"]').count() == 1
