"""Simulated data sets: the built-in generators of the training section and the ODE problems.

A problem solves its true system with a tight-tolerance dopri5 in float64, then adds seeded
Gaussian noise scaled per component by `noise` times the mean absolute value of that
component (the Lotka-Volterra UDE paper's recipe). The library calls these functions
(:mod:`diffwire.train.generators`, :mod:`diffwire.ode.problems`) and an exported file holds
their source (:data:`SOURCES`).
"""

import torch


def sine(n=128, noise=0.0, seed=0, low=-3.0, high=3.0):
    """y = sin(x) (+ Gaussian noise) on n points of [low, high], as float32 columns."""
    x = torch.linspace(low, high, n, dtype=torch.float32).unsqueeze(-1)
    gen = torch.Generator().manual_seed(seed)
    return {"x": x, "y": torch.sin(x) + noise * torch.randn(x.shape, generator=gen)}


def tight_solve(rhs, y0, t):
    """dy/dt = rhs(t, y) from y0 over the times t, float64, dopri5 at 1e-10 tolerance."""
    import torchdiffeq  # imported when a problem is solved: it imports scipy

    with torch.no_grad():
        return torchdiffeq.odeint(rhs, y0.double(), t.double(), rtol=1e-10, atol=1e-10,
                                  method="dopri5")


def noisy(clean, noise, seed):
    """clean + Gaussian noise of `noise` times each component's mean absolute value."""
    gen = torch.Generator().manual_seed(seed)
    scale = noise * clean.abs().mean(0)
    return clean + scale * torch.randn(clean.shape, generator=gen, dtype=torch.float64)


def observed(rhs, u0, n, t_end, noise, seed):
    """A simulated experiment: dy/dt = rhs(t, y) from u0, observed at n times over
    [0, t_end] with :func:`noisy` noise; t, noisy y, y0 and the clean solution, float32."""
    t = torch.linspace(0, t_end, n, dtype=torch.float64)
    y0 = torch.as_tensor(u0, dtype=torch.float64)
    clean = tight_solve(rhs, y0, t)
    y = noisy(clean, noise, seed)
    return {"t": t.float(), "y": y.float(), "y0": y0.float(), "clean": clean.float()}


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
    return observed(lotka_volterra_field(alpha, beta, gamma, delta), u0, n, t_end, noise, seed)


def delayed_copy(n=256, steps=12, delay=3, seed=0):
    """Random bit sequences x [n, steps, 1] and y, the same bits `delay` steps later (0
    before them): a memory task for sequence models, float32."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 2, (n, steps, 1), generator=gen).float()
    y = torch.zeros_like(x)
    if delay < steps:
        y[:, delay:] = x[:, :steps - delay]
    return {"x": x, "y": y}


def ideal_spring(samples=50, n=30, t_end=3.0, noise=0.1, seed=0, test_split=0.5):
    """The ideal mass-spring of the Hamiltonian neural network paper: H = (q^2 + p^2) / 2.
    `samples` trajectories of `n` points over [0, t_end], each from a random direction at a
    radius uniform in [0.1, 1]; states (q, p) get Gaussian noise of std `noise`, derivatives
    (dq/dt, dp/dt) = (p, -q) are the clean ones. The first `test_split` of the trajectories
    is `x`/`dx`, the rest `test_x`/`test_dx` (float32; `y0` and `test_y0` the starts)."""
    gen = torch.Generator().manual_seed(seed)
    direction = torch.rand(samples, 2, generator=gen, dtype=torch.float64) * 2 - 1
    radius = torch.rand(samples, 1, generator=gen, dtype=torch.float64) * 0.9 + 0.1
    y0 = direction / direction.norm(dim=1, keepdim=True) * radius
    t = torch.linspace(0.0, t_end, n, dtype=torch.float64)[None, :]
    c, s = torch.cos(t), torch.sin(t)  # the exact solution: a rotation of (q0, p0)
    q = y0[:, :1] * c + y0[:, 1:] * s
    p = -y0[:, :1] * s + y0[:, 1:] * c
    clean = torch.stack([q, p], -1)  # [samples, n, 2]
    dx = torch.stack([p, -q], -1)
    x = clean + noise * torch.randn(clean.shape, generator=gen, dtype=torch.float64)
    k = int(samples * test_split)
    out = {"x": x[:k], "dx": dx[:k], "test_x": x[k:], "test_dx": dx[k:], "y0": y0[:k],
           "test_y0": y0[k:]}
    return {key: v.reshape(-1, 2).float() for key, v in out.items()}


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
    return observed(sir_field(beta, gamma), u0, n, t_end, noise, seed)


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
    return observed(damped_pendulum_field(g_over_l, damping), y0, n, t_end, noise, seed)


#: generator name -> the functions an exported file needs for it, in order (the last one
#: is the generator).
SOURCES = {
    "sine": [sine],
    "delayed_copy": [delayed_copy],
    "lotka_volterra": [tight_solve, noisy, observed, lotka_volterra_field, lotka_volterra],
    "ideal_spring": [ideal_spring],
    "sir": [tight_solve, noisy, observed, sir_field, sir],
    "damped_pendulum": [tight_solve, noisy, observed, damped_pendulum_field, damped_pendulum],
}
