"""The flat weight store (blocks/weight_store.py): a large document's Linear layers take
their parameters from shared slabs, and nothing a user relies on changes: the same seeded
weights, state_dict, gradients, optimizer steps, checkpoints, copies and conversions as the
build without it (``FLAT_FROM`` raised), and less C++ heap per layer."""

import copy
import ctypes
import gc
import io
import pickle

import pytest
import torch
from test_large_documents import chain as inner_chain

import diffwire as dw
import diffwire.compile as dwc
from diffwire.blocks.weight_store import WeightStore

N = 3000  # nodes: above FLAT_FROM


def chain(n, width=8):
    """An n-node chain (input, alternating Linear and tanh, output)."""
    return inner_chain(n - 2, width)


@pytest.fixture(scope="module")
def graph():
    return chain(N)


def _storages(model) -> int:
    return len({p.untyped_storage().data_ptr() for p in model.parameters()})


def build(graph, flat: bool, monkeypatch=None, **kw):
    saved = dwc.FLAT_FROM
    dwc.FLAT_FROM = 2 if flat else 10**9
    try:
        return graph.compile(seed=0, check=False, **kw)
    finally:
        dwc.FLAT_FROM = saved


def test_a_large_document_uses_the_store_and_a_small_one_does_not(graph):
    assert N >= dwc.FLAT_FROM
    model = graph.compile(seed=0, check=False)
    params = list(model.parameters())
    assert len(params) == 2 * (N // 2 - 1)
    # 56 Linear(8, 8) layers to a 4,096-element slab
    assert _storages(model) <= len(params) // 100
    assert all(p.is_leaf and p.requires_grad and type(p) is torch.nn.Parameter
               for p in params)
    small = chain(100).compile(seed=0)
    assert _storages(small) == len(list(small.parameters()))


def test_seeded_weights_state_dict_and_names_are_the_unflattened_builds(graph):
    flat, plain = build(graph, True), build(graph, False)
    assert _storages(flat) < _storages(plain)
    a, b = flat.state_dict(), plain.state_dict()
    assert list(a) == list(b) and "blocks.linear.inner.weight" in a
    for k in a:
        assert a[k].shape == b[k].shape and torch.equal(a[k], b[k]), k
    assert [n for n, _ in flat.named_parameters()] == [n for n, _ in plain.named_parameters()]


def test_gradients_and_adam_steps_match_the_unflattened_build(graph):
    flat, plain = build(graph, True), build(graph, False)
    x = torch.randn(5, 8)
    opts = [torch.optim.Adam(m.parameters(), lr=1e-2) for m in (flat, plain)]
    for _ in range(2):
        for m, opt in zip((flat, plain), opts):
            opt.zero_grad()
            (m(x) ** 2).sum().backward()
            opt.step()
    for (n, p), (_, q) in zip(flat.named_parameters(), plain.named_parameters()):
        assert p.grad is not None and p.grad.untyped_storage().data_ptr() != \
            p.untyped_storage().data_ptr(), n
        assert torch.equal(p.grad, q.grad), n
        assert torch.equal(p, q), n
    # an optimizer over one node's parameters (the last layer's: the gradient reaching
    # the first through 1,500 tanh layers is 0) moves that node alone
    before = {k: v.clone() for k, v in flat.state_dict().items()}
    last = list(flat.blocks.built())[-1]
    opt = torch.optim.SGD(flat.blocks[last].parameters(), lr=0.1)
    opt.zero_grad()
    flat(x).sum().backward()
    opt.step()
    changed = {k for k, v in flat.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {f"blocks.{last}.inner.weight", f"blocks.{last}.inner.bias"}


def test_an_in_place_change_of_one_parameter_leaves_its_neighbours_versions(graph):
    """Each parameter has its own version counter: autograd does not take a change of one
    layer's weight for a change of the next one's (a view of one tensor would)."""
    flat = build(graph, True)
    w1 = flat.blocks["linear"].inner.weight
    layers = [m for k, m in flat.blocks.built().items() if k != "linear"]
    w2 = layers[0].inner.weight
    assert w1.untyped_storage().data_ptr() == w2.untyped_storage().data_ptr()
    x = torch.randn(3, 8)
    y = (x @ w2.t()).sum()  # saves w2 (and x) for backward
    with torch.no_grad():
        w1.mul_(0.5)
    y.backward()  # no "modified by an inplace operation"
    assert w2.grad is not None


def test_checkpoint_round_trip_is_no_larger_and_loads_with_weights_only(graph, tmp_path):
    flat, plain = build(graph, True), build(graph, False)
    for m, name in ((flat, "flat.pt"), (plain, "plain.pt")):
        torch.save(m.state_dict(), tmp_path / name)
    size_flat = (tmp_path / "flat.pt").stat().st_size
    size_plain = (tmp_path / "plain.pt").stat().st_size
    assert size_flat <= size_plain, (size_flat, size_plain)
    back = torch.load(tmp_path / "flat.pt", weights_only=True)
    ref = plain.state_dict()
    assert list(back) == list(ref)
    assert all(torch.equal(back[k], ref[k]) for k in ref)
    other = build(graph, True)
    torch.manual_seed(5)
    with torch.no_grad():
        for p in other.parameters():
            p.normal_()
    other.load_state_dict(back)  # copies into the pieces
    assert all(torch.equal(v, ref[k]) for k, v in other.state_dict().items())
    assert _storages(other) == _storages(flat)


def test_copies_pickles_and_conversions_hold_the_same_values(graph):
    flat = build(graph, True)
    ref = {k: v.clone() for k, v in flat.state_dict().items()}
    x = torch.randn(4, 8)
    y = flat(x)
    for other in (copy.deepcopy(flat), pickle.loads(pickle.dumps(flat))):
        assert all(torch.equal(v, ref[k]) for k, v in other.state_dict().items())
        assert torch.equal(other(x), y)
        with torch.no_grad():  # the copy's pieces are its own
            next(other.parameters()).add_(1.0)
        assert torch.equal(next(flat.parameters()), next(iter(ref.values())))
    double = copy.deepcopy(flat).double()
    assert all(v.dtype == torch.float64 and torch.equal(v, ref[k].double())
               for k, v in double.state_dict().items())
    assert torch.allclose(double(x.double()), y.double(), atol=1e-5)
    assert graph.compile(seed=0, check=False, dtype=torch.float64).state_dict()[
        "blocks.linear.inner.weight"].dtype == torch.float64


def test_hooks_on_a_node_of_a_flat_build_see_its_calls(graph):
    flat = build(graph, True)
    seen = []
    flat.blocks["linear"].register_forward_hook(lambda m, a, out: seen.append(out.shape))
    flat.blocks["linear"].inner.weight.register_hook(lambda g: seen.append("grad"))
    flat(torch.randn(2, 8)).sum().backward()
    assert seen == [torch.Size([2, 8]), "grad"]


def test_the_store_keeps_no_unused_end_and_large_parameters_apart():
    store = WeightStore()
    a, b = store.parameter((8, 8)), store.parameter((8,))
    big = store.parameter((64, 64))
    store.close()
    assert a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    assert a.untyped_storage().nbytes() == 72 * 4  # shrunk to what was handed out
    assert big.untyped_storage().data_ptr() != a.untyped_storage().data_ptr()
    with torch.no_grad():
        a.fill_(1.0)
        b.fill_(2.0)
    assert a.sum().item() == 64 and b.sum().item() == 16
    with torch.device("meta"):
        assert WeightStore().parameter((8, 8)).device.type == "meta"


def _heap() -> int:
    """Bytes in use on the C heap (glibc's mallinfo2): torch's tensors, storages and data,
    which tracemalloc does not see; the same count for the same allocations."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2  # noqa: B018 - glibc 2.33 or later
    except (OSError, AttributeError):
        pytest.skip("needs glibc's mallinfo2")

    class Info(ctypes.Structure):
        _fields_ = [(f, ctypes.c_size_t) for f in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    libc.mallinfo2.restype = Info
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


def test_c_heap_bytes_per_linear_layer(graph):
    """C heap bytes a Linear(8, 8) node's model adds (mallinfo2), measured here: 1,479 B
    in the plain build (two tensors' impl, autograd meta, storage and data each, and what
    else the build puts on the C heap) against 1,209 in the flat build; the bound catches
    a build without the store."""
    layers = N // 2 - 1
    per = {}
    for flat in (False, True):
        gc.collect()
        before = _heap()
        model = build(graph, flat)
        per[flat] = (_heap() - before) / layers
        del model
    assert per[True] < per[False] - 200, per
    assert per[True] < 1330, per


def test_a_checkpoint_buffer_round_trips_through_the_run_store_format(graph):
    """The run store saves ``{k: v.detach().cpu()}``: still the slabs, once each."""
    flat = build(graph, True)
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in flat.state_dict().items()}, buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=True)
    assert all(torch.equal(back[k], v) for k, v in flat.state_dict().items())


def test_training_a_flat_build_checkpoints_and_resumes_exactly(tmp_path):
    """dw.train on a document above FLAT_FROM: its checkpoint loads with weights_only and
    resumes to the uninterrupted run (the same losses, the same final weights)."""
    g = chain(dwc.FLAT_FROM + 2, width=4)
    data = {"x": torch.randn(16, 4).numpy(), "y": torch.randn(16, 4).numpy()}
    kw = dict(data=data, steps=4, seed=3, progress=False, background=False)
    full = dw.train(g, **kw)
    assert _storages(full.model) < len(list(full.model.parameters())) // 50
    first = dw.train(g, out=tmp_path, checkpoint_every=2, **{**kw, "steps": 2})
    ck = first.path / "checkpoints" / "step_0000002.pt"
    saved = torch.load(ck, weights_only=True)
    assert set(saved["model"]) == set(full.model.state_dict())
    resumed = dw.resume(ck, data=data, steps=4, progress=False, background=False)
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in full.history]
    for k, v in full.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[k], v), k


def test_a_change_of_default_dtype_starts_a_new_slab():
    store = WeightStore()
    a = store.parameter((4,))
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        b = store.parameter((4,))
    finally:
        torch.set_default_dtype(old)
    store.close()
    assert a.dtype == torch.float32 and b.dtype == torch.float64
    assert a.untyped_storage().data_ptr() != b.untyped_storage().data_ptr()
    with torch.no_grad():
        b.fill_(1.5)
    assert b.tolist() == [1.5] * 4
