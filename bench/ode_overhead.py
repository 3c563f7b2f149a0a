"""ODESolve through diffwire vs torchdiffeq.odeint called directly with the same vector
field module: forward+backward time ratio (target <= 1.02; DESIGN.md allows 1.05).

Both sides integrate the same MLP field (same weights) from a batch of initial states;
timings interleave the two and report the median of many runs.
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


class Field(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, t, y):
        return self.net(y)


def graph(method: str, hidden: int) -> dw.Graph:
    body = dw.Graph()
    y = body.add("Input", name="y", kind="state")
    net = body.add("MLP", id="net", widths=[2, hidden, 2], activation="tanh")
    body.connect(y, net)
    body.add_output(net, name="dy")
    g = dw.Graph()
    y0 = g.add("Input", name="y0", kind="state", shape=["B", 2])
    t = g.add("Input", name="t", kind="time", shape=["T"])
    s = g.add("ODESolve", id="solve", method=method, rtol=1e-6, atol=1e-8, body={"field": body})
    g.connect(y0, (s, "y0"))
    g.connect(t, (s, "t"))
    g.add_output(s, name="y")
    return g


def timed(fn, reps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def main(runs: int = 201, reps: int = 1) -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    y0 = torch.randn(16, 2)
    t = torch.linspace(0, 1, 10)
    for method, hidden in (("dopri5", 50), ("rk4", 50), ("dopri5", 8)):
        model = graph(method, hidden).compile(seed=0)
        field = Field(model.blocks["solve"].field.body.blocks["net"])

        def ours(model=model):
            model(y0=y0, t=t).square().sum().backward()

        def direct(field=field, method=method):
            y = torchdiffeq.odeint(field, y0, t, method=method, rtol=1e-6, atol=1e-8)
            y.square().sum().backward()

        for fn in (ours, direct):
            timed(fn, 3)  # warm up
        ratios, a, b = [], [], []
        for _ in range(runs):
            x, y = timed(ours, reps), timed(direct, reps)
            a.append(x)
            b.append(y)
            ratios.append(x / y)
        print(f"{method:7s} MLP 2-{hidden}-2, batch 16, 10 times: diffwire "
              f"{statistics.median(a) * 1e3:.2f} ms, torchdiffeq {statistics.median(b) * 1e3:.2f} ms,"
              f" ratio (median of {runs}) {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
