"""Lotka-Volterra UDE training to the same loss: diffwire (built-in RK4 on the data grid,
the fastest setting for a problem this small) vs a straightforward hand-written
torchdiffeq script (dopri5, rtol = atol = 1e-6). Target: diffwire >= 2x faster.

Both start from the same weights and run the UDE paper's schedule, Adam(lr 0.1) then LBFGS,
until the training loss reaches TARGET. Also reports the median time of one
forward+backward step (CPU time and wall clock). `--full` asks for a loss deep into the
LBFGS phase (minutes); `--repeats N` runs N fit pairs (alternating which side goes first)
and reports the median ratio; `--steps` stops after the per-step figure.
"""

from __future__ import annotations

import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))

import torch  # noqa: E402
import torchdiffeq  # noqa: E402
from torch import nn  # noqa: E402

import diffwire as dw  # noqa: E402
from diffwire.ode.fitting import fit  # noqa: E402

TARGET = 0.01  # needs the LBFGS phase; --full: 0.003, close to the noise floor


class RBF(nn.Module):
    def forward(self, x):
        return torch.exp(-(x * x))


class HandUDE(nn.Module):
    """What one writes by hand: known terms + network, integrated by torchdiffeq."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 5), RBF(), nn.Linear(5, 5), RBF(),
                                 nn.Linear(5, 5), RBF(), nn.Linear(5, 2))

    def field(self, t, u):
        x, y = u[..., 0], u[..., 1]
        return torch.stack([1.3 * x, -1.8 * y], -1) + self.net(u)

    def forward(self, y0, t):
        return torchdiffeq.odeint(self.field, y0, t, method="dopri5", rtol=1e-6, atol=1e-6)


def models():
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    ours = g.compile(seed=0).double()
    hand = HandUDE().double()
    mlp = ours.blocks["solve"].field.body.blocks["U"]
    hand.net.load_state_dict(mlp.state_dict())  # same initial weights
    return ours, hand


def tight_loss(ours, data) -> float:
    """The loss of diffwire's trained network inside the hand-written model (dopri5 at
    rtol = atol = 1e-6): the fit holds for the ODE, not only for the fixed RK4 grid."""
    hand = HandUDE().double()
    hand.net.load_state_dict(ours.blocks["solve"].field.body.blocks["U"].state_dict())
    with torch.no_grad():
        return float(((hand(data.y0, data.t) - data.y) ** 2).mean())


def one_step(model, data) -> tuple[float, float]:
    """Seconds for one forward+backward: (process CPU time, wall clock)."""
    c0, t0 = time.process_time(), time.perf_counter()
    loss = ((model(y0=data.y0, t=data.t) - data.y) ** 2).mean()
    loss.backward()
    return time.process_time() - c0, time.perf_counter() - t0


def step_times(a, b, data, runs=41):
    """Median CPU times of a and b and the medians of their per-pair ratios on CPU time
    and on wall clock (interleaved, alternating which goes first)."""
    for _ in range(3):
        one_step(a, data), one_step(b, data)
    ta, tb = [], []
    for i in range(runs):
        if i % 2:
            ta.append(one_step(a, data))
            tb.append(one_step(b, data))
        else:
            tb.append(one_step(b, data))
            ta.append(one_step(a, data))
    cpu = statistics.median(y[0] / x[0] for x, y in zip(ta, tb))
    wall = statistics.median(y[1] / x[1] for x, y in zip(ta, tb))
    return statistics.median(x[0] for x in ta), statistics.median(y[0] for y in tb), cpu, wall


def main() -> None:
    torch.set_num_threads(1)
    target = 0.003 if "--full" in sys.argv else TARGET
    data = dw.ode.lotka_volterra(dtype=torch.float64)
    ours, hand = models()
    s_ours, s_hand, cpu, wall = step_times(ours, hand, data)
    print(f"one forward+backward: diffwire {s_ours * 1e3:.1f} ms, torchdiffeq script "
          f"{s_hand * 1e3:.1f} ms (CPU); speed-up, median of 41 paired ratios: {cpu:.2f}x CPU "
          f"time, {wall:.2f}x wall clock", flush=True)
    if "--steps" in sys.argv:
        return
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 1
    ratios, cpu_ratios = [], []
    for i in range(repeats):
        results, cpu = {}, {}
        pair = list(zip(("diffwire", "torchdiffeq"), models()))
        for name, model in pair if i % 2 == 0 else pair[::-1]:  # alternate who goes first
            c0 = time.process_time()
            r = fit(model, data.y0, data.t, data.y, adam_steps=200, lr=0.1, lbfgs_steps=3000,
                    target_loss=target)
            results[name], cpu[name] = r, time.process_time() - c0
            print(f"{name:12s} reached loss {min(r.history):.4g} after {len(r.history)} "
                  f"evaluations in {r.wall:.1f} s wall, {cpu[name]:.1f} s CPU", flush=True)
            if name == "diffwire":
                print(f"{'':12s} its weights under the script's dopri5 solve: loss "
                      f"{tight_loss(model, data):.4g} (the RK4 grid is not what fits)", flush=True)
        a, b = results["diffwire"], results["torchdiffeq"]
        if min(a.history) <= target and min(b.history) <= target:
            ratios.append(b.wall / a.wall)
            cpu_ratios.append(cpu["torchdiffeq"] / cpu["diffwire"])
            print(f"time to loss {target}: speed-up {cpu_ratios[-1]:.2f}x CPU time, "
                  f"{ratios[-1]:.2f}x wall clock", flush=True)
        else:
            print(f"one side did not reach loss {target}; compare the per-step figure")
    if ratios:
        print(f"time to loss {target}, median of {len(ratios)} paired runs: speed-up "
              f"{statistics.median(cpu_ratios):.2f}x CPU time, {statistics.median(ratios):.2f}x "
              "wall clock (target >= 2x)")


if __name__ == "__main__":
    main()
