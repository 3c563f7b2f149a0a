"""Bad input to ODESolve: each case is a GraphError that names the ODESolve node."""

import pytest
import torch
from ode_helpers import solve_graph

import diffwire as dw


def expr_field(text, dim=2, **solve):
    body = dw.Graph()
    y = body.add("Input", name="y", kind="state")
    t = body.add("Input", name="t", kind="time")
    e = body.add("Expression", id="rhs", expr=text, inputs=["y", "t"])
    body.connect(y, e, target_port="y")
    body.connect(t, e, target_port="t")
    body.add_output(e, name="dy")
    return solve_graph(body, dim, **solve)


def test_field_output_shape_differs_from_state():
    body = dw.Graph()
    y = body.add("Input", name="y", kind="state")
    f = body.add("MLP", widths=[2, 4, 3])
    body.connect(y, f)
    body.add_output(f, name="dy")
    g = solve_graph(body)
    errors = [e for e in g.validate() if e.severity == "error"]
    assert errors and errors[0].node == "solve" and errors[0].port == "dy"
    assert "shape" in str(errors[0])
    model = g.compile(check=False)
    with pytest.raises(dw.GraphError, match="node 'solve'.*different shape"):
        model(y0=torch.ones(4, 2), t=torch.linspace(0, 1, 3))


@pytest.mark.parametrize("grid", [[0.0, 0.5, 0.5, 1.0], [0.0, 1.0, 0.5]])
def test_time_grid_not_strictly_increasing(grid):
    model = expr_field("-y[0], -y[1]").compile()
    with pytest.raises(dw.GraphError, match="not strictly increasing") as info:
        model(y0=torch.ones(2), t=torch.tensor(grid))
    assert info.value.node == "solve" and info.value.port == "t"


def test_stiff_problem_exhausts_max_steps():
    model = expr_field("-1000*(y[0] - cos(t)), -1000*(y[1] - sin(t))", method="dopri5",
                       rtol=1e-10, atol=1e-10, max_steps=50).compile()
    with pytest.raises(dw.GraphError, match="max_steps") as info:
        model(y0=torch.ones(2, dtype=torch.float64), t=torch.linspace(0, 5, 3, dtype=torch.float64))
    assert info.value.node == "solve" and info.value.port == "max_steps"


def test_fixed_step_over_max_steps():
    model = expr_field("-y[0], -y[1]", method="builtin_rk4", step_size=0.001,
                       max_steps=100).compile()
    with pytest.raises(dw.GraphError, match="max_steps") as info:
        model(y0=torch.ones(2), t=torch.linspace(0, 1, 3))
    assert info.value.node == "solve"


def test_nan_from_the_field_adaptive():
    model = expr_field("log(0*y[0] - 1), -y[1]", method="dopri5").compile()
    with pytest.raises(dw.GraphError, match="NaN") as info:
        model(y0=torch.ones(2), t=torch.linspace(0, 1, 3))
    assert info.value.node == "solve"


def test_blow_up_gives_non_finite_solution():
    model = expr_field("y[0]*y[0]*y[0], -y[1]", method="builtin_euler").compile()
    with pytest.raises(dw.GraphError, match="NaN or inf") as info:
        model(y0=torch.full((2,), 10.0), t=torch.linspace(0, 5, 20))
    assert info.value.node == "solve" and info.value.port == "y"


def test_adjoint_with_builtin_method_is_a_param_error():
    with pytest.raises(dw.ParamError, match="adjoint"):
        expr_field("-y[0], -y[1]", method="builtin_rk4", adjoint=True)


def test_error_inside_the_field_names_the_inner_node():
    model = expr_field("y[0]*y[5], -y[1]").compile(check=False)
    with pytest.raises(dw.GraphError) as info:
        model(y0=torch.ones(2), t=torch.linspace(0, 1, 3))
    assert info.value.node.startswith("solve") and "rhs" in info.value.node
