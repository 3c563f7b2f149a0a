"""Hamiltonian neural networks (Greydanus et al. 2019) as graphs, and the paper's measures.

The network learns a scalar H(q, p); the Gradient block differentiates it, and the field is
(dq/dt, dp/dt) = (∂H/∂p, -∂H/∂q), conservative by construction. The baseline is a plain
MLP of the same size that predicts the time derivative directly.
"""

from __future__ import annotations

import copy

import torch

from .. import threads
from ..document import Graph


def hamiltonian_nn(hidden: int = 200, activation: str = "tanh") -> Graph:
    """Input x [B, 2] (q, p) -> Gradient of the MLP H (2-hidden-hidden-1) -> Expression
    ``g[1], -g[0]`` -> Output dx: the symplectic field of the learned H."""
    body = Graph()
    bx = body.add("Input", name="x")
    h = body.add("MLP", id="H", widths=[2, hidden, hidden, 1], activation=activation,
                 label="H(q, p)")
    body.connect(bx, h)
    body.add_output(h, name="f")
    g = Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    grad = g.add("Gradient", id="dH", inputs=["x"], wrt="x", body={"body": body},
                 label="∂H/∂(q, p)")
    field = g.add("Expression", id="field", expr="g[1], -g[0]", inputs=["g"],
                  label="(∂H/∂p, -∂H/∂q)")
    g.connect(x, (grad, "x"))
    g.connect((grad, "grad"), field)
    g.add_output(field, name="dx")
    return g


def derivative_mlp(hidden: int = 200, activation: str = "tanh") -> Graph:
    """The paper's baseline: Input x -> MLP 2-hidden-hidden-2 -> Output dx."""
    g = Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    mlp = g.add("MLP", id="net", widths=[2, hidden, hidden, 2], activation=activation)
    g.connect(x, mlp)
    g.add_output(mlp, name="dx")
    return g


def spring_energy(y: torch.Tensor) -> torch.Tensor:
    """H = (q^2 + p^2) / 2 of the ideal spring (k = m = 1), per state."""
    return 0.5 * (y[..., 0] ** 2 + y[..., 1] ** 2)


def rollout(model, y0: torch.Tensor, t: torch.Tensor, rtol: float = 1e-9,
            atol: float = 1e-9) -> torch.Tensor:
    """Integrate a trained field ``dx = model(x=...)`` from the states `y0` [N, 2] over
    `t` with dopri5 in float64 on a copy of the model (the paper integrates with RK45 at
    rtol 1e-12; a 1e-9 tolerance in float32 would step below its precision); returns
    [T, N, 2] in `y0`'s dtype. Torch threads as the training thread would pick them: on
    a busy machine, a second thread made these small evaluations 20-40x slower."""
    import torchdiffeq  # on first use: it imports scipy, which `import diffwire` spares

    field = copy.deepcopy(model).double().train(False)

    def f(_, y):
        return field(x=y)

    y = y0.double()
    with threads.scoped(field, {"x": y}), torch.no_grad():
        ys = torchdiffeq.odeint(f, y, t.double(), rtol=rtol, atol=atol, method="dopri5")
    return ys.to(y0.dtype)


def energy_mse(model, y0: torch.Tensor, t: torch.Tensor) -> tuple[float, torch.Tensor]:
    """The paper's energy measure: the mean squared difference between the true energy of
    the rolled-out states and the energy of the true trajectory (constant, H(y0)), over
    every time and start. Returns (mse, energies [T, N])."""
    ys = rollout(model, y0, t)
    energy = spring_energy(ys)
    return float(((energy - spring_energy(y0)) ** 2).mean()), energy
