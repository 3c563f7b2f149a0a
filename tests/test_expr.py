"""The expression parser: a whitelist, never eval; clear errors naming the bad token."""

import math
import time

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import diffwire as dw
from diffwire import expr as ex


def value(text, **env):
    return ex.evaluate(ex.parse(text), env)


def test_precedence_and_associativity():
    assert value("1 + 2 * 3") == 7
    assert value("2 ** 3 ** 2") == 512
    assert value("-2 ** 2") == -4
    assert value("(1 + 2) * 3 - 4 / 2") == 7
    assert value("1e-3 * 1000") == pytest.approx(1.0)


def test_functions_indexing_and_components():
    y = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = value("a*y[0] - b*y[0]*y[1], exp(-y[1])", y=y, a=2.0, b=0.5)
    assert torch.allclose(out, torch.stack([2 * y[:, 0] - 0.5 * y[:, 0] * y[:, 1],
                                            torch.exp(-y[:, 1])], -1))
    assert ex.names(ex.parse("a*sin(x) + y[1]")) == {"a", "x", "y"}


@pytest.mark.parametrize("text, token", [
    ("__import__('os').system('ls')", "'"),
    ("x.real", "."),
    ("os.system(1)", "."),
    ("eval(x)", "eval"),
    ("lambda: 1", ":"),
    ("x; y", ";"),
    ("x if y else z", "'if' at 2"),
    ("open(x)", "open"),
    ("x[y]", "y"),
    ("x @ y", "@"),
    ("1 +", "end of text"),
    ("(x", "end of text"),
])
def test_anything_outside_the_whitelist_names_the_token(text, token):
    with pytest.raises(dw.ExpressionError) as info:
        ex.parse(text)
    assert token in str(info.value)


def test_expression_block_names_unknown_names():
    with pytest.raises(dw.ExpressionError) as info:
        dw.Graph().add("Expression", expr="alpha*x + gamma", inputs=["x"], constants={"alpha": 1})
    assert info.value.port == "expr" and info.value.found == "gamma"


def test_pathological_inputs_fail_fast():
    start = time.perf_counter()
    for text in ["(" * 10_000 + "x" + ")" * 10_000, "x+" * 500_000 + "x", "-" * 5000 + "x",
                 "1" * 1_000_000]:
        with pytest.raises(dw.ExpressionError):
            ex.parse(text)
    assert time.perf_counter() - start < 5.0  # generous: the point is "no hang"


def test_source_for_export_is_torch_only():
    src = ex.to_source(ex.parse("alpha*x - sin(y[1])**2"), lambda n: f"v_{n}")
    assert src == "((v_alpha * v_x) - (torch.sin(torch.as_tensor(v_y[..., 1])) ** 2.0))"


names = st.sampled_from(["a", "b", "c"])
leaf = st.one_of(st.integers(1, 9).map(str), names)


def trees(depth):
    if depth == 0:
        return leaf
    sub = trees(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        sub.map(lambda s: f"-{s}"),
    )


@settings(max_examples=200, deadline=None)
@given(trees(4), st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3))
def test_random_expressions_agree_with_python_arithmetic(text, a, b, c):
    env = {"a": a, "b": b, "c": c}
    expected = _py_eval(text, env)
    got = value(text, a=torch.tensor(a, dtype=torch.float64), b=torch.tensor(b, dtype=torch.float64),
                c=torch.tensor(c, dtype=torch.float64))
    assert math.isclose(float(got), expected, rel_tol=1e-9, abs_tol=1e-9)


def _py_eval(text, env):
    # The reference evaluator for generated, trusted test strings only (digits, a-c, + - * ()).
    assert set(text) <= set("0123456789abc+-*() ")
    code = compile(text, "<test>", "eval")
    return eval(code, {"__builtins__": {}}, env)  # noqa: S307 - trusted, generated text
