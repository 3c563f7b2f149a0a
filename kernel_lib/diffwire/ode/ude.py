"""Universal differential equations as ordinary graphs.

A UDE's field is known terms (an Expression with fixed or learnable constants) plus a
neural term (an MLP, id ``U``), combined by a Sum block: nothing here is special to the
compiler. The builders return a Graph with Inputs `y0` and `t` and Output `y`.
"""

from __future__ import annotations

from ..document import Graph


def known_expression(terms, dim: int) -> str:
    """Expression text stacking one sum of terms per state component.

    `terms` is a list of ``(component, text)``; a component with no term gets ``0*y[0]``
    so the output keeps the state's shape.
    """
    parts = []
    for k in range(dim):
        mine = [text for comp, text in terms if comp == k]
        parts.append(" + ".join(f"({m})" for m in mine) if mine else "0*y[0]")
    return ", ".join(parts)


def ude(dim: int, known=(), constants: dict | None = None, learnable: dict | None = None,
        hidden=(5, 5, 5), activation: str = "rbf", neural: bool = True,
        method: str = "dopri5", rtol: float = 1e-6, atol: float = 1e-8, adjoint: bool = False,
        step_size: float | None = None, max_steps: int = 10_000) -> Graph:
    """A UDE graph: ODESolve whose field is `known` terms + an MLP ``U``.

    **Arguments:**

    - `dim`: the state's size D.
    - `known`: ``(component, expression)`` pairs in terms of ``y[0]``, ``y[1]``, ...
    - `constants`, `learnable`: the Expression's fixed and trained constants.
    - `hidden`, `activation`: the neural term's hidden widths (MLP D-hidden-D).
    - `neural`: False leaves the field as the known terms alone.
    - `method` ... `max_steps`: the ODESolve node's params.

    **Returns:** a Graph with Inputs ``y0`` [D] or [B, D] and ``t`` [T], Output ``y``.
    """
    if not known and not neural:
        raise ValueError("a field needs known terms or a neural term")
    g = Graph()
    y0 = g.add("Input", name="y0", kind="state", shape=[dim])
    t = g.add("Input", name="t", kind="time", shape=["T"])
    solve = g.add("ODESolve", id="solve", method=method, rtol=rtol, atol=atol, adjoint=adjoint,
                  step_size=step_size, max_steps=max_steps, label="solve",
                  body={"field": field(dim, known, constants, learnable, hidden, activation,
                                       neural)})
    g.connect(y0, solve, target_port="y0")
    g.connect(t, solve, target_port="t")
    g.add_output(solve, name="y")
    return g


def field(dim: int, known=(), constants=None, learnable=None, hidden=(5, 5, 5),
          activation="rbf", neural=True) -> Graph:
    """The vector-field body of :func:`ude`: Input y -> [Expression, MLP U] -> Sum -> dy."""
    b = Graph()
    y = b.add("Input", name="y", kind="state")
    parts = []
    if known:
        k = b.add("Expression", expr=known_expression(list(known), dim), inputs=["y"],
                  constants=dict(constants or {}), learnable=dict(learnable or {}),
                  id="known", label="known")
        b.connect(y, k, target_port="y")
        parts.append(k)
    if neural:
        u = b.add("MLP", id="U", widths=[dim, *hidden, dim], activation=activation, label="U")
        b.connect(y, u)
        parts.append(u)
    if len(parts) == 1:
        b.add_output(parts[0], name="dy")
        return b
    s = b.add("Sum", id="combine", n=len(parts), label="combine")
    for i, part in enumerate(parts):
        b.connect(part, s, target_port=f"x{i}")
    b.add_output(s, name="dy")
    return b


#: Lotka-Volterra's four terms, by name: (component, expression).
LV_TERMS = {
    "alpha*x": (0, "alpha*y[0]"),
    "-beta*x*y": (0, "-beta*y[0]*y[1]"),
    "gamma*x*y": (1, "gamma*y[0]*y[1]"),
    "-delta*y": (1, "-delta*y[1]"),
}
LV_CONSTANTS = {"alpha": 1.3, "beta": 0.9, "gamma": 0.8, "delta": 1.8}


def lotka_volterra_ude(known=("alpha*x", "-delta*y"), learn_known: bool = False,
                       hidden=(5, 5, 5), activation: str = "rbf", **solve) -> Graph:
    """The UDE paper's Lotka-Volterra model: known terms alpha*x and -delta*y (by default
    fixed at their true values; `learn_known` trains them) plus a 2-5-5-5-2 rbf network U
    for the interaction terms. `solve` passes ODESolve params (method, rtol, ...)."""
    terms = [LV_TERMS[name] for name in known]
    used = {c for c in LV_CONSTANTS if any(c in text for _, text in terms)}
    consts = {k: v for k, v in LV_CONSTANTS.items() if k in used}
    return ude(2, terms, constants=None if learn_known else consts,
               learnable=consts if learn_known else None, hidden=hidden,
               activation=activation, **solve)


def term_ude(dim: int, terms: dict, hidden=(16, 16), activation: str = "tanh",
             init_std: float = 0.1, **solve) -> Graph:
    """A UDE whose known terms are separate Expression blocks marked ``ablatable`` (one per
    term, so :func:`diffwire.ablate` can withhold each) beside an MLP ``U`` for the unknown
    part, all summed into the field.

    **Arguments:**

    - `dim`: the state's size D.
    - `terms`: ``{node id: (expression, constants)}``; an expression gives every component
      (``"0*y[0], -gamma*y[1], gamma*y[1]"``), its constants are fixed.
    - `hidden`, `activation`: the network's hidden widths (MLP D-hidden-D).
    - `init_std`: the network's weights start from N(0, init_std): a field that starts as
      the known terms alone, so the first solves stay near the data.
    - `solve`: the ODESolve node's params (method, step_size, ...).

    **Returns:** a Graph with Inputs ``y0`` and ``t``, Output ``y``.
    """
    g = ude(dim, (), hidden=hidden, activation=activation, **solve)
    body = g.node("solve").body["field"]
    body.node("U").params["init_std"] = init_std
    body.remove("dy")
    total = body.add("Sum", id="combine", n=len(terms) + 1, label="combine",
                     position=[520.0, 0.0])
    for i, (nid, (text, consts)) in enumerate(terms.items()):
        t = body.add("Expression", id=nid, label=nid.replace("_", " "), expr=text,
                     inputs=["y"], constants=dict(consts), ablatable=True,
                     position=[260.0, 130.0 * (i - len(terms))])
        body.connect("y", t, target_port="y")
        body.connect(t, total, target_port=f"x{i}")
    body.node("U").position = [260.0, 130.0]
    body.node("y").position = [0.0, 0.0]
    body.connect("U", total, target_port=f"x{len(terms)}")
    body.add_output(total, name="dy")
    return g


#: SIR's known term: recovery moves gamma I from I to R (the infection term is unknown).
SIR_TERMS = {"recovery": ("0*y[0], -gamma*y[1], gamma*y[1]", {"gamma": 0.2})}
#: The damped pendulum's known terms, each a separate block (theta = y[0], omega = y[1]).
PENDULUM_TERMS = {
    "kinematics": ("y[1], 0*y[1]", {}),
    "gravity": ("0*y[0], -g_over_l*sin(y[0])", {"g_over_l": 4.0}),
    "damping": ("0*y[1], -c*y[1]", {"c": 0.3}),
}


def sir_ude(hidden=(16, 16), activation: str = "tanh", **solve) -> Graph:
    """The SIR epidemic as a UDE: the recovery term gamma I known (fixed at the problem's
    gamma = 0.2, ablatable), a 3-16-16-3 network U for the unknown infection term."""
    return term_ude(3, SIR_TERMS, hidden=hidden, activation=activation, **solve)


def pendulum_ude(hidden=(16, 16), activation: str = "tanh", **solve) -> Graph:
    """The damped pendulum as a UDE: the kinematic term, gravity and damping known (at the
    problem's g/L = 4, c = 0.3), each ablatable, beside a 2-16-16-2 network U."""
    return term_ude(2, PENDULUM_TERMS, hidden=hidden, activation=activation, **solve)


def neural_ode(dim: int, hidden=(50,), activation: str = "tanh", **solve) -> Graph:
    """A pure neural ODE: the field is an MLP U alone (torchdiffeq's ode_demo model)."""
    return ude(dim, (), hidden=hidden, activation=activation, **solve)


def spiral_neural_ode(init_std: float = 0.1, **solve) -> Graph:
    """torchdiffeq's ode_demo model as a graph: Input y -> Expression ``y**3`` -> MLP 2-50-2
    (tanh, weights from N(0, `init_std`)) -> dy, solved from ``y0`` over ``t`` (`solve`:
    ODESolve params; by default dopri5 at rtol 1e-7, atol 1e-9)."""
    body = Graph()
    y = body.add("Input", name="y", kind="state")
    cube = body.add("Expression", id="cube", expr="y**3", inputs=["y"])
    net = body.add("MLP", id="net", widths=[2, 50, 2], activation="tanh", init_std=init_std)
    body.connect(y, (cube, "y"))
    body.connect(cube, net)
    body.add_output(net, name="dy")
    g = Graph()
    g0 = g.add("Input", name="y0", kind="state", shape=["B", 2])
    gt = g.add("Input", name="t", kind="time", shape=["T"])
    solve = g.add("ODESolve", id="solve", body={"field": body},
                  **(solve or {"method": "dopri5", "rtol": 1e-7, "atol": 1e-9}))
    g.connect(g0, (solve, "y0"))
    g.connect(gt, (solve, "t"))
    g.add_output(solve, name="y")
    return g
