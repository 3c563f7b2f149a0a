"""The plots' `history` command: any step range of a run at full resolution, or bucketed
with min/max, read from `run.history` through len() and slicing only (widget/live.py)."""

from __future__ import annotations

import time

import pytest

import diffwire as dw
from diffwire.widget import live
from diffwire.widget.live import history_event

from helpers import EventRecorder, quickstart


class SlicedOnly:
    """A history as a disk-backed store offers it: len() and slices, nothing else; it
    counts the records read."""

    def __init__(self, records):
        self._r = records
        self.read = 0

    def __len__(self):
        return len(self._r)

    def __getitem__(self, s):
        if not isinstance(s, slice):
            raise TypeError("slices only")
        out = self._r[s]
        self.read += len(out)
        return out


def records(n, every=10):
    out = []
    for i in range(n):
        r = {"step": i, "loss": 1.0 / (i + 1), "lr": 0.1}
        if i % every == 0:
            r["val_loss"] = 2.0 / (i + 1)
        out.append(r)
    return out


def test_a_range_at_full_resolution():
    h = SlicedOnly(records(1000))
    ev = history_event(h, ["loss", "val_loss"], start=100, stop=199, points=500)
    loss = ev["series"]["loss"]
    assert loss["x"] == [float(i) for i in range(100, 200)]
    assert loss["y"] == [1.0 / (i + 1) for i in range(100, 200)]
    assert loss["lo"] == loss["y"] == loss["hi"] and set(loss["n"]) == {1}
    assert ev["series"]["val_loss"]["x"] == [float(i) for i in range(100, 200, 10)]
    assert ev["count"] == 100
    assert h.read < 200  # a binary search and the range, not the whole run


def test_a_long_range_is_bucketed_with_min_and_max(monkeypatch):
    monkeypatch.setattr(live, "HISTORY_CHUNK", 97)  # chunk edges inside buckets
    recs = records(10_000)
    recs[4321]["loss"] = -5.0  # a spike stays visible in its bucket's minimum
    ev = history_event(SlicedOnly(recs), ["loss"], points=100)
    loss = ev["series"]["loss"]
    assert len(loss["x"]) == 100 and sum(loss["n"]) == 10_000
    assert loss["first"][0] == 0 and loss["last"][-1] == 9999
    assert min(loss["lo"]) == -5.0 and loss["hi"][0] == 1.0
    k = 4321 // 100
    assert loss["lo"][k] == -5.0 and loss["first"][k] <= 4321 <= loss["last"][k]
    # the first point exactly, where the first bucket's mean step is 49.5
    assert loss["x"][0] == 49.5 and (loss["x0"], loss["y0"]) == (0, recs[0]["loss"])


def test_the_whole_run_and_non_finite_values():
    recs = records(50)
    recs[3]["loss"] = float("nan")
    ev = history_event(recs, ["loss", "grad_norm"], points=1000)
    assert "grad_norm" not in ev["series"]
    assert 3.0 not in ev["series"]["loss"]["x"] and len(ev["series"]["loss"]["x"]) == 49


def test_the_editor_answers_from_the_run():
    if not dw.Editor(dw.Graph()).control.available:
        pytest.skip("the training engine is not in this build")
    import torch

    X = torch.linspace(-1, 1, 32)[:, None]
    ed = dw.Editor(quickstart(), train_options=dict(
        data={"x": X, "y": torch.sin(3 * X)}, loss="mse", steps=300))
    rec = EventRecorder(ed)
    ed._on_msg(ed, {"cmd": "history", "req": 1}, [])
    assert rec.of("history") == []  # no run yet: nothing to say
    ed._on_msg(ed, {"cmd": "train"}, [])
    deadline = time.monotonic() + 60
    while ed.status["state"] not in ("finished", "stopped", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ed.status["state"] == "finished"
    ed._on_msg(ed, {"cmd": "history", "req": 7, "start": 10, "stop": 19, "points": 100}, [])
    [ev] = rec.of("history")
    assert ev["req"] == 7
    steps = [r["step"] for r in ed.control.run.history if 10 <= r["step"] <= 19]
    assert ev["series"]["loss"]["x"] == [float(s) for s in steps]
    assert ev["series"]["loss"]["y"] == [r["loss"] for r in ed.control.run.history
                                         if 10 <= r["step"] <= 19]
