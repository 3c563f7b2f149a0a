"""Group and ungroup (blocks/grouping.py) and the editor commands that run them
(widget/grouping.py). Moved here from the front end's group.test.ts when grouping moved to
the kernel: the assertions are the same."""

import copy

import diffwire as dw
from diffwire.blocks.grouping import group_selection, ungroup


def e(source, source_port, target, target_port):
    return {"source": source, "source_port": source_port, "target": target, "target_port": target_port}


def doc():
    """x -> a -> b -> y, and a -> z (a second reader outside); c is unrelated."""
    return {
        "nodes": [
            {"id": "x", "type": "Input", "params": {"name": "x"}, "position": [0, 0]},
            {"id": "a", "type": "MLP", "params": {"widths": [2, 2]}, "position": [200, 0]},
            {"id": "b", "type": "Neg", "params": {}, "position": [400, 40]},
            {"id": "y", "type": "Output", "params": {"name": "y"}, "position": [600, 0]},
            {"id": "z", "type": "Output", "params": {"name": "z"}, "position": [600, 200]},
            {"id": "c", "type": "Constant", "params": {}, "position": [0, 300]},
        ],
        "edges": [e("x", "out", "a", "x"), e("a", "out", "b", "x"), e("b", "out", "y", "x"),
                  e("a", "out", "z", "x")],
    }


def key(edge):
    return f"{edge['source']}.{edge['source_port']}->{edge['target']}.{edge['target_port']}"


def sort_edges(edges):
    return sorted(key(x) for x in edges)


def node(graph, nid):
    return next(n for n in graph["nodes"] if n["id"] == nid)


def test_moves_the_selection_into_a_group_body_wired_through_its_ports():
    g0 = doc()
    before = copy.deepcopy(g0)
    graph, gid = group_selection(g0, ["a", "b", "y"])  # Output nodes of the graph stay put
    assert gid == "group"
    grp = node(graph, "group")
    assert grp["type"] == "Group"
    assert grp["params"] == {"inputs": ["x"], "outputs": ["b_1", "a_1"]}  # apart from node ids
    assert sorted(n["id"] for n in graph["nodes"]) == ["c", "group", "x", "y", "z"]
    assert sort_edges(graph["edges"]) == sort_edges(
        [e("x", "out", "group", "x"), e("group", "b_1", "y", "x"), e("group", "a_1", "z", "x")])
    body = grp["body"]["body"]
    assert sorted(f"{n['id']}:{n['type']}" for n in body["nodes"]) == [
        "a:MLP", "a_1:Output", "b:Neg", "b_1:Output", "x:Input"]
    assert sort_edges(body["edges"]) == sort_edges([
        e("x", "out", "a", "x"), e("a", "out", "b", "x"), e("b", "out", "b_1", "x"),
        e("a", "out", "a_1", "x")])
    assert g0 == before  # never mutates


def test_names_ports_apart_from_the_bodys_node_ids():
    graph, _ = group_selection(doc(), ["a", "b"])
    grp = node(graph, "group")
    ids = [n["id"] for n in grp["body"]["body"]["nodes"]]
    assert len(set(ids)) == len(ids)
    for name in grp["params"]["outputs"] + grp["params"]["inputs"]:
        assert node(grp["body"]["body"], name)["params"]["name"] == name


def test_ungroup_restores_the_original_graph():
    g0 = doc()
    grouped, gid = group_selection(g0, ["a", "b"])
    graph, back = ungroup(grouped, gid)
    assert sorted(back) == ["a", "b"]
    assert sorted(n["id"] for n in graph["nodes"]) == sorted(n["id"] for n in g0["nodes"])
    assert sort_edges(graph["edges"]) == sort_edges(g0["edges"])
    assert node(graph, "a")["params"] == {"widths": [2, 2]}


def test_ungroup_renames_clashing_ids_and_resolves_pass_through_ports():
    g = {
        "nodes": [
            {"id": "x", "type": "Input", "params": {"name": "x"}, "position": [0, 0]},
            {"id": "m", "type": "Neg", "params": {}, "position": [0, 100]},
            {"id": "g", "type": "Group", "params": {"inputs": ["p"], "outputs": ["q", "r"]},
             "position": [300, 0], "body": {"body": {
                 "nodes": [
                     {"id": "p", "type": "Input", "params": {"name": "p"}, "position": [0, 0]},
                     {"id": "m", "type": "Neg", "params": {}, "position": [100, 0]},
                     {"id": "q", "type": "Output", "params": {"name": "q"}, "position": [200, 0]},
                     {"id": "r", "type": "Output", "params": {"name": "r"}, "position": [200, 100]},
                 ],
                 "edges": [e("p", "out", "m", "x"), e("m", "out", "q", "x"), e("p", "out", "r", "x")],
             }}},
            {"id": "y", "type": "Output", "params": {"name": "y"}, "position": [600, 0]},
            {"id": "w", "type": "Output", "params": {"name": "w"}, "position": [600, 100]},
        ],
        "edges": [e("x", "out", "g", "p"), e("g", "q", "y", "x"), e("g", "r", "w", "x")],
    }
    graph, back = ungroup(g, "g")
    assert back == ["m_1"]
    assert sort_edges(graph["edges"]) == sort_edges(
        [e("x", "out", "m_1", "x"), e("m_1", "out", "y", "x"), e("x", "out", "w", "x")])
    assert node(graph, "m_1")["position"] == [300, 0]


def test_refuses_what_it_cannot_do():
    assert group_selection(doc(), ["x", "y"]) is None
    assert group_selection(doc(), []) is None
    assert ungroup(doc(), "a") is None


def test_a_grouped_graph_is_valid_and_computes_the_same():
    """What the editor makes is a graph the kernel accepts, with the same function."""
    g = dw.Graph()
    x = g.add("Input", id="x", shape=[None, 2])
    a = g.add("MLP", id="a", widths=[2, 3, 2])
    b = g.add("Neg", id="b")
    g.connect(x, a)
    g.connect(a, b)
    g.add_output(b, "y")
    grouped, _ = group_selection(g.to_dict(), ["a", "b"])
    g2 = dw.Graph.from_dict(grouped)
    assert [err for err in g2.validate() if err.severity == "error"] == []
    back, _ = ungroup(grouped, "group")
    assert sort_edges(back["edges"]) == sort_edges(g.to_dict()["edges"])


# -- the editor commands -------------------------------------------------------------------

def editor_events(graph=None):
    ed = dw.Editor(graph or dw.Graph())
    seen = []
    ed.send = lambda event, buffers=None: seen.append(event)
    return ed, seen


def test_the_group_command_answers_with_the_edit_and_leaves_the_kernels_document():
    ed, seen = editor_events()
    ed.handle({"cmd": "group", "request": "v1:1", "graph": doc(), "ids": ["a", "b"]})
    (ev,) = [x for x in seen if x["event"] == "edit"]
    assert ev["request"] == "v1:1" and ev["select"] == ["group"]
    assert node(ev["graph"], "group")["params"] == {"inputs": ["x"], "outputs": ["b_1", "a_1"]}
    assert ed.graph.nodes == {}  # the canvas commits it, then writes it like any edit
    ed.handle({"cmd": "ungroup", "request": "v1:2", "graph": ev["graph"], "ids": ["group", "x"]})
    ev = [x for x in seen if x["event"] == "edit"][-1]
    assert ev["request"] == "v1:2" and sorted(ev["select"]) == ["a", "b"]
    assert sort_edges(ev["graph"]["edges"]) == sort_edges(doc()["edges"])


def test_nothing_to_group_answers_with_no_graph():
    ed, seen = editor_events()
    ed.handle({"cmd": "group", "request": 7, "graph": doc(), "ids": ["x", "y"]})
    ed.handle({"cmd": "ungroup", "request": 8, "graph": doc(), "ids": ["a"]})
    assert [(x["request"], x["graph"], x["select"]) for x in seen if x["event"] == "edit"] == [
        (7, None, []), (8, None, [])]


def test_a_malformed_group_command_is_answered_with_an_error():
    ed, seen = editor_events()
    ed.handle({"cmd": "group", "graph": "nodes", "ids": ["a"]})
    ed.handle({"cmd": "ungroup", "graph": doc(), "ids": "a"})
    errors = [x for x in seen if x["event"] == "error"]
    assert len(errors) == 2
    assert "no graph" in errors[0]["message"] and "no node ids" in errors[1]["message"]
