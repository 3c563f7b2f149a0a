"""Training shown on the graph (issue 15, point 5), in a real JupyterLab and Chromium: after
the first backward a detached wire is dashed with its reason and the node whose weights got
no gradient is marked; a probe on a wire grows its plot while the run trains and goes with
the wire; per-node statistics badges. Each scenario checks the kernel too and leaves
screenshots under artifacts/e2e/ (t*.png)."""

from __future__ import annotations

import pytest

# Under `-m slow` with the other canvas module: same reason (see test_canvas_diagram.py).
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    from conftest import private_notebook

    with private_notebook(tmp_path_factory, "training_chromium") as nb:
        yield nb


@pytest.fixture(autouse=True)
def stopped(nb, request):
    """Each scenario ends with its run stopped, and a screenshot of where it ended
    (artifacts/e2e/t_end_<test>.png)."""
    yield nb
    nb.screenshot(f"t_end_{request.node.name}")
    nb.kernel("r = ed.control.run\nif r is not None: r.stop()\nresult = 1")


DETACH = """
@dw.block
class StopGradient(dw.Block):
    '''Passes values on and cuts the gradient (x.detach()).'''
    type = "StopGradient"
    category = "math"
    inputs = (dw.Port("x"),)
    outputs = (dw.Port("out"),)

    @classmethod
    def build(cls, node, ctx):
        return lambda x: x.detach()

g = dw.Graph.from_dict(_start)
g.disconnect("y")
cut = g.add("StopGradient", id="cut", position=[480, 0])
bias = g.add("Parameter", id="bias", shape=[1], position=[480, 160])
add = g.add("Add", id="add", position=[700, 40])
g.connect("mlp", cut)
g.connect(cut, (add, "a"))
g.connect(bias, (add, "b"))
g.connect(add, "y")
g.node("y").position = [900, 40]
ed.graph = g
result = 1
"""


def _train(nb):
    assert nb.kernel("result = ed.control.available")
    nb.editor.locator("button.dw-train").click()


def test_a_detached_wire_is_dashed_with_its_reason_after_the_first_step(nb):
    nb.kernel(DETACH)
    nb.node("cut").wait_for()
    nb.page.keyboard.press("f")
    _train(nb)
    edge = nb.editor.locator('.react-flow__edge.dw-edge-detached[data-id="cut.out->add.a"]')
    edge.wait_for(timeout=60_000)
    dash = edge.locator(".react-flow__edge-path").evaluate("el => getComputedStyle(el).strokeDasharray")
    assert dash not in ("", "none"), dash
    note = nb.editor.locator('.dw-edge-note[data-edge="cut.out->add.a"] .dw-detached')
    assert "no gradient" in note.inner_text() and "cut.out" in note.inner_text()
    # the MLP before the cut learns nothing: its node says so
    mlp = nb.node("mlp")
    assert "dw-no-grad" in mlp.locator(".dw-node").get_attribute("class")
    assert "no gradient" in mlp.locator(".dw-nograd-text").inner_text()
    # the only wire marked is the one the kernel's check names
    assert nb.editor.locator(".react-flow__edge.dw-edge-detached").count() == 1
    assert nb.kernel("result = ed.control.run.grad_check['detached']") == ["cut.out -> add.a"]
    nb.screenshot("t01_detached_edge")


def test_a_probe_on_a_wire_grows_its_plot_while_training_and_goes_with_the_wire(nb):
    nb.kernel("ed.graph = dw.Graph.from_dict(_start)\nresult = 1")
    nb.node("mlp").wait_for()
    nb.page.keyboard.press("f")
    nb.page.wait_for_timeout(300)
    wire = '.react-flow__edge[data-id="mlp.out->y.x"] .react-flow__edge-interaction'
    nb.editor.locator(wire).click(button="right", force=True)
    nb.editor.locator('.dw-menu [data-command="Probe"]').click()
    plot = nb.editor.locator('.dw-edge-probe[data-edge="mlp.out->y.x"] .dw-probe-plot')
    plot.wait_for()
    assert nb.kernel("result = sorted(ed.control.probes.probes)") == ["mlp.out->y.x"]
    _train(nb)
    grows = ("(n) => Number(document.querySelector("
             "'.dw-edge-probe[data-edge=\"mlp.out->y.x\"] .dw-probe-plot').dataset.points) > n")
    nb.page.wait_for_function(grows, arg=3, timeout=60_000)
    first = int(plot.get_attribute("data-points"))
    nb.page.wait_for_function(grows, arg=first, timeout=30_000)
    assert int(plot.get_attribute("data-points")) > first
    # the output is [200, 1]: one component drawn as its batch mean with a std band
    assert "mean \u00b1 std" in plot.inner_text() and "[0]" in plot.inner_text()
    assert plot.locator("canvas").count() == 1
    nb.page.wait_for_timeout(1000)
    nb.screenshot("t02_probe_growing")

    # statistics on every node, toggled in the canvas bar
    nb.editor.locator("button.dw-stats-toggle").click()
    stats = nb.node("mlp").locator(".dw-stats")
    stats.wait_for(timeout=30_000)
    text = stats.inner_text()  # once: the badge refreshes while the run goes
    assert "|\u2207|" in text and "\u03c3" in text, text
    nb.screenshot("t03_node_stats")
    nb.editor.locator("button.dw-stats-toggle").click()
    stats.wait_for(state="detached")

    # the probe goes with its wire, in the canvas and the kernel
    nb.editor.locator(wire).click(button="right", force=True)
    nb.editor.locator('.dw-menu [data-command="Delete"]').click()
    nb.wait_graph(lambda d: not any(e["target"] == "y" for e in d["edges"]))
    plot.wait_for(state="detached")
    assert nb.kernel("result = sorted(ed.control.probes.probes)") == []
