"""Nodes added without a position go beside the node they are wired from, not 220 px times
the node count to the right."""

from __future__ import annotations

import diffwire as dw

STEP = dw.Graph.STEP_X


def test_chain_reads_left_to_right():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    h = g.add("MLP", widths=[2, 8, 2])
    g.connect(x, h)
    y = g.add_output(h, name="y")
    assert x.position == [0.0, 0.0]
    assert h.position == [STEP, 0.0]
    assert y.position == [2 * STEP, 0.0]


def test_output_of_a_large_graph_sits_beside_its_source():
    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, 4])
    for _ in range(210):
        g.add("Linear", in_features=4, out_features=4, position=[0, 0])  # placed by the user
    lin = g.add("Linear", in_features=4, out_features=4, position=[500, 300])
    g.connect(prev, lin)
    out = g.add_output(lin, name="y")
    assert out.position == [500 + STEP, 300.0]  # not 220 * 212 = 46,640 px to the right


def test_two_branches_from_one_node_do_not_overlap():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    a = g.add("Linear", in_features=2, out_features=2)
    b = g.add("Linear", in_features=2, out_features=2)
    g.connect(x, a)
    g.connect(x, b)
    assert a.position[0] == b.position[0] == STEP
    assert abs(a.position[1] - b.position[1]) >= dw.Graph.STEP_Y


def test_unplaced_source_goes_left_of_its_target():
    g = dw.Graph()
    h = g.add("MLP", widths=[2, 8, 2], position=[1000, 500])
    x = g.add("Input", name="x", shape=[None, 2])
    g.connect(x, h)
    assert x.position == [1000 - STEP, 500.0]


def test_an_explicit_position_is_kept_and_saved_positions_never_move(tmp_path):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2], position=[10, 20])
    h = g.add("MLP", widths=[2, 8, 2], position=[900, 900])
    g.connect(x, h)
    assert x.position == [10.0, 20.0] and h.position == [900.0, 900.0]
    g.save(tmp_path / "m.diffwire")
    g2 = dw.load(tmp_path / "m.diffwire")
    g2.disconnect("mlp")
    g2.connect("x", "mlp")
    assert g2.node("mlp").position == [900.0, 900.0]


def test_lv_ude_field_is_compact():
    """The field body built by add()/connect() fits a small canvas (it opens at a legible zoom)."""
    body = dw.ode.lotka_volterra_ude().node("solve").body["field"]
    xs = [n.position[0] for n in body.nodes.values()]
    ys = [n.position[1] for n in body.nodes.values()]
    assert max(xs) - min(xs) <= 3 * STEP and max(ys) - min(ys) <= 2 * dw.Graph.STEP_Y


def test_placement_looks_only_near_the_place():
    """Adding a node without a position looks at the nodes around the place, not at every
    node: a 4,000-node chain built from Python asks for no more position reads than a
    small constant per node (the scan of every node made it quadratic: 80 s at 20k)."""
    reads = 0

    class Counted(list):
        def __getitem__(self, i):
            nonlocal reads
            reads += 1
            return super().__getitem__(i)

    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, 8])
    for _ in range(4000):
        node = g.add("Linear", in_features=8, out_features=8)
        g.connect(prev, node)
        node.position = Counted(node.position)
        prev = node
    assert reads < 4000 * 20, reads
    positions = {tuple(n.position) for n in g.nodes.values()}
    assert len(positions) == len(g.nodes)  # still no two nodes on one place

