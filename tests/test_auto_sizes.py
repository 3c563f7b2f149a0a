"""`auto` sizes (issue 15, point 2): a Linear's `in_features` or an MLP's `widths[0]` set to
"auto" takes the size of the wire into the node, resolved from the inferred shape before
the graph is built; the document keeps "auto", so rewiring changes the size."""

import numpy as np
import pytest
import torch

import diffwire as dw
from diffwire.shapes import resolve_auto

from export_util import check_roundtrip


def chain(width: int = 3, in_features="auto", first="auto") -> dw.Graph:
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, width])
    lin = g.add("Linear", id="lin", in_features=in_features, out_features=4)
    mlp = g.add("MLP", id="mlp", widths=[first, 8, 1])
    g.connect(x, lin)
    g.connect(lin, mlp)
    g.add_output(mlp, name="y")
    return g


def test_auto_sizes_follow_the_wire_and_build_what_explicit_sizes_build():
    auto, explicit = chain(), chain(in_features=3, first=4)
    assert auto.validate() == []
    a, b = auto.compile(seed=1), explicit.compile(seed=1)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)  # same shapes, same seeded weights
    assert auto.node("lin").params["in_features"] == "auto"  # the document keeps auto
    assert auto.node("mlp").params["widths"] == ["auto", 8, 1]


def test_rewiring_changes_the_size_at_the_next_build():
    g = chain(width=3)
    assert g.compile().blocks["lin"].inner.in_features == 3
    g.node("x").params["shape"] = [None, 7]
    assert g.compile().blocks["lin"].inner.in_features == 7


def test_auto_survives_save_and_load(tmp_path):
    path = chain().save(tmp_path / "auto.diffwire")
    g = dw.load(path)
    assert g.node("lin").params["in_features"] == "auto"
    assert g.compile()(torch.randn(2, 3)).shape == (2, 1)


def test_export_writes_the_resolved_sizes_and_keeps_auto_in_the_document(tmp_path):
    g = chain()
    src = check_roundtrip(g, tmp_path)  # the exported module loads the weights and matches
    assert "nn.Linear(3, 4)" in src and "nn.Linear(4, 8)" in src and "auto" not in src.split(
        "DIFFWIRE_DOCUMENT")[0]
    path = tmp_path / "m.py"
    dw.export(g, path)
    assert dw.from_python(path).node("lin").params["in_features"] == "auto"


def test_an_auto_size_inside_a_body_follows_the_body_input():
    g = dw.ode.neural_ode(2)
    solve = next(n for n in g.nodes.values() if n.type == "ODESolve")
    solve.body["field"].node("U").params["widths"] = ["auto", 16, 2]
    model = g.compile(seed=0)
    assert model.state_dict()["blocks.solve.field.body.blocks.U.0.weight"].shape == (16, 2)
    from diffwire.shapes import infer_shapes

    assert infer_shapes(g, bodies=True)["solve/field/y"] == {"out": [2]}
    assert "solve/field/y" not in g.infer_shapes()  # the top level only, by default


def test_training_a_graph_with_auto_sizes():
    x = np.linspace(-1, 1, 32, dtype=np.float32)[:, None].repeat(3, 1)
    run = dw.train(chain(), data={"x": x, "y": x[:, :1] ** 2}, loss="mse", steps=20,
                   progress=False, background=False)
    assert run.state == "finished", run.reason
    assert run.history[-1]["loss"] < run.history[0]["loss"]


def test_a_wire_with_no_fixed_size_is_named():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, "D"])
    lin = g.add("Linear", id="lin", in_features="auto", out_features=2)
    g.connect(x, lin)
    g.add_output(lin, name="y")
    with pytest.raises(dw.ParamError) as info:
        g.compile()
    e = info.value
    assert e.node == "lin" and e.port == "in_features" and e.found == ["B", "D"]
    assert "fixed last size" in str(e)


def test_auto_is_refused_where_a_size_cannot_follow_a_wire():
    g = dw.Graph()
    with pytest.raises(dw.ParamError) as info:
        g.add("Linear", in_features=3, out_features="auto")
    assert info.value.port == "out_features"
    with pytest.raises(dw.ParamError):
        g.add("MLP", widths=[2, "auto", 1])  # only the first width follows the wire


def test_the_catalog_tells_the_editor_which_sizes_may_be_auto():
    blocks = dw.catalog()["blocks"]
    spec = {b["type"]: b for b in (blocks.values() if isinstance(blocks, dict) else blocks)}
    lin = {p["name"]: p for p in spec["Linear"]["params"]}
    assert lin["in_features"].get("auto") is True and "auto" not in lin["out_features"]


def test_a_graph_without_auto_is_not_copied():
    g = chain(in_features=3, first=4)
    assert resolve_auto(g) is g
