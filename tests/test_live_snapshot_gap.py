"""Predictions snapshots are spaced by what they cost the training thread (widget/live.py)."""

from __future__ import annotations

import types

import diffwire as dw
from diffwire.widget.live import SNAPSHOT_SHARE, LiveCallback, snapshot_gap


def test_gap_is_the_period_for_cheap_snapshots_and_grows_with_their_cost():
    assert snapshot_gap(1.0, 0.0) == 1.0
    assert snapshot_gap(1.0, 0.005) == 1.0  # 0.5% of a second: the period stands
    assert snapshot_gap(1.0, 0.1) == 0.1 / SNAPSHOT_SHARE  # 100 ms: at most 2% of the time
    assert snapshot_gap(1.0, 0.1, share=0.1) == 1.0


class FakeRun:
    """Only what LiveCallback.on_metrics reads; counts snapshot requests."""

    def __init__(self, cost):
        self.snapshot_seconds = cost
        self.requests = 0
        self.events, self.plotted, self.model, self.step = [], (), None, 0

    def snapshot(self, wait=True):
        self.requests += 1


def requests(cost, monkeypatch):
    ed = dw.Editor(dw.Graph())
    cb = LiveCallback(ed, snapshot_every=1.0)
    run = FakeRun(cost)
    clock = types.SimpleNamespace(t=1000.0)
    monkeypatch.setattr("diffwire.widget.live.time.monotonic", lambda: clock.t)
    for i in range(40):  # 40 metric batches, 0.25 s apart: 10 s
        cb.on_metrics(run, [{"step": i, "loss": 1.0}])
        clock.t += 0.25
    return run.requests


def test_the_editor_asks_for_costly_snapshots_less_often(monkeypatch):
    assert requests(0.001, monkeypatch) == 10  # one a second
    assert requests(0.1, monkeypatch) == 2  # 100 ms each: one every 5 s


def test_a_run_measures_what_its_snapshot_took():
    import numpy as np

    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    h = g.add("MLP", id="mlp", widths=[1, 8, 1])
    g.connect(x, h)
    g.add_output(h, name="y")
    xs = np.linspace(-1, 1, 32, dtype=np.float32)[:, None]
    run = dw.train(g, data={"x": xs, "y": xs ** 2}, loss="mse", steps=3, progress=False,
                   background=False)
    assert run.snapshot_seconds == 0.0
    run.snapshot()
    assert run.snapshot_seconds > 0.0
