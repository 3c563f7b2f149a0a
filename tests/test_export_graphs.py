"""Export of whole graphs: nested bodies, expressions, several outputs, reading back."""

import ast

import pytest

import diffwire as dw

from export_util import check_roundtrip, load_source


def _mlp_loop(mode="count"):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 3])
    loop = g.add("Loop", mode=mode, iterations=3, max_iterations=4, state=["h"])
    body = loop.body["body"]
    body.remove("h_1")
    h = body.node("h")
    m = body.add("MLP", widths=[3, 5, 3], activation="rbf", final_activation="tanh")
    body.connect(h, m)
    body.add_output(m, name="h")
    if mode == "while":
        i = body.add("Input", name="i", kind="scalar", shape=[])
        # A bool cannot reach an Output node in the core yet; a float works: 0 stops.
        c = body.add("Expression", expr="relu(1 - i)", inputs=["i"])
        body.connect(i, c)
        body.add_output(c, name="continue")
    g.connect(x, (loop, "h"))
    g.add_output((loop, "h"), name="y")
    g.add_output((loop, "iterations"), name="n")
    return g


def test_loop_with_weights_in_its_body(tmp_path):
    src = check_roundtrip(_mlp_loop(), tmp_path)
    assert "for i in range(" in src


def test_while_loop(tmp_path):
    g = _mlp_loop("while")
    src = check_roundtrip(g, tmp_path)
    assert "while " in src


@pytest.mark.parametrize("mode", ["where", "branch"])
def test_conditional_with_linear_bodies(mode, tmp_path):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 3])
    c = g.add("Compare", op=">", value=0.0, reduce="any" if mode == "branch" else "none")
    s = g.add("Sum", n=1, dim=-1)
    cond = g.add("Conditional", mode=mode, inputs=["x"], outputs=["y"])
    for name in ("then", "else"):
        body = cond.body[name]
        body.remove([n for n in body.outputs()][0].id)
        lin = body.add("Linear", in_features=3, out_features=3)
        body.connect(body.node("x"), lin)
        body.add_output(lin, name="y")
    g.connect(x, s)
    g.connect(s, (c, "a"))
    g.connect(c, (cond, "cond"))
    g.connect(x, (cond, "x"))
    g.add_output(cond, name="y")
    src = check_roundtrip(g, tmp_path)
    assert ("if bool(" in src) == (mode == "branch")


def test_map_scans_a_sequence(tmp_path):
    g = dw.Graph()
    h0 = g.add("Input", name="h", shape=[None, 3])
    xs = g.add("Input", name="xs", shape=[None, 5, 3])
    m = g.add("Map", state=["h"], inputs=["x"], outputs=["y"])
    body = m.body["body"]
    for n in list(body.outputs()):
        body.remove(n)
    lin = body.add("Linear", in_features=3, out_features=3)
    add = body.add("Add")
    body.connect(body.node("h"), lin)
    body.connect(lin, (add, "a"))
    body.connect(body.node("x"), (add, "b"))
    t = body.add("Activation", fn="tanh")
    body.connect(add, t)
    body.add_output(t, name="h")
    body.add_output(add, name="y")
    g.connect(h0, (m, "h"))
    g.connect(xs, (m, "x"))
    g.add_output((m, "h"), name="last")
    g.add_output((m, "y"), name="ys")
    check_roundtrip(g, tmp_path)


def test_expression_with_constants_learnables_and_components(tmp_path):
    g = dw.Graph()
    u = g.add("Input", name="u", shape=[None, 2])
    e = g.add("Expression", expr="alpha*u[0] - beta*u[0]*u[1], -gamma*u[1] + exp(-u[0]) / 2",
              inputs=["u"], constants={"beta": 0.25}, learnable={"alpha": 1.5, "gamma": 0.7})
    g.connect(u, e)
    g.add_output(e, name="du")
    src = check_roundtrip(g, tmp_path)
    assert "def _stack_components" in src


def test_node_ids_that_are_module_attributes(tmp_path):
    g = dw.Graph()
    x = g.add("Input", name="forward", shape=[None, 3])
    a = g.add("Linear", id="train", in_features=3, out_features=3)
    b = g.add("Parameter", id="parameters", shape=[3], init="uniform", scale=0.5)
    c = g.add("Add", id="state_dict")
    g.connect(x, a)
    g.connect(a, (c, "a"))
    g.connect(b, (c, "b"))
    g.add_output(c, name="self")
    g.add_output(a, name="return")
    check_roundtrip(g, tmp_path)


def test_export_read_back_is_lossless(tmp_path):
    g = _mlp_loop()
    g.node("loop").label = "the loop\nwith 'quotes' and \"more\" \u00e9"
    g.training = {"steps": 3, "loss": "mse", "data": {"x": {"source": "kernel", "name": "X"}}}
    path = tmp_path / "m.py"
    dw.export(g, path)
    back = dw.from_python(path)
    assert back == g
    back.node("loop").params["iterations"] = 5
    dw.export(back, path)
    again = dw.from_python(path)
    assert again == back and again != g


def test_from_python_never_runs_the_file(tmp_path):
    path = tmp_path / "evil.py"
    marker = tmp_path / "RAN"
    path.write_text(f"open({str(marker)!r}, 'w').write('x')\nDIFFWIRE_DOCUMENT = 'nope'\n")
    with pytest.raises(dw.FormatError):
        dw.from_python(path)
    assert not marker.exists()
    path.write_text("x = 1\n")
    with pytest.raises(dw.FormatError, match="DIFFWIRE_DOCUMENT"):
        dw.from_python(path)


def test_unexportable_block_is_a_graph_error():
    class Odd(dw.Block):
        type = "OddTestBlock"
        inputs = (dw.Port("x"),)
        outputs = (dw.Port("out"),)

        @classmethod
        def build(cls, node, ctx):
            return lambda x: x * 2

    dw.register(Odd)
    try:
        g = dw.Graph()
        x = g.add("Input", name="x", shape=[None, 3])
        o = g.add("OddTestBlock")
        g.connect(x, o)
        g.add_output(o)
        with pytest.raises(dw.GraphError, match="cannot be exported") as info:
            dw.export(g)
        assert info.value.node == o.id
    finally:
        dw.unregister("OddTestBlock")


def test_block_export_hook_is_used(tmp_path):
    class Twice(dw.Block):
        type = "TwiceTestBlock"
        inputs = (dw.Port("x"),)
        outputs = (dw.Port("out"),)

        @classmethod
        def build(cls, node, ctx):
            return lambda x: x * 2

        @classmethod
        def export(cls, node, ctx):
            return dw.blocks.base.ExportedNode(forward=[ctx.assign(f"{ctx.args[0]} * 2")])

    dw.register(Twice)
    try:
        g = dw.Graph()
        x = g.add("Input", name="x", shape=[None, 3])
        o = g.add("TwiceTestBlock")
        g.connect(x, o)
        g.add_output(o)
        src = check_roundtrip(g, tmp_path)
        ast.parse(src)
    finally:
        dw.unregister("TwiceTestBlock")


def test_exported_model_has_a_submodule_per_weighted_node(tmp_path):
    g = _mlp_loop()
    mod = load_source(dw.export(g), tmp_path)
    model = mod.Model()
    assert set(model.blocks._modules) == {"loop"}
    assert hasattr(mod, "LoopBody")


def test_dw_export_is_a_callable_package():
    import diffwire.export.registry as nodes

    assert "MLP" in nodes.EXPORTERS and callable(dw.export)
    assert dw.export.from_python is dw.from_python
    g = _mlp_loop()
    assert dw.export(g) == dw.export.export(g)
