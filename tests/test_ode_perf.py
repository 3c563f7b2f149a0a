"""The ODE fast paths: generated field function, float-grid built-in steps, cached grid
check, compiled Expression trees. Each must give what the general path gives."""

import copy
import pickle

import pytest
import torch
from ode_helpers import mlp_field
from torch.nn.utils import prune

import diffwire as dw
from diffwire import expr as ex
from diffwire.blocks.expression import ExpressionModule
from diffwire.errors import GraphError
from diffwire.ode import fixed_step

T = torch.linspace(0, 1, 6)
Y0 = torch.tensor([[1.0, -0.5], [0.3, 0.2], [-1.0, 0.8]])


@pytest.mark.parametrize("method", ["builtin_rk4", "builtin_euler"])
@pytest.mark.parametrize("step_size", [None, 0.05])
def test_float_grid_steps_match_tensor_grid_steps(method, step_size):
    model = mlp_field(method=method, step_size=step_size).compile(seed=0)
    solve = model.blocks["solve"]
    y0 = Y0.double()
    model = model.double()
    out = model(y0=y0, t=T.double())
    n_sub = fixed_step.substeps(T, step_size) if step_size else None
    ref = fixed_step.solve_fixed(solve.field.fn, y0, T.double(), method, n_sub)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)


def test_field_function_counts_and_matches_the_body():
    model = mlp_field(method="dopri5").compile(seed=0)
    field = model.blocks["solve"].field
    field.reset()
    y = torch.randn(3, 2)
    dy = field.fn(torch.tensor(0.0), y)
    torch.testing.assert_close(dy, field.body.run(y)[0])
    assert field.nfe == 1 and field.last is dy
    assert field.fn.callback_accept_step is not None


@pytest.mark.parametrize("method", ["dopri5", "builtin_rk4"])
def test_copies_and_pickles_run_their_own_blocks(method):
    model = mlp_field(method=method).compile(seed=0)
    out = model(y0=Y0, t=T)
    twin = copy.deepcopy(model)  # after a solve: `last` holds a non-leaf tensor
    with torch.no_grad():
        for p in twin.parameters():
            p.mul_(0.5)
    assert not torch.allclose(twin(y0=Y0, t=T), out)
    torch.testing.assert_close(model(y0=Y0, t=T), out)  # the original is untouched
    again = pickle.loads(pickle.dumps(model))
    torch.testing.assert_close(again(y0=Y0, t=T), out)
    assert again.blocks["solve"].stats.nfe > 0


def test_grid_changed_in_place_is_checked_again():
    model = mlp_field(method="builtin_rk4").compile(seed=0)
    t = T.clone()
    model(y0=Y0, t=t)
    model(y0=Y0, t=t)  # the cached check
    t[3] = t[1]  # in place: the version counter moves
    with pytest.raises(GraphError, match="not strictly increasing"):
        model(y0=Y0, t=t)


@pytest.mark.parametrize("text, constants, learnable", [
    ("alpha*y[0] - beta*y[0]*y[1], gamma*y[0]*y[1] - delta*y[1]",
     {"alpha": 1.3, "beta": 0.9}, {"gamma": 0.8, "delta": 1.8}),
    ("sin(y)**2 + 2**3 - -y/3", {}, {}),
    ("1, y[0]", {}, {}),
    ("2*3", {}, {}),
    ("lambda*y + a/0 + 10**400*y", {"lambda": 2.0, "a": 1}, {}),
    ("softplus(y) - exp(2) - (-(c*y))", {"c": -1.5}, {}),
])
def test_compiled_expression_matches_evaluate(text, constants, learnable):
    m = ExpressionModule(text, ["y"], constants, learnable)
    y = torch.randn(4, 2)
    env = {**constants, **dict(m.learnable.items()), "y": y}
    ref = ex.evaluate(m.tree, env)
    ref = ref if isinstance(ref, torch.Tensor) else torch.full_like(y, ref)
    torch.testing.assert_close(m(y), ref, equal_nan=True)
    torch.testing.assert_close(copy.deepcopy(m)(y), ref, equal_nan=True)


def test_learnable_expression_constants_get_gradients():
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", learn_known=True)
    model = g.compile(seed=0)
    data = dw.ode.lotka_volterra()
    model(y0=data.y0, t=data.t).square().mean().backward()
    known = model.blocks["solve"].field.body.blocks["known"]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in known.parameters())


# -- the dense-layer fast path (blocks/fastpath.py) ---------------------------------------

def _mlp(activation, widths=(2, 5, 5, 2), final="none"):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[widths[0]])
    m = g.add("MLP", id="U", widths=list(widths), activation=activation, final_activation=final)
    g.connect(x, m)
    g.add_output(m, name="y")
    return g.compile(seed=0).double().blocks["U"]


def _linear_block():
    """A compiled Linear block 3 -> 2 (the block module, not its inner nn.Linear)."""
    g = dw.Graph()
    i = g.add("Input", name="x", shape=[3])
    n = g.add("Linear", id="L", in_features=3, out_features=2)
    g.connect(i, n)
    g.add_output(n, name="y")
    return g.compile(seed=0).blocks["L"]


def _plain(mlp, x):
    """What nn.Sequential computes with the same layers, each called as a module."""
    for layer in mlp:
        x = layer(x)
    return x


@pytest.mark.parametrize("activation", ["rbf", "tanh", "relu", "sigmoid", "softplus", "sin",
                                        "exp", "gelu"])
@pytest.mark.parametrize("shape", [(2,), (7, 2), (3, 4, 2)])
def test_mlp_fast_path_matches_the_layers_called_as_modules(activation, shape):
    mlp = _mlp(activation, final="tanh")
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    out = mlp(x)
    ref = _plain(mlp, x)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    g_fast = torch.autograd.grad(out.square().sum(), [x, *mlp.parameters()])
    g_ref = torch.autograd.grad(ref.square().sum(), [x, *mlp.parameters()])
    for a, b in zip(g_fast, g_ref):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def _nodes(t) -> int:
    seen, todo = set(), [t.grad_fn]
    while todo:
        fn = todo.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        todo.extend(f for f, _ in fn.next_functions)
    return len(seen)


def test_a_one_sample_state_takes_one_addmv_per_layer():
    """An ODE state is a 1-D vector: each layer is one backward node, not nn.Linear's
    reshape, transpose and addmm (what made the LV UDE bench 2.5x a torchdiffeq script)."""
    mlp = _mlp("rbf")
    x = torch.randn(2, dtype=torch.float64, requires_grad=True)
    out = mlp(x)
    assert type(out.grad_fn).__name__ == "AddmvBackward0"
    assert _nodes(out) < _nodes(_plain(mlp, x))
    block = _linear_block()
    v = torch.randn(3)
    assert type(block(v.requires_grad_()).grad_fn).__name__ == "AddmvBackward0"
    torch.testing.assert_close(block(v), block.inner(v))
    block.inner.bias = None  # no bias: mv
    torch.testing.assert_close(block(v), block.inner(v))


def test_mlp_fast_path_follows_replaced_layers_and_copies():
    mlp = _mlp("tanh")
    x = torch.randn(4, 2, dtype=torch.float64)
    before = mlp(x)
    mlp[0] = torch.nn.Linear(2, 5).double()  # a replaced layer is used, not a stale plan
    torch.testing.assert_close(mlp(x), _plain(mlp, x))
    assert not torch.allclose(mlp(x), before)
    twin = copy.deepcopy(mlp)
    with torch.no_grad():
        for p in twin.parameters():
            p.mul_(0.5)
    assert not torch.allclose(twin(x), mlp(x))
    torch.testing.assert_close(twin(x), _plain(twin, x))
    again = pickle.loads(pickle.dumps(mlp))
    torch.testing.assert_close(again(x), mlp(x))


def test_layers_with_hooks_run_as_modules():
    """prune / weight_norm compute the weight in a pre-hook and users capture activations
    with forward hooks: a hooked layer goes through its module, so all of these work."""
    mlp = _mlp("tanh")
    x = torch.randn(2, dtype=torch.float64)
    seen = []
    handle = mlp[2].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    mlp(x)
    assert seen == [torch.Size([5])]
    handle.remove()
    prune.l1_unstructured(mlp[0], "weight", 0.5)
    with torch.no_grad():
        mlp[0].weight_orig.add_(0.1)  # the pruned weight is recomputed from weight_orig
    torch.testing.assert_close(mlp(x), _plain(mlp, x))
    wn = _mlp("tanh")
    with pytest.warns(FutureWarning):  # the pre-hook kind, deprecated for parametrizations
        wn[0] = torch.nn.utils.weight_norm(wn[0])
    opt = torch.optim.SGD(wn.parameters(), lr=0.1)
    for _ in range(2):  # a stale weight would fail the second backward
        opt.zero_grad()
        wn(x).sum().backward()
        opt.step()
    torch.testing.assert_close(wn(x), _plain(wn, x))
    block = _linear_block()
    calls = []
    block.inner.register_forward_pre_hook(lambda m, a: calls.append(1))
    block(torch.randn(3))
    assert calls == [1]
