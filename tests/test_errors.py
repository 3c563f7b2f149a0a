"""Every error case names the node and the port, and validate() reports them all at once."""

import json

import pytest
import torch

import diffwire as dw


def mlp_graph():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    h = g.add("MLP", widths=[2, 8, 2])
    g.connect(x, h)
    g.add_output(h, name="y")
    return g


def from_doc(mutate):
    doc = mlp_graph().to_dict()
    mutate(doc)
    return dw.Graph.from_dict(doc)


def only(errors, cls):
    found = [e for e in errors if isinstance(e, cls)]
    assert found, f"no {cls.__name__} in {errors}"
    return found[0]


def test_unknown_block_type_suggests_nearest_names():
    g = from_doc(lambda d: d["nodes"][1].update(type="MPL"))
    e = only(g.validate(), dw.UnknownBlockType)
    assert e.node == "mlp" and e.found == "MPL"
    assert "MLP" in e.hint
    with pytest.raises(dw.UnknownBlockType):
        dw.Graph().add("Lineer")


def test_missing_required_input():
    g = mlp_graph()
    g.disconnect("mlp", "x")
    e = only(g.validate(), dw.MissingInput)
    assert (e.node, e.port) == ("mlp", "x")
    with pytest.raises(dw.MissingInput):
        g.compile()


def test_two_edges_into_one_input():
    g = from_doc(lambda d: d["edges"].append(dict(d["edges"][0])))
    e = only(g.validate(), dw.DuplicateInput)
    assert (e.node, e.port) == ("mlp", "x")
    g = mlp_graph()
    with pytest.raises(dw.DuplicateInput) as info:
        g.connect("x", "mlp")
    assert info.value.port == "x"


def test_shape_mismatch_names_node_port_expected_found():
    g = mlp_graph()
    g.node("mlp").params["widths"] = [3, 8, 2]
    e = only(g.validate(), dw.ShapeMismatch)
    assert (e.node, e.port) == ("mlp", "x")
    assert "3" in str(e.expected) and "B" in str(e.found) and "2" in str(e.found)


def test_shape_mismatch_between_two_blocks():
    g = dw.Graph()
    a = g.add("Input", name="a", shape=[None, 3])
    b = g.add("Input", name="b", shape=[None, 4])
    s = g.add("Add")
    g.connect(a, (s, "a"))
    g.connect(b, (s, "b"))
    g.add_output(s)
    e = only(g.validate(), dw.ShapeMismatch)
    assert e.node == "add" and e.port == "a"
    assert "1009" not in str(e)  # symbolic sizes shown by name


def test_kind_mismatch_refused_on_connect_and_in_files():
    g = dw.Graph()
    c = g.add("Compare")
    m = g.add("MLP", widths=[2, 2])
    with pytest.raises(dw.KindMismatch) as info:
        g.connect(c, m)
    assert (info.value.node, info.value.port) == ("mlp", "x")
    assert (info.value.expected, info.value.found) == ("tensor", "bool")
    doc = g.to_dict()
    doc["edges"].append({"source": "compare", "source_port": "out", "target": "mlp",
                         "target_port": "x"})
    e = only(dw.Graph.from_dict(doc).validate(), dw.KindMismatch)
    assert (e.node, e.port) == ("mlp", "x")


def test_cycle_outside_loop():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    a = g.add("Add")
    m = g.add("MLP", widths=[2, 2])
    g.connect(x, (a, "a"))
    g.connect(a, m)
    g.connect(m, (a, "b"))
    g.add_output(m)
    e = only(g.validate(), dw.CycleError)
    assert e.node in ("add", "mlp") and "add" in e.found and "mlp" in e.found
    assert "Loop" in e.hint


@pytest.mark.parametrize("params, port", [
    ({"widths": [2]}, "widths"),             # too short
    ({"widths": [2, 0]}, "widths"),          # below range
    ({"widths": "2,3"}, "widths"),           # wrong type
    ({"activation": "swish"}, "activation"),  # not a choice
    ({"bias": 1}, "bias"),                    # not a bool
    ({"depth": 3}, "depth"),                  # unknown param
])
def test_bad_param_value_or_range(params, port):
    with pytest.raises(dw.ParamError) as info:
        dw.Graph().add("MLP", **params)
    assert info.value.port == port
    g = mlp_graph()
    g.node("mlp").params.update(params)
    e = only(g.validate(), dw.ParamError)
    assert (e.node, e.port) == ("mlp", port)


def test_dangling_output_is_a_warning():
    g = mlp_graph()
    g.add("Linear", in_features=2, out_features=2, id="unused")
    g.connect("x", "unused")
    e = only(g.validate(), dw.DanglingOutput)
    assert (e.node, e.severity) == ("unused", "warning")
    g.compile()  # warnings do not stop compiling


def test_validate_reports_every_problem_at_once():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    m = g.add("MLP", widths=[2, 2])
    g.add_output(m)
    g.add("Linear", id="lin")
    doc = g.to_dict()
    doc["nodes"].append({"id": "ghost", "type": "Nope", "params": {}, "position": [0, 0]})
    doc["nodes"][1]["params"]["widths"] = [2, -1]
    g = dw.Graph.from_dict(doc)
    errors = [e for e in g.validate() if e.severity == "error"]
    kinds = {type(e) for e in errors}
    assert {dw.UnknownBlockType, dw.ParamError, dw.MissingInput} <= kinds
    with pytest.raises(dw.GraphErrors) as info:
        g.compile()
    assert len(info.value.errors) == len(errors)
    assert x.id == "x"


def test_errors_inside_bodies_carry_the_path():
    g = dw.Graph()
    x = g.add("Input", name="h", shape=[None, 2])
    loop = g.add("Loop", state=["h"])
    g.connect(x, (loop, "h"))
    g.add_output((loop, "h"), name="y")
    body = loop.body["body"]
    m = body.add("MLP", widths=[3, 2])
    body.remove("h_1")
    body.connect("h", m)
    body.add_output(m, name="h")
    e = only(g.validate(), dw.ShapeMismatch)
    assert e.node == "loop/body/mlp" and e.port == "x"


def test_runtime_error_names_the_node():
    g = mlp_graph()
    model = g.compile()
    with pytest.raises(dw.GraphError) as info:
        model(x=torch.randn(4, 5))
    assert info.value.node == "mlp"
    with pytest.raises(dw.GraphError) as info:
        model(z=torch.randn(4, 2))
    assert info.value.port == "z"


def test_error_to_dict_is_json():
    e = dw.ShapeMismatch("bad", node="n", port="p", expected=[1], found=[2])
    d = json.loads(json.dumps(e.to_dict()))
    assert d["node"] == "n" and d["port"] == "p" and d["code"] == "shape_mismatch"


@pytest.mark.parametrize("seed", range(40))
def test_topo_order_is_networkx_lexicographic_order(seed):
    """The heap-based order equals networkx's lexicographical sort keyed on insertion order
    (ties keep insertion order), on random DAGs with multi-edges, and a cycle is named."""
    import random

    import networkx as nx

    from diffwire.analysis import nx_graph, topo_order

    rng = random.Random(seed)
    g = dw.Graph()
    ids = [g.add("Add").id for _ in range(rng.randint(1, 25))]
    rank = list(range(len(ids)))
    rng.shuffle(rank)  # edges go from lower to higher rank: acyclic, any insertion order
    for _ in range(rng.randint(0, 40)):
        a, b = rng.sample(range(len(ids)), 2) if len(ids) > 1 else (0, 0)
        if a != b:
            lo, hi = sorted((a, b), key=lambda i: rank[i])
            g.edges.append(dw.Edge(ids[lo], "out", ids[hi], rng.choice(["a", "b"])))
    pos = {nid: i for i, nid in enumerate(g.nodes)}
    expected = list(nx.lexicographical_topological_sort(nx_graph(g), key=lambda n: pos[n]))
    assert topo_order(g) == expected
    if len(ids) > 1 and g.edges:
        e = g.edges[0]
        g.edges.append(dw.Edge(e.target, "out", e.source, "a"))
        with pytest.raises(dw.CycleError) as info:
            topo_order(g)
        assert e.source in info.value.found and e.target in info.value.found


def test_reshape_error_shows_sizes_in_terms_of_the_batch():
    # used to read "shape '[B, -1, 4]' is invalid for input of size 3027": 3027 is 3 * the
    # probe size that stands for B
    g = dw.Graph()
    a = g.add("Input", name="a", shape=[None, 3])
    r = g.add("Reshape", shape=[-1, 4])
    g.connect(a, r)
    g.add_output(r, name="y")
    (err,) = [e for e in g.validate() if e.severity == "error"]
    assert err.node == "reshape" and "3*B" in str(err) and "3027" not in str(err)
