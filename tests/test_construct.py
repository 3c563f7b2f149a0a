"""Modules built without nn.Module.__init__ (blocks/construct.py) are the modules torch's
constructors build: same attributes, same parameters drawn from the same seed, and a
compiled graph's state_dict is the one the plain constructors gave."""

from collections import OrderedDict

import pytest
import torch
from torch import nn

import diffwire as dw
from diffwire.blocks.activations import ACTIVATIONS
from diffwire.blocks.construct import HookDict, activation, linear


def _same_layout(a: nn.Module, b: nn.Module) -> None:
    """`a` has what torch's `b` has: the same class (or construct's subclass of it, named
    alike, whose hook tables come on first use), attributes and empty tables."""
    later = getattr(type(a), "_tables_on_first_use", frozenset())
    assert type(a) is type(b) or (later and type(a).__bases__ == (type(b),)
                                  and type(a).__name__ == type(b).__name__)
    assert set(a.__dict__) | later == set(b.__dict__)
    for k, v in b.__dict__.items():
        if isinstance(v, torch.Tensor) or k in ("_parameters",):
            continue
        got = getattr(a, k) if k in later else a.__dict__[k]  # a read makes a late table
        # hook tables: torch's OrderedDicts, ours the smaller HookDict
        assert type(got) is (HookDict if type(v) is OrderedDict else type(v)), k
        assert got == v, k


def _hook_calls(m: nn.Module) -> list:
    """Every kind of hook registered on `m` (some prepended, one removed), and the order
    they ran in through a forward, a backward, a state_dict and a load_state_dict."""
    calls = []

    def note(name):
        def hook(*args, **kwargs):
            calls.append(name)
        return hook

    m.register_forward_pre_hook(note("pre1"))
    m.register_forward_pre_hook(note("pre0"), prepend=True)
    m.register_forward_pre_hook(note("pre_kw"), with_kwargs=True)
    m.register_forward_hook(note("fwd1"))
    gone = m.register_forward_hook(note("removed"))
    m.register_forward_hook(note("fwd0"), prepend=True)
    m.register_forward_hook(note("fwd_always"), always_call=True)
    m.register_full_backward_pre_hook(note("bpre1"))
    m.register_full_backward_pre_hook(note("bpre0"), prepend=True)
    m.register_full_backward_hook(note("bwd1"))
    m.register_full_backward_hook(note("bwd0"), prepend=True)
    m.register_state_dict_pre_hook(note("sd_pre"))
    m.register_load_state_dict_post_hook(note("load_post"))
    gone.remove()
    m(torch.randn(2, 3, requires_grad=True)).sum().backward()
    m.load_state_dict(m.state_dict())
    return calls


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("sizes", [(8, 8), (3, 5), (1, 64)])
def test_linear_matches_nn_linear(sizes, bias):
    torch.manual_seed(7)
    ref = nn.Linear(*sizes, bias=bias)
    after_ref = torch.rand(3)
    torch.manual_seed(7)
    fast = linear(*sizes, bias)
    after_fast = torch.rand(3)
    _same_layout(fast, ref)
    assert list(fast.state_dict()) == list(ref.state_dict())
    for k, v in ref.state_dict().items():
        assert torch.equal(fast.state_dict()[k], v), k
    assert torch.equal(after_fast, after_ref)  # the generator advanced alike
    assert isinstance(fast.weight, nn.Parameter) and fast.weight.requires_grad
    x = torch.randn(4, sizes[0])
    assert torch.equal(fast(x), ref(x))


def test_hooks_of_every_kind_run_as_on_a_torch_built_module():
    import copy

    want = _hook_calls(nn.Linear(3, 2))
    assert want[:3] == ["pre0", "pre1", "pre_kw"] and "removed" not in want
    assert _hook_calls(linear(3, 2)) == want
    assert _hook_calls(copy.deepcopy(linear(3, 2))) == want


def test_a_linear_nodes_module_gets_its_hook_tables_on_first_use():
    from diffwire.blocks.construct import wrap
    from diffwire.blocks.linear import _Checked

    a, b = (wrap(_Checked, inner=linear(3, 2)) for _ in range(2))
    assert "_forward_hooks" not in a.__dict__ and "_state_dict_hooks" not in a.__dict__
    assert a._forward_hooks is a._forward_hooks is not b._forward_hooks  # each its own
    assert "_forward_hooks" in a.__dict__
    want = _hook_calls(_Checked(nn.Linear(3, 2)))
    assert _hook_calls(wrap(_Checked, inner=linear(3, 2))) == want


def test_a_linear_layer_gets_its_hook_tables_on_first_use_and_keeps_nn_linears_ways():
    """construct's nn.Linear holds no empty hook tables (1 KB a layer) until one is read;
    it is an nn.Linear to isinstance, repr, pickling, copying and the importer."""
    import copy
    import io

    m = linear(3, 2)
    assert isinstance(m, nn.Linear) and repr(m) == repr(nn.Linear(3, 2))
    assert not {"_forward_hooks", "_non_persistent_buffers_set"} & set(m.__dict__)
    from diffwire.blocks.construct import wrap
    from diffwire.blocks.fastpath import hooked
    from diffwire.blocks.linear import _Checked

    wrap(_Checked, inner=m)(torch.randn(2, 3))  # the node's call checks m for hooks...
    assert not hooked(m) and "_forward_hooks" not in m.__dict__  # ...and makes no table
    m.register_forward_hook(lambda *a: None)
    assert hooked(m)
    for other in (copy.deepcopy(linear(3, 2)), _pickled(linear(3, 2))):
        assert _hook_calls(other) == _hook_calls(nn.Linear(3, 2))
    buf = io.BytesIO()
    torch.save(m.state_dict(), buf)
    assert list(torch.load(io.BytesIO(buf.getvalue()), weights_only=True)) == ["weight", "bias"]
    seq = nn.Sequential(linear(3, 2))
    imported = dw.from_module(seq, torch.randn(4, 3))
    assert [n.type for n in imported.nodes.values()].count("Linear") == 1


def _pickled(m: nn.Module) -> nn.Module:
    import pickle

    return pickle.loads(pickle.dumps(m))


def test_linear_follows_default_dtype():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert linear(2, 3).weight.dtype == torch.float64
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_constructor(name):
    fast, ref = activation(name), ACTIVATIONS[name]()
    _same_layout(fast, ref)
    assert fast._modules is not activation(name)._modules  # fresh containers per module
    x = torch.randn(5)
    assert torch.equal(fast(x), ref(x))
    hits = []
    fast.register_forward_hook(lambda *a: hits.append(1))
    fast(x)
    activation(name)(x)
    assert hits == [1]  # a hook on one node's module stays on that module


def _chain(n):
    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, 4])
    for i in range(n):
        node = g.add("Linear", in_features=4, out_features=4, bias=i % 3 != 0) if i % 2 == 0 \
            else g.add("Activation", fn="tanh")
        g.connect(prev, node)
        prev = node
    g.add_output(prev)
    return g


def test_compiled_weights_equal_plain_constructors(monkeypatch):
    """The same seed gives the state_dict that nn.Linear and nn.Tanh themselves gave."""
    g = _chain(12)
    fast = g.compile(seed=3)
    from diffwire.blocks import activation as act_mod
    from diffwire.blocks import linear as lin_mod

    monkeypatch.setattr(lin_mod, "new_linear", lambda i, o, b, store: nn.Linear(i, o, bias=b))
    monkeypatch.setattr(lin_mod, "wrap", lambda cls, inner: cls(inner))
    monkeypatch.setattr(act_mod, "activation", lambda name: ACTIVATIONS[name]())
    plain = g.compile(seed=3)
    a, b = fast.state_dict(), plain.state_dict()
    assert list(a) == list(b) and len(a) > 0
    for k in a:
        assert torch.equal(a[k], b[k]), k
    x = torch.randn(2, 4)
    assert torch.equal(fast(x), plain(x))
    # the same modules, a Linear node's layer being construct's nn.Linear (tables on first use)
    pairs = list(zip(fast.modules(), plain.modules(), strict=True))
    assert all(isinstance(f, type(p)) and type(f).__name__ == type(p).__name__
               for f, p in pairs)
