"""Bounded history: the summary keeps every point up to its limit, then buckets with exact
count/mean/min/max; a run with a folder stops growing in memory while ``run.history``
still reads every step (from disk where needed)."""

import gc
import sys
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import diffwire as dw
from diffwire.train.history import History, Summary
from diffwire.train.store import MetricsLog

from train_util import mlp_graph, sine_data


def test_summary_is_exact_up_to_its_limit_then_buckets():
    s = Summary(limit=100)
    for i in range(100):
        s.add({"step": i, "loss": float(i), "lr": 0.1})
    loss = s.series("loss")
    assert loss["width"] == 1 and loss["step"] == list(range(100))
    assert loss["mean"] == loss["min"] == loss["max"] == [float(i) for i in range(100)]
    for i in range(100, 100_000):
        s.add({"step": i, "loss": float(i), "lr": 0.1})
    loss = s.series("loss")
    w = loss["width"]
    assert len(loss["step"]) <= 100 and w > 1 and sum(loss["count"]) == 100_000
    assert loss["step"][0] == 0 and loss["min"][0] == 0.0  # the first step is still there
    for first, c, mean, lo, hi in zip(loss["step"], loss["count"], loss["mean"], loss["min"],
                                      loss["max"]):
        assert first % w == 0 and lo == first and hi == first + c - 1
        assert mean == pytest.approx(first + (c - 1) / 2)
    assert s.series("lr")["min"] == s.series("lr")["max"]
    again = Summary.from_state(s.state_dict())
    assert again.series("loss") == loss


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=400), st.integers(2, 40))
def test_summary_buckets_agree_with_numpy(values, limit):
    s = Summary(limit)
    for i, v in enumerate(values):
        s.add({"step": i, "loss": v})
    d = s.series("loss")
    assert len(d["step"]) <= limit and sum(d["count"]) == len(values)
    arr = np.array(values)
    for first, c, mean, lo, hi in zip(d["step"], d["count"], d["mean"], d["min"], d["max"]):
        part = arr[first:first + c]
        assert lo == part.min() and hi == part.max()
        assert mean == pytest.approx(part.mean(), rel=1e-9, abs=1e-6)


def _record(i):
    return {"step": i, "loss": 1.0 / (i + 1), "grad_norm": 0.5, "lr": 1e-3,
            "time": 0.001, "wall": i * 0.001, "phase": 0}


def _growth(history, summary, first, total, flush_every=500):
    """Traced bytes added between record `first` and `total` (both stages warmed up)."""
    for i in range(total):
        if i == first:
            gc.collect()
            start = tracemalloc.get_traced_memory()[0]
        history.append(r := _record(i))
        summary.add(r)
        if i % flush_every == 0:
            history.flush()
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - start


def test_history_memory_stops_growing_with_a_folder(tmp_path):
    (tmp_path / "run").mkdir()
    tracemalloc.start()
    try:
        kept = History(MetricsLog(tmp_path / "run"), tail=256)
        bounded = _growth(kept, Summary(512), 5_000, 25_000)
        everything = History(None)  # the control: a run without a folder keeps it all
        unbounded = _growth(everything, Summary(512), 5_000, 25_000)
    finally:
        tracemalloc.stop()
    print("traced growth, records 5,000-25,000:", bounded, unbounded)
    # 20,000 more records: a hundred-odd bytes per chunk index entry, not per record
    assert bounded < 40_000, bounded
    assert unbounded > 5_000_000, unbounded
    assert len(kept) == 25_000 and kept[0] == _record(0) and kept[-1] == _record(24_999)
    assert kept[14_990:15_010] == [_record(i) for i in range(14_990, 15_010)]
    assert [r["step"] for r in kept[::5_000]] == list(range(0, 25_000, 5_000))


@pytest.mark.timeout(300)
def test_a_long_run_s_memory_stops_growing(tmp_path):
    """A real run: memory blocks allocated (``sys.getallocatedblocks``: no tracing, so the
    run keeps its speed) between steps 1,000 and 3,000, against the same run with no folder
    (every record in memory). The summary and the in-memory tail are set small
    so that both are full by step 1,000 (the defaults fill at 2,048 and 1,024 steps)."""

    class Probe(dw.Callback):
        def __init__(self):
            self.at = {}

        def on_step_end(self, run, record):
            if record["step"] in (1_000, 3_000):
                gc.collect()
                self.at[record["step"]] = sys.getallocatedblocks()

    grown = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 1-2-1 MLP: intra-op threads only wait for each other
    try:
        for out in (tmp_path, None):
            probe = Probe()
            run = dw.train(mlp_graph((1, 2, 1)), data=sine_data(8), steps=3_001, out=out,
                           stats_every=0, progress=False, callbacks=[probe],
                           flush_every=0.2, start=False)
            run.rec.summary, run.rec._tail = Summary(256), 256
            run.start(background=False)
            assert run.state == "finished"
            grown[out] = probe.at[3_000] - probe.at[1_000]
            assert len(run.history) == 3_001 and run.history[0]["step"] == 0
            assert len(run.summary.series("loss")["step"]) <= 256
    finally:
        torch.set_num_threads(threads)
    print("blocks allocated, steps 1,000-3,000:", grown)
    assert grown[tmp_path] < 1_000, grown  # bounded: chunk index entries and noise
    assert grown[None] > 10_000, grown  # the control: a dict and its numbers every step
