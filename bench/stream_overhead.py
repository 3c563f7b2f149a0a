"""Throughput of a training run with the metrics stream and a live-plot callback attached,
against the same run with no listeners. Target: ratio >= 0.98.

    python bench/stream_overhead.py [--steps 1000] [--repeats 15]

Runs come in adjacent pairs (off then on, then on then off...) so drift in machine load
hits both alike; the ratio is the median of the pairs' ratios of steps/s. Two clocks: wall time, and the process's CPU time (all its
threads, the stream's included), which other processes on a shared machine do not disturb;
the verdict uses CPU time when the wall-clock runs scatter by more than the 2% looked for.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import diffwire as dw  # noqa: E402


class LivePlot(dw.Callback):
    """What the editor does with each metrics batch: extend the traces and serialise the
    update as the message it would send to the front end."""

    def __init__(self):
        self.x, self.y, self.messages = [], [], 0

    def on_metrics(self, run, records):
        xs = [r["step"] for r in records]
        ys = [r["loss"] for r in records]
        self.x.extend(xs)
        self.y.extend(ys)
        json.dumps({"type": "metrics", "x": xs, "y": ys,
                    "lr": records[-1]["lr"], "state": run.state})
        self.messages += 1

    def on_step_end(self, run, record):
        pass  # a listener that hooks every step, as a progress counter would


def graph() -> dw.Graph:
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    h = g.add("MLP", id="mlp", widths=[2, 64, 64, 2], activation="tanh")
    g.connect(x, h)
    g.add_output(h, name="y")
    return g


def once(stream: bool, steps: int, data: dict) -> tuple[float, float, int]:
    """(steps/s wall, steps/s CPU, messages) of one run; set-up (compile) is not timed."""
    cb = LivePlot()
    run = dw.train(graph(), data=data, steps=steps, batch_size=128, seed=0, progress=False,
                   stats_every=0, callbacks=[cb] if stream else [], start=False)
    c0, t0 = time.process_time(), time.perf_counter()
    run.start()
    run.wait()
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    assert run.state == "finished", run.reason
    if stream:
        assert len(cb.x) == steps
    return steps / dt, steps / dc, cb.messages


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1024, 2)).astype(np.float32)
    data = {"x": x, "y": np.tanh(x[:, ::-1]).copy()}
    once(True, 100, data)  # warm-up
    wall = {False: [], True: []}
    cpu = {False: [], True: []}
    pairs = {"wall": [], "cpu": []}
    msgs = []
    for rep in range(args.repeats):
        order = (False, True) if rep % 2 == 0 else (True, False)  # no order bias
        got = {}
        for stream in order:
            got[stream] = once(stream, args.steps, data)
            wall[stream].append(got[stream][0])
            cpu[stream].append(got[stream][1])
        msgs.append(got[True][2])
        pairs["wall"].append(got[True][0] / got[False][0])
        pairs["cpu"].append(got[True][1] / got[False][1])
    med = {k: {s: statistics.median(v[s]) for s in v} for k, v in (("wall", wall), ("cpu", cpu))}
    ratio = {k: statistics.median(v) for k, v in pairs.items()}
    spread = max(statistics.pstdev(wall[s]) / med["wall"][s] for s in (False, True))
    for k, runs in (("wall", wall), ("cpu", cpu)):
        for s in (False, True):
            print(f"{k:4} stream {'on ' if s else 'off'}: {med[k][s]:8.1f} steps/s "
                  f"(runs: {', '.join(f'{v:.0f}' for v in runs[s])})")
    print(f"metrics messages per run: {statistics.median(msgs):.0f} for {args.steps} steps")
    print(f"ratio on/off, median of {args.repeats} adjacent pairs: wall {ratio['wall']:.3f}, "
          f"cpu {ratio['cpu']:.3f} (wall-clock scatter {100 * spread:.1f}%)")
    verdict = "cpu" if spread > 0.02 else "wall"
    r = ratio[verdict]
    print(f"verdict on {verdict} time: {r:.3f} (target >= 0.98) {'PASS' if r >= 0.98 else 'FAIL'}")
    print(f"| live metrics stream + plot callback vs none (MLP 2-64-64-2, batch 128, 1 thread, "
          f"median of {args.repeats} pairs) | {med['wall'][True]:.0f} vs {med['wall'][False]:.0f} "
          f"steps/s | ratio {ratio['wall']:.3f} wall, {ratio['cpu']:.3f} CPU time "
          f"(target >= 0.98) |")

if __name__ == "__main__":
    main()
