"""Modules built without nn.Module.__init__ (blocks/construct.py) are the modules torch's
constructors build: same attributes, same parameters drawn from the same seed, and a
compiled graph's state_dict is the one the plain constructors gave."""

import pytest
import torch
from torch import nn

import diffwire as dw
from diffwire.blocks.activations import ACTIVATIONS
from diffwire.blocks.construct import activation, linear


def _same_layout(a: nn.Module, b: nn.Module) -> None:
    assert type(a) is type(b)
    assert set(a.__dict__) == set(b.__dict__)
    for k, v in b.__dict__.items():
        if isinstance(v, torch.Tensor) or k in ("_parameters",):
            continue
        assert type(a.__dict__[k]) is type(v), k
        assert a.__dict__[k] == v, k


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

    monkeypatch.setattr(lin_mod, "new_linear", lambda i, o, b: nn.Linear(i, o, bias=b))
    monkeypatch.setattr(lin_mod, "wrap", lambda cls, inner: cls(inner))
    monkeypatch.setattr(act_mod, "activation", lambda name: ACTIVATIONS[name]())
    plain = g.compile(seed=3)
    a, b = fast.state_dict(), plain.state_dict()
    assert list(a) == list(b) and len(a) > 0
    for k in a:
        assert torch.equal(a[k], b[k]), k
    x = torch.randn(2, 4)
    assert torch.equal(fast(x), plain(x))
    assert [type(m) for m in fast.modules()] == [type(m) for m in plain.modules()]
