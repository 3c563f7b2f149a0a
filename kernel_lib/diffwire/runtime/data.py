"""Simulated data sets: the built-in generators of the training section and the ODE problems.

A problem solves its true system with a tight-tolerance dopri5 in float64, then adds seeded
Gaussian noise scaled per component by `noise` times the mean absolute value of that
component (the Lotka-Volterra UDE paper's recipe). The library calls these functions
(:mod:`diffwire.train.generators`, :mod:`diffwire.ode.problems`) and an exported file holds
their source (:data:`SOURCES`).
"""

import torch
import torchdiffeq


def sine(n=128, noise=0.0, seed=0, low=-3.0, high=3.0):
    """y = sin(x) (+ Gaussian noise) on n points of [low, high], as float32 columns."""
    x = torch.linspace(low, high, n, dtype=torch.float32).unsqueeze(-1)
    gen = torch.Generator().manual_seed(seed)
    return {"x": x, "y": torch.sin(x) + noise * torch.randn(x.shape, generator=gen)}


def tight_solve(rhs, y0, t):
    """dy/dt = rhs(t, y) from y0 over the times t, float64, dopri5 at 1e-10 tolerance."""
    with torch.no_grad():
        return torchdiffeq.odeint(rhs, y0.double(), t.double(), rtol=1e-10, atol=1e-10,
                                  method="dopri5")


def noisy(clean, noise, seed):
    """clean + Gaussian noise of `noise` times each component's mean absolute value."""
    gen = torch.Generator().manual_seed(seed)
    scale = noise * clean.abs().mean(0)
    return clean + scale * torch.randn(clean.shape, generator=gen, dtype=torch.float64)


def lotka_volterra_field(alpha, beta, gamma, delta):
    """Predator-prey: dx = alpha x - beta x y, dy = gamma x y - delta y."""

    def rhs(t, u):
        x, y = u[..., 0], u[..., 1]
        return torch.stack([alpha * x - beta * x * y, gamma * x * y - delta * y], -1)

    return rhs


def lotka_volterra(n=31, t_end=3.0, noise=0.05, seed=0, alpha=1.3, beta=0.9, gamma=0.8,
                   delta=1.8, u0=(0.44249296, 4.6280594)):
    """Predator-prey data (the UDE paper's setup): t, noisy y, y0 and the clean solution,
    float32."""
    t = torch.linspace(0, t_end, n, dtype=torch.float64)
    y0 = torch.as_tensor(u0, dtype=torch.float64)
    clean = tight_solve(lotka_volterra_field(alpha, beta, gamma, delta), y0, t)
    y = noisy(clean, noise, seed)
    return {"t": t.float(), "y": y.float(), "y0": y0.float(), "clean": clean.float()}


def sir_field(beta, gamma):
    """SIR epidemic: dS = -beta S I, dI = beta S I - gamma I, dR = gamma I."""

    def rhs(t, u):
        s, i = u[..., 0], u[..., 1]
        infection, recovery = beta * s * i, gamma * i
        return torch.stack([-infection, infection - recovery, recovery], -1)

    return rhs


def sir(n=41, t_end=10.0, noise=0.02, seed=0, beta=1.0, gamma=0.2, u0=(0.99, 0.01, 0.0)):
    """SIR epidemic data (fractions of a population): t, noisy y, y0 and the clean
    solution, float32."""
    t = torch.linspace(0, t_end, n, dtype=torch.float64)
    y0 = torch.as_tensor(u0, dtype=torch.float64)
    clean = tight_solve(sir_field(beta, gamma), y0, t)
    y = noisy(clean, noise, seed)
    return {"t": t.float(), "y": y.float(), "y0": y0.float(), "clean": clean.float()}


def damped_pendulum_field(g_over_l, damping):
    """dtheta = omega, domega = -(g/L) sin(theta) - damping omega."""

    def rhs(t, u):
        th, om = u[..., 0], u[..., 1]
        return torch.stack([om, -g_over_l * torch.sin(th) - damping * om], -1)

    return rhs


def damped_pendulum(n=51, t_end=5.0, noise=0.02, seed=0, g_over_l=4.0, damping=0.3,
                    y0=(1.5, 0.0)):
    """Damped pendulum data (angle, angular velocity): t, noisy y, y0 and the clean
    solution, float32."""
    t = torch.linspace(0, t_end, n, dtype=torch.float64)
    start = torch.as_tensor(y0, dtype=torch.float64)
    clean = tight_solve(damped_pendulum_field(g_over_l, damping), start, t)
    y = noisy(clean, noise, seed)
    return {"t": t.float(), "y": y.float(), "y0": start.float(), "clean": clean.float()}


#: generator name -> the functions an exported file needs for it, in order (the last one
#: is the generator).
SOURCES = {
    "sine": [sine],
    "lotka_volterra": [tight_solve, noisy, lotka_volterra_field, lotka_volterra],
    "sir": [tight_solve, noisy, sir_field, sir],
    "damped_pendulum": [tight_solve, noisy, damped_pendulum_field, damped_pendulum],
}
