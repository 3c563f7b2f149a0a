"""Nodes as text on the canvas: an Expression's formula and an ODESolve's vector field
written as equations built from its body (Block.symbolic, diffwire.equations)."""

from __future__ import annotations

import diffwire as dw
from diffwire.symbolic import Sym, binary, elementwise, expression_lines, negate
from diffwire.widget.analysis import analyze


def test_lv_ude_field_reads_as_equations():
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    formulas = analyze(g)["formulas"]
    assert formulas["solve"] == ["dx/dt = alpha*x + U[0](x, y)", "dy/dt = -delta*y + U[1](x, y)"]
    # inside the field, the Expression shows its own formula
    assert formulas["solve/field/known"] == ["[0] alpha*y[0]", "[1] -delta*y[1]"]


def test_all_four_known_terms_and_learnable_constants():
    g = dw.ode.lotka_volterra_ude(known=("alpha*x", "-beta*x*y", "gamma*x*y", "-delta*y"),
                                  learn_known=True)
    assert analyze(g)["formulas"]["solve"] == [
        "dx/dt = alpha*x - beta*x*y + U[0](x, y)",
        "dy/dt = gamma*x*y - delta*y + U[1](x, y)",
    ]


def test_neural_ode_field_is_the_network():
    g = dw.ode.neural_ode(2)
    assert analyze(g)["formulas"]["solve"] == ["dx/dt = U[0](x, y)", "dy/dt = U[1](x, y)"]


def test_field_of_blocks_uses_each_blocks_rule():
    """Sub, Mul and Neg write their operators; a Linear is an opaque function of the state."""
    g = dw.ode.neural_ode(2)
    body = g.node("solve").body["field"]
    for nid in list(body.nodes):
        if nid not in ("y", "t"):
            body.remove(nid)
    lin = body.add("Linear", id="lin", in_features=2, out_features=2)
    neg = body.add("Neg", id="neg")
    mul = body.add("Mul", id="mul")
    dy = body.add("Output", name="dy")
    body.connect("y", lin)
    body.connect(lin, neg)
    body.connect(neg, mul, target_port="a")
    body.connect("y", mul, target_port="b")
    body.connect(mul, dy)
    assert analyze(g)["formulas"]["solve"] == ["dx/dt = -lin[0](x, y)*x", "dy/dt = -lin[1](x, y)*y"]


def test_printer_puts_parentheses_only_where_needed():
    assert binary("*", "a + b", "c") == "(a + b)*c"
    assert binary("-", "a", "b - c") == "a - (b - c)"
    assert binary("+", "a", "-b") == "a - b"
    assert binary("/", "a*b", "c*d") == "a*b/(c*d)"
    assert binary("**", "x", "2") == "x**2"
    assert negate("-x") == "x" and negate("a + b") == "-(a + b)"
    s = elementwise("+", Sym("k", ("a", "b")), Sym("u"))
    assert s.parts == ("a + u", "b + u")
    assert expression_lines("alpha*x - beta*x*y") == ["alpha*x - beta*x*y"]


def test_a_field_the_rules_cannot_read_still_gives_one_line():
    g = dw.ode.neural_ode(2)
    body = g.node("solve").body["field"]
    body.node("U").params["widths"] = [2, 8, 3]  # the width no longer matches the state
    lines = analyze(g)["formulas"].get("solve")
    assert lines is None or len(lines) == 1
