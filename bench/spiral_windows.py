"""The torchdiffeq spiral trained on random 10-point windows: torchdiffeq's own script vs the
same neural ODE built as a graph and trained with `dw.train` (a windowed data binding).

torchdiffeq's `examples/ode_demo.py` (its training loop transcribed below: RMSprop lr 1e-3,
batch_time 10, batch_size 20, dopri5 at torchdiffeq's default tolerances, L1 loss, an MLP
2-50-2 on y**3 with weights drawn from N(0, 0.1)) against `dw.train` on the graph with
`{"window": {"length": 10, "batch_size": 20, ...}}` and the same optimizer. Each side trains
from its own initial weights per seed (both N(0, 0.1), the graph through the MLP's
`init_std`; torch's default init ends near L1 1.0 after 300 iterations on either side); printed:
the full-trajectory L1 after the iterations per seed, the medians over seeds, and the
training time of each side (the script's periodic full-trajectory test solves left out).

    python bench/spiral_windows.py [--seeds 8] [--iters 300]
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torchdiffeq import odeint  # noqa: E402

import diffwire as dw  # noqa: E402

BATCH_TIME, BATCH_SIZE, LR = 10, 20, 1e-3


class ODEFunc(nn.Module):
    """ode_demo.py's ODEFunc."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 50), nn.Tanh(), nn.Linear(50, 2))
        for m in self.net.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0, std=0.1)
                nn.init.constant_(m.bias, val=0)

    def forward(self, t, y):
        return self.net(y ** 3)


def script(seed: int, iters: int, t, true_y) -> tuple[float, float]:
    """ode_demo.py's loop: (full-trajectory L1 at the end, training seconds)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    true_y = true_y[:, None]  # the script's [T, 1, 2]
    true_y0 = true_y[0]
    n = len(t)
    func = ODEFunc()
    optimizer = torch.optim.RMSprop(func.parameters(), lr=LR)
    start = time.perf_counter()
    for _ in range(iters):
        optimizer.zero_grad()
        s = torch.from_numpy(np.random.choice(np.arange(n - BATCH_TIME, dtype=np.int64),
                                              BATCH_SIZE, replace=False))
        batch_y0, batch_t = true_y[s], t[:BATCH_TIME]
        batch_y = torch.stack([true_y[s + i] for i in range(BATCH_TIME)], dim=0)
        pred_y = odeint(func, batch_y0, batch_t)
        loss = torch.mean(torch.abs(pred_y - batch_y))
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        l1 = torch.mean(torch.abs(odeint(func, true_y0, t) - true_y)).item()
    return l1, seconds


def spiral_graph() -> dw.Graph:
    """The demo's graph: Input y -> Expression y**3 -> MLP 2-50-2 (tanh) -> dy, dopri5."""
    return dw.ode.spiral_neural_ode()


def windowed(seed: int, iters: int, t, true_y) -> tuple[float, float]:
    """dw.train on windows: (full-trajectory L1 at the end, training seconds)."""
    data = {"y": {"source": "kernel", "value": true_y,
                  "window": {"length": BATCH_TIME, "batch_size": BATCH_SIZE, "time": "t",
                             "start": "y0"}},
            "t": {"source": "kernel", "value": t, "batch": False}}
    start = time.perf_counter()
    run = dw.train(spiral_graph(), data=data, loss="l1", optimizer=("rmsprop", {"lr": LR}),
                   steps=iters, seed=seed, background=False, progress=False)
    seconds = time.perf_counter() - start
    assert run.state == "finished", run.reason
    with torch.no_grad():
        l1 = torch.mean(torch.abs(run.model(y0=true_y[0], t=t) - true_y)).item()
    return l1, seconds


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--iters", type=int, default=300)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t, true_y, _y0, _ = dw.ode.spiral()
    rows = []
    for seed in range(args.seeds):
        a = script(seed, args.iters, t, true_y)  # alternated so drift hits both alike
        b = windowed(seed, args.iters, t, true_y)
        rows.append((seed, *a, *b))
        print(f"seed {seed}: script L1 {a[0]:.4f} ({a[1]:.1f} s)   "
              f"dw.train windows L1 {b[0]:.4f} ({b[1]:.1f} s)", flush=True)
    med = {k: statistics.median(r[i] for r in rows)
           for i, k in enumerate(["", "script_l1", "script_s", "dw_l1", "dw_s"]) if k}
    print(f"median over {args.seeds} seeds, {args.iters} iterations: full-trajectory L1 "
          f"script {med['script_l1']:.4f}, dw.train {med['dw_l1']:.4f}; training time "
          f"script {med['script_s']:.1f} s, dw.train {med['dw_s']:.1f} s "
          f"(ratio {med['dw_s'] / med['script_s']:.2f})")
    return med


if __name__ == "__main__":
    main()
