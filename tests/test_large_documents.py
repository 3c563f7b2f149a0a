"""What keeps load and validate linear with a small constant on large documents (issue 13):
meta builds share modules, activations answer shapes without meta kernels."""

import torch

import diffwire as dw
from diffwire.compile import BuildContext, CompiledGraph


def chain(n, width=8):
    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, width])
    for i in range(n):
        node = (g.add("Linear", in_features=width, out_features=width) if i % 2 == 0
                else g.add("Activation", fn="tanh"))
        g.connect(prev, node)
        prev = node
    g.add_output(prev)
    return g


def test_meta_builds_share_one_module_per_block_and_params():
    g = chain(6)
    lin = g.add("Linear", in_features=8, out_features=3)
    g.connect("x", lin)
    with torch.device("meta"):
        meta = CompiledGraph(g, BuildContext(meta=True))
    ids = [n for n in g.nodes if g.nodes[n].type == "Linear"]
    assert meta.blocks[ids[0]] is meta.blocks[ids[1]] is meta.blocks[ids[2]]
    assert meta.blocks[lin.id] is not meta.blocks[ids[0]]  # other params: its own module
    real = g.compile(seed=0)  # a real build never shares: every node has its own weights
    assert real.blocks[ids[0]] is not real.blocks[ids[1]]
    assert not torch.equal(real.blocks[ids[0]].inner.weight, real.blocks[ids[1]].inner.weight)


def test_shapes_of_a_long_chain_are_inferred_and_a_late_mismatch_is_found():
    g = chain(400)
    shapes = g.infer_shapes()
    assert shapes[list(g.nodes)[-2]]["out"] == ["B", 8]
    bad = g.add("Linear", in_features=5, out_features=2)
    g.connect(list(g.nodes)[-3], bad)
    errs = [e for e in g.validate() if e.severity == "error"]
    assert errs and errs[0].node == bad.id


def test_activation_shapes_keep_dtype_and_integer_inputs_take_the_real_path():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 3], dtype="float64")
    a = g.add("Activation", fn="tanh")
    g.connect(x, a)
    g.add_output(a, name="y")
    assert g.infer_shapes()[a.id]["out"] == ["B", 3]
    with torch.device("meta"):
        meta = CompiledGraph(g, BuildContext(meta=True))
    from diffwire.context import infer_mode

    with infer_mode():
        out = meta.blocks[a.id](torch.empty(4, 3, dtype=torch.float64, device="meta"))
        assert out.dtype == torch.float64 and out.shape == (4, 3)
        out = meta.blocks[a.id](torch.empty(4, 3, dtype=torch.int64, device="meta"))
        assert out.dtype == torch.get_default_dtype()  # tanh of integers is a float
