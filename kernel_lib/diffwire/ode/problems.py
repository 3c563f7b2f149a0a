"""Problem generators: data simulated in the kernel (no downloads).

Each generator solves its true system with a tight-tolerance dopri5 in float64, then adds
seeded Gaussian noise scaled per component by `noise` times the mean absolute value of that
component (the Lotka-Volterra UDE paper's recipe). Same arguments and seed, same tensors.
The solve, the noise and the Lotka-Volterra field are :mod:`diffwire.runtime.data`'s, which
exported files embed.
"""

from __future__ import annotations

import contextvars
import dataclasses
import inspect
from collections.abc import Callable

import torch

from ..errors import GraphError
from ..runtime import data


@dataclasses.dataclass
class Trajectory:
    """A simulated data set. Unpacks as ``t, y, y0, params = problem(...)``.

    **Fields:** `t` [T], `y` noisy observations [T, D], `y0` [D], `params` the true
    constants, `clean` the noise-free solution, `name`, and `rhs(t, y)` the true field.
    """

    t: torch.Tensor
    y: torch.Tensor
    y0: torch.Tensor
    params: dict
    clean: torch.Tensor
    name: str
    rhs: Callable

    def __iter__(self):
        return iter((self.t, self.y, self.y0, self.params))

    def truth(self, t: torch.Tensor) -> torch.Tensor:
        """The noise-free solution on another grid (extrapolation targets)."""
        return simulate(self.rhs, self.y0, t).to(self.y.dtype)


#: Right-hand-side evaluations a simulation may use when a document asked for it (set by
#: `as_arrays`): the spiral demo's default takes about 6,400; stiff parameters from a file
#: would otherwise keep a validation busy for minutes. None: no budget (Python callers).
EVAL_BUDGET: contextvars.ContextVar[int | None] = contextvars.ContextVar("EVAL_BUDGET",
                                                                        default=None)


def simulate(rhs: Callable, y0: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Tight-tolerance float64 solve of `dy/dt = rhs(t, y)`."""
    budget = EVAL_BUDGET.get()
    if budget is not None:
        inner, count = rhs, [0]

        def rhs(t, y):
            count[0] += 1
            if count[0] > budget:
                raise GraphError(f"the simulation needs more than {budget} evaluations",
                                 port="kwargs", hint="shorten t_end or soften the parameters")
            return inner(t, y)

    return data.tight_solve(rhs, y0, t)


def _make(name, rhs, y0, t, params, noise, seed, dtype) -> Trajectory:
    y0 = torch.as_tensor(y0, dtype=torch.float64)
    t = torch.as_tensor(t, dtype=torch.float64)
    clean = simulate(rhs, y0, t)
    y = data.noisy(clean, noise, seed)
    return Trajectory(t.to(dtype), y.to(dtype), y0.to(dtype), dict(params), clean.to(dtype),
                      name, rhs)


def lotka_volterra(n: int = 31, t_end: float = 3.0, noise: float = 0.05, seed: int = 0,
                   alpha=1.3, beta=0.9, gamma=0.8, delta=1.8,
                   u0=(0.44249296, 4.6280594), dtype=torch.float32) -> Trajectory:
    """Predator-prey: dx = alpha x - beta x y, dy = gamma x y - delta y (UDE paper setup)."""
    rhs = data.lotka_volterra_field(alpha, beta, gamma, delta)
    return _make("lotka_volterra", rhs, u0, torch.linspace(0, t_end, n, dtype=torch.float64),
                 dict(alpha=alpha, beta=beta, gamma=gamma, delta=delta), noise, seed, dtype)


SPIRAL_A = ((-0.1, 2.0), (-2.0, -0.1))


def spiral(n: int = 1000, t_end: float = 25.0, noise: float = 0.0, seed: int = 0,
           y0=(2.0, 0.0), dtype=torch.float32) -> Trajectory:
    """torchdiffeq's ode_demo.py: dy/dt = (y**3) @ A with A = [[-0.1, 2], [-2, -0.1]]."""
    a = torch.tensor(SPIRAL_A, dtype=torch.float64)

    def rhs(t, y):
        return (y ** 3) @ a.to(y.dtype)

    return _make("spiral", rhs, y0, torch.linspace(0, t_end, n, dtype=torch.float64), {"A": SPIRAL_A}, noise, seed,
                 dtype)


def damped_pendulum(n: int = 51, t_end: float = 5.0, noise: float = 0.02, seed: int = 0,
                    g_over_l: float = 4.0, damping: float = 0.3, y0=(1.5, 0.0),
                    dtype=torch.float32) -> Trajectory:
    """dtheta = omega, domega = -(g/L) sin(theta) - damping * omega: a swing from 1.5 rad,
    about 1.6 periods by default (the extrapolation horizons then reach the decay)."""
    return _make("damped_pendulum", data.damped_pendulum_field(g_over_l, damping), y0,
                 torch.linspace(0, t_end, n, dtype=torch.float64),
                 dict(g_over_l=g_over_l, damping=damping), noise, seed, dtype)


def sir(n: int = 41, t_end: float = 10.0, noise: float = 0.02, seed: int = 0,
        beta: float = 1.0, gamma: float = 0.2, u0=(0.99, 0.01, 0.0),
        dtype=torch.float32) -> Trajectory:
    """SIR epidemic in fractions of a population: dS = -beta S I, dI = beta S I - gamma I,
    dR = gamma I. By default (R0 = 5) the span holds the rise, the peak near t = 7.5 and
    the start of the decline; the horizons past it, the epidemic's end."""
    return _make("sir", data.sir_field(beta, gamma), u0,
                 torch.linspace(0, t_end, n, dtype=torch.float64),
                 dict(beta=beta, gamma=gamma), noise, seed, dtype)


def mass_spring(n: int = 100, t_end: float = 10.0, noise: float = 0.02, seed: int = 0,
                k: float = 1.0, m: float = 1.0, c: float = 0.1, y0=(1.0, 0.0),
                dtype=torch.float32) -> Trajectory:
    """dx = v, dv = -(k x + c v) / m."""

    def rhs(t, u):
        x, v = u[..., 0], u[..., 1]
        return torch.stack([v, -(k * x + c * v) / m], -1)

    return _make("mass_spring", rhs, y0, torch.linspace(0, t_end, n, dtype=torch.float64), dict(k=k, m=m, c=c),
                 noise, seed, dtype)


def as_arrays(generator: Callable[..., Trajectory]) -> Callable[..., dict]:
    """A training-data generator from a problem: ``{"t", "y", "y0", "clean"}`` as numpy
    arrays (bind `t` and `y0` with ``"batch": false``)."""

    def gen(**kwargs) -> dict:
        token = EVAL_BUDGET.set(20_000)
        try:
            tr = generator(**kwargs)
        finally:
            EVAL_BUDGET.reset(token)
        return {"t": tr.t.numpy(), "y": tr.y.numpy(), "y0": tr.y0.numpy(),
                "clean": tr.clean.numpy()}

    gen.__name__ = generator.__name__
    gen.__doc__ = generator.__doc__
    gen.__signature__ = inspect.signature(generator)  # the kwargs a document may pass
    return gen


#: Ranges of the problems' keyword arguments when a document passes them: a simulation
#: at 1e-10 tolerance must stay seconds long, so stiffness (k/m, g/L) and spans are bounded.
RANGES: dict[str, dict] = {
    "lotka_volterra": {"n": (2, 10_000), "t_end": (0.0, 100.0), "noise": (0.0, 10.0),
                       "alpha": (0.0, 10.0), "beta": (0.0, 10.0), "gamma": (0.0, 10.0),
                       "delta": (0.0, 10.0), "u0": (0.0, 100.0)},
    "spiral": {"n": (2, 10_000), "t_end": (0.0, 100.0), "noise": (0.0, 10.0),
               "y0": (-3.0, 3.0)},
    "damped_pendulum": {"n": (2, 10_000), "t_end": (0.0, 100.0), "noise": (0.0, 10.0),
                        "g_over_l": (0.0, 100.0), "damping": (0.0, 10.0), "y0": (-10.0, 10.0)},
    "sir": {"n": (2, 10_000), "t_end": (0.0, 1_000.0), "noise": (0.0, 10.0),
            "beta": (0.0, 10.0), "gamma": (0.0, 10.0), "u0": (0.0, 1.0)},
    "mass_spring": {"n": (2, 10_000), "t_end": (0.0, 100.0), "noise": (0.0, 10.0),
                    "k": (0.0, 100.0), "m": (0.01, 100.0), "c": (0.0, 10.0),
                    "y0": (-100.0, 100.0)},
}

#: name -> generator; registered with the training engine's generator registry.
PROBLEMS: dict[str, Callable[..., Trajectory]] = {
    "lotka_volterra": lotka_volterra,
    "spiral": spiral,
    "damped_pendulum": damped_pendulum,
    "mass_spring": mass_spring,
    "sir": sir,
}

