"""Property: any whitelisted expression exports to code that computes what the compiled
Expression block computes (values and gradients), precedence included."""

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffwire as dw

from export_util import load_source

ATOMS = st.sampled_from(["x", "y", "c", "k", "x[0]", "y[1]", "2", "0.5", "3.25"])
FUNCS = ["sin", "cos", "tanh", "sigmoid", "exp", "abs", "softplus", "relu"]


def _expr(depth):
    if depth == 0:
        return ATOMS
    sub = _expr(depth - 1)
    return st.one_of(
        ATOMS,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"),
        # a function of constants alone trips the core's shape inference (a CPU tensor
        # among meta ones), so each call also sees an input
        st.tuples(st.sampled_from(FUNCS), sub).map(lambda t: f"{t[0]}({t[1]} + y)"),
        sub.map(lambda s: f"-({s})"),
        sub.map(lambda s: f"({s})**2"),
        sub.map(lambda s: f"({s})"),
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_expr(3), min_size=1, max_size=3))
def test_expression_code_matches(parts, tmp_path):
    text = ", ".join(parts)
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None])
    y = g.add("Input", name="y", shape=[None])
    e = g.add("Expression", expr=text, inputs=["x", "y"], constants={"c": 0.75},
              learnable={"k": -1.25})
    g.connect(x, (e, "x"))
    g.connect(y, (e, "y"))
    g.add_output(e, name="out")
    compiled = g.compile()
    exported = load_source(dw.export(g, training=False), tmp_path).Model()
    exported.load_state_dict(compiled.state_dict())
    gen = torch.Generator().manual_seed(len(text))
    xs = [torch.randn(5, generator=gen), torch.randn(5, generator=gen)]
    a_in = [t.clone().requires_grad_(True) for t in xs]
    b_in = [t.clone().requires_grad_(True) for t in xs]
    a, b = compiled(*a_in), exported(*b_in)
    torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6, equal_nan=True)
    if a.requires_grad:
        a.sum().backward()
        b.sum().backward()
        for p, q in zip(a_in + list(compiled.parameters()), b_in + list(exported.parameters())):
            if p.grad is not None or q.grad is not None:
                torch.testing.assert_close(p.grad, q.grad, atol=1e-6, rtol=1e-6, equal_nan=True)
