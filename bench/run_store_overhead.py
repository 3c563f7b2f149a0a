"""Throughput of a run that keeps its folder (metric chunks every `flush_every` seconds, the
record, the final weights, CSV and checkpoint) against the same run in memory only.

    python bench/run_store_overhead.py [--steps 2000] [--repeats 9] [--flush-every 2]

Adjacent pairs, order alternated; the ratio is the median of the pairs' ratios of steps/s,
on wall time and on the process's CPU time (which other processes do not disturb).
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import diffwire as dw  # noqa: E402


def graph() -> dw.Graph:
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    h = g.add("MLP", id="mlp", widths=[2, 64, 64, 2], activation="tanh")
    g.connect(x, h)
    g.add_output(h, name="y")
    return g


def once(kept: bool, steps: int, data: dict, flush_every: float) -> tuple:
    """(steps/s wall, steps/s CPU, metric chunks, steps/s while running) of one run: the
    first three from start to its last file (the end writes weights, CSV and a checkpoint),
    the last over the run's own running time (the steady state: the loop with its periodic
    flushes)."""
    with tempfile.TemporaryDirectory() as tmp:
        run = dw.train(graph(), data=data, steps=steps, batch_size=128, seed=0,
                       progress=False, out=tmp if kept else None, flush_every=flush_every,
                       start=False)
        c0, t0 = time.process_time(), time.perf_counter()
        run.start(background=False)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        assert run.state == "finished", run.reason
        chunks = len(list((run.path / "metrics").iterdir())) if kept else 0
        if kept:
            assert len(dw.load_run(run.path).history) == steps
        steady = run.steps_per_s
    return steps / dt, steps / dc, chunks, steady


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--flush-every", type=float, default=2.0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1024, 2)).astype(np.float32)
    data = {"x": x, "y": np.tanh(x[:, ::-1]).copy()}
    once(True, 100, data, args.flush_every)  # warm-up
    pairs: dict[str, list[float]] = {"wall": [], "cpu": [], "steady": []}
    rates: dict[bool, list[float]] = {False: [], True: []}
    chunks = []
    for rep in range(args.repeats):
        got = {}
        for kept in ((False, True) if rep % 2 == 0 else (True, False)):
            got[kept] = once(kept, args.steps, data, args.flush_every)
            rates[kept].append(got[kept][0])
        chunks.append(got[True][2])
        pairs["wall"].append(got[True][0] / got[False][0])
        pairs["cpu"].append(got[True][1] / got[False][1])
        pairs["steady"].append(got[True][3] / got[False][3])
    ratio = {k: statistics.median(v) for k, v in pairs.items()}
    print(f"kept: {statistics.median(rates[True]):.0f} steps/s, in memory: "
          f"{statistics.median(rates[False]):.0f} steps/s, {statistics.median(chunks):.0f} "
          f"chunks per run")
    print(f"ratio kept/in memory, median of {args.repeats} adjacent pairs: wall "
          f"{ratio['wall']:.3f} (pairs {min(pairs['wall']):.3f}-{max(pairs['wall']):.3f}), "
          f"cpu {ratio['cpu']:.3f} (pairs {min(pairs['cpu']):.3f}-{max(pairs['cpu']):.3f}); "
          f"steady state (running time, end writes left out) {ratio['steady']:.3f} "
          f"(pairs {min(pairs['steady']):.3f}-{max(pairs['steady']):.3f})")


if __name__ == "__main__":
    main()
