"""DataflowMatrix: the machine's step by hand, the self-modifying update path, export,
sparsification (pruned links and their optimizer state stay zero), the streamed link
count and matrix, and a matrix of the wrong shape."""

import pytest
import torch

import diffwire as dw
from diffwire.blocks.dataflow_matrix import self_update
from diffwire.widget.live import LiveCallback, link_matrix_event

from export_util import assert_same, load_source
from helpers import EventRecorder


def two_streams() -> dw.Graph:
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 3, 1])
    w = g.add("Input", name="W", shape=[2, 4])
    d = g.add("DataflowMatrix", id="dmm", streams=["tanh", "accumulator"], inputs=1,
              matrix="port")
    g.connect(x, (d, "x"))
    g.connect(w, (d, "W"))
    g.add_output((d, "y"), name="y")
    return g


def test_two_streams_by_hand():
    """Columns of W: [stream 1, stream 2, x, 1]. Stream 1 = tanh(0.5 x + 0.1), stream 2
    accumulates stream 1's previous value plus 1, minus a quarter of itself."""
    W = torch.tensor([[0.0, 0.0, 0.5, 0.1], [1.0, -0.25, 0.0, 1.0]], dtype=torch.float64)
    x = torch.tensor([[[1.0], [2.0], [-1.0]]], dtype=torch.float64)
    y = two_streams().compile(dtype=torch.float64)(x=x, W=W)
    a1, a2, a3 = (torch.tanh(torch.tensor(0.5 * v + 0.1, dtype=torch.float64)) for v in (1, 2, -1))
    b1 = 0.0 + (0.0 - 0.0 + 1.0)            # b0 = 0, a0 = 0
    b2 = b1 + (a1 - 0.25 * b1 + 1.0)
    b3 = b2 + (a2 - 0.25 * b2 + 1.0)
    want = torch.tensor([[[a1, b1], [a2, b2], [a3, b3]]], dtype=torch.float64)
    torch.testing.assert_close(y, want, atol=1e-12, rtol=0)


def self_modifying(streams=4, inputs=1, steps=5) -> dw.Graph:
    """A Parameter matrix into the W port; the update body adds 0.1 tanh(MLP(y)) to W; a
    Linear reads the streams out."""
    n, m = streams, streams + inputs + 1
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, steps, inputs])
    p = g.add("Parameter", id="links", shape=[n, m], init="normal", scale=0.3)
    d = g.add("DataflowMatrix", id="dmm", streams=["tanh"] * (n - 1) + ["accumulator"],
              inputs=inputs, matrix="port")
    g.connect(x, (d, "x"))
    g.connect(p, (d, "W"))
    self_update(d, scale=0.1)  # the Self neuron: W <- W + 0.1 tanh(MLP(y))
    read = g.add("Linear", id="read", in_features=n, out_features=1)
    g.connect((d, "y"), read)
    g.add_output(read, name="y")
    g.add_output((d, "W"), name="W_last")
    return g


def test_the_update_body_rewrites_the_matrix_and_gradients_flow():
    g = self_modifying()
    assert [e for e in g.validate() if e.severity == "error"] == []
    shapes = g.infer_shapes()
    assert shapes["dmm"] == {"y": ["B", 5, 4], "W": ["B", 4, 6]}
    model = g.compile(seed=0, dtype=torch.float64)
    x = torch.randn(3, 5, 1, dtype=torch.float64)
    out = model(x=x)
    start = model.blocks["links"].value
    # the matrix at the end differs from the start, and per sample (it read each state)
    assert (out["W_last"] - start).abs().max() > 1e-3
    assert (out["W_last"][0] - out["W_last"][1]).abs().max() > 1e-6
    (out["y"].sum() + out["W_last"].sum()).backward()
    mlp = [p for n, p in model.named_parameters() if ".update." in n]
    assert mlp and all(p.grad is not None and p.grad.abs().sum() > 0 for p in mlp)
    assert start.grad is not None and start.grad.abs().sum() > 0


def test_self_modifying_graph_exports_and_matches(tmp_path):
    g = self_modifying()
    compiled = g.compile(seed=0)
    src = dw.export(g)
    exported = load_source(src, tmp_path).Model()
    assert sorted(exported.state_dict()) == sorted(compiled.state_dict())
    compiled.blocks["dmm"].mask[1, 2] = 0.0  # a pruned link travels in the state_dict
    exported.load_state_dict(compiled.state_dict())
    x = torch.randn(4, 5, 1).requires_grad_(True)
    assert_same(compiled, exported, [x])


def test_a_matrix_of_the_wrong_shape_names_node_port_and_shapes():
    g = two_streams()
    g.node("W").params["shape"] = [3, 4]
    with pytest.raises(dw.ShapeMismatch) as info:
        g.infer_shapes()
    e = info.value
    assert e.node == "dmm" and e.port == "W"
    assert "[2, 4] or [B, 2, 4]" in str(e.expected) and "3, 4" in str(e.found)
    with pytest.raises(dw.GraphError, match=r"node 'dmm', port 'W'.*\[2, 4\]"):
        g.compile()(x=torch.zeros(1, 3, 1), W=torch.zeros(3, 4))


def test_unknown_stream_transform_is_a_param_error():
    with pytest.raises(dw.ParamError, match=r"node 'dmm', port 'streams'.*found cosine"):
        dw.Graph().add("DataflowMatrix", id="dmm", streams=["tanh", "cosine"])


def _delayed_copy(n=64, steps=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 2, (n, steps, 1), generator=gen).float()
    y = torch.zeros_like(x)
    y[:, 2:] = x[:, :-2]
    return x, y


def test_pruning_keeps_links_and_adam_moments_at_zero():
    g = self_modifying(steps=6)
    d = g.node("dmm")
    d.params.update(prune_below=0.15, prune_every=5)
    g.remove("W_last")
    x, y = _delayed_copy()
    run = dw.train(g, data={"x": x, "y": y}, loss="mse", optimizer=("adam", {"lr": 1e-2}),
                   steps=30, background=False, out=False, progress=False)
    assert run.state == "finished", run.reason
    module = run.model.blocks["dmm"]
    pruned = module.mask == 0
    assert pruned.any() and not pruned.all()
    links = run.model.blocks["links"].value
    state = run.optimizer.state[links]
    for t in (links, state["exp_avg"], state["exp_avg_sq"]):
        assert (t.detach()[pruned] == 0).all()
    # the link count is a metric of every step, and only falls
    counts = [r["dmm/links"] for r in run.history]
    assert counts[0] == module.mask.numel() and counts[-1] == int((~pruned).sum())
    assert all(a >= b for a, b in zip(counts, counts[1:]))
    # further steps (no more pruning) leave pruned links and their moments at zero
    module.prune_below = 0.0
    run2 = dw.train(g, data={"x": x, "y": y}, loss="mse", optimizer=("adam", {"lr": 1e-2}),
                    steps=20, background=False, out=False, progress=False, start=False)
    run2.model.load_state_dict(run.model.state_dict())
    run2.model.blocks["dmm"].prune_below = 0.0
    run2.start(background=False)
    links2 = run2.model.blocks["links"].value
    assert (links2.detach()[pruned] == 0).all()
    st = run2.optimizer.state[links2]
    assert (st["exp_avg"][pruned] == 0).all() and (st["exp_avg_sq"][pruned] == 0).all()
    assert (links2.detach()[~pruned] != links.detach()[~pruned]).any()  # the rest trained


def test_own_matrix_prunes_through_the_sparsify_callback():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 6, 1])
    d = g.add("DataflowMatrix", id="dmm", streams=["identity", "identity", "tanh"], inputs=1)
    r = g.add("Linear", id="read", in_features=3, out_features=1)
    g.connect(x, (d, "x"))
    g.connect((d, "y"), r)
    g.add_output(r, name="y")
    x, y = _delayed_copy()
    run = dw.train(g, data={"x": x, "y": y}, loss="mse", optimizer=("adam", {"lr": 1e-2}),
                   steps=12, background=False, out=False, progress=False,
                   callbacks=[dw.Sparsify(threshold=0.2, every=4)])
    module = run.model.blocks["dmm"]
    pruned = module.mask == 0
    assert pruned.any()
    assert (module.W0.detach()[pruned] == 0).all()
    assert (run.optimizer.state[module.W0]["exp_avg"][pruned] == 0).all()
    assert run.history[-1]["dmm/links"] == int((~pruned).sum())


def test_link_count_and_matrix_stream_to_the_editor():
    g = two_streams()
    g.node("dmm").params["matrix"] = "parameter"
    g.remove("W")
    ed = dw.Editor(g)
    rec = EventRecorder(ed)
    x, y = _delayed_copy(steps=3)
    run = dw.train(g, data={"x": x, "y": y[..., :1].expand(-1, -1, 2).contiguous()},
                   loss="mse", steps=4, background=False, out=False, progress=False,
                   callbacks=[dw.Sparsify(threshold=0.3, every=2)])
    assert run.plotted == ["dmm/links"]
    cb = LiveCallback(ed, interval=0.0, snapshot_every=0)
    cb.on_metrics(run, list(run.history))
    metrics = rec.of("metrics")[-1]
    assert metrics["values"]["dmm/links"] == [r["dmm/links"] for r in run.history]
    grid = rec.of("link_matrix")[-1]["nodes"]["dmm"]
    mask = run.model.blocks["dmm"].mask
    assert grid["mask"] == mask.tolist() and len(grid["values"]) == 2
    assert len(grid["values"][0]) == 4
    assert link_matrix_event(type("NoModel", (), {"model": None})(), 0) is None


def test_a_per_sample_matrix_written_by_another_part_of_the_graph():
    """An MLP reading a context vector writes each sequence's own starting matrix."""
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 4, 1])
    c = g.add("Input", name="c", shape=[None, 2])
    f = g.add("MLP", id="f", widths=[2, 8, 2 * 4])
    r = g.add("Reshape", id="r", shape=[2, 4])
    d = g.add("DataflowMatrix", id="dmm", streams=["tanh", "accumulator"], inputs=1,
              matrix="port")
    g.connect(c, f)
    g.connect(f, r)
    g.connect(x, (d, "x"))
    g.connect(r, (d, "W"))
    g.add_output((d, "y"), name="y")
    assert g.infer_shapes()["dmm"] == {"y": ["B", 4, 2], "W": ["B", 2, 4]}
    model = g.compile(seed=0, dtype=torch.float64)
    xs = torch.ones(2, 4, 1, dtype=torch.float64)
    y = model(x=xs, c=torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64))
    assert (y[0] - y[1]).abs().max() > 1e-6  # same input, different matrices
    y.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.blocks["f"].parameters())
    # a batch of matrices that does not match the batch of sequences is refused
    with pytest.raises(dw.ShapeMismatch, match=r"B = 2, the batch of x.*\[3, 2, 4\]") as info:
        model.blocks["dmm"](xs, torch.zeros(3, 2, 4, dtype=torch.float64))
    assert info.value.port == "W"
