"""The callback API, the batched metrics stream, node statistics, the gradient-flow check."""

import threading

import pytest

import diffwire as dw

from helpers import cut_after_mlp
from train_util import mlp_graph, sine_data, wait_for


class Recorder(dw.Callback):
    def __init__(self):
        self.calls = []
        self.batches = []
        self.threads = set()

    def on_run_start(self, run):
        self.calls.append("start")

    def on_step_end(self, run, record):
        self.calls.append("step")

    def on_metrics(self, run, records):
        self.batches.append([r["step"] for r in records])
        self.threads.add(threading.current_thread().name)

    def on_state_change(self, run, old, new):
        self.calls.append(f"{old}->{new}")

    def on_run_end(self, run):
        self.calls.append("end")


def test_hooks_run_in_order_and_metrics_arrive_batched_and_complete():
    rec = Recorder()
    run = dw.train(mlp_graph(), data=sine_data(), steps=120, progress=False, callbacks=[rec])
    run.wait(timeout=20)
    assert run.state == "finished"
    assert rec.calls[0] == "idle->running" and rec.calls[1] == "start"
    assert rec.calls.count("step") == 120
    assert rec.calls[-2:] == ["running->finished", "end"]
    delivered = [s for b in rec.batches for s in b]
    assert delivered == list(range(120))  # nothing lost, nothing repeated, in order
    assert len(rec.batches) < 120 / 5  # batched, not one call per step
    assert "diffwire-stream" in rec.threads


def test_base_callback_hooks_are_no_ops():
    cb = dw.Callback()
    run = dw.train(mlp_graph(), data=sine_data(), steps=2, progress=False, background=False,
                   callbacks=[cb])
    for name in dir(dw.Callback):
        if name.startswith("on_"):
            assert getattr(dw.Callback, name).__doc__
    assert run.state == "finished"


def test_a_broken_callback_does_not_kill_the_run():
    class Broken(dw.Callback):
        def on_step_end(self, run, record):
            raise RuntimeError("listener bug")

    run = dw.train(mlp_graph(), data=sine_data(), steps=3, progress=False, background=False,
                   callbacks=[Broken()])
    assert run.state == "finished"
    assert any(e["type"] == "callback_error" for e in run.events)


def test_node_statistics_every_k_steps():
    seen = []

    class Stats(dw.Callback):
        def on_node_stats(self, run, record):
            seen.append(record)

    run = dw.train(mlp_graph(), data=sine_data(), steps=10, stats_every=4, progress=False,
                   background=False, callbacks=[Stats()])
    assert [r["step"] for r in seen] == [0, 4, 8]
    st = run.history[4]["nodes"]["mlp"]
    assert st["shape"] == [32, 1] and st["std"] >= 0 and isinstance(st["mean"], float)
    assert "nodes" not in run.history[5]


def test_gradient_flow_check_reports_unused_params_and_detached_edges(detach_block):
    g = cut_after_mlp(mlp_graph())
    g.add("Parameter", id="unused", shape=[2])
    reports = []

    class Check(dw.Callback):
        def on_grad_check(self, run, report):
            reports.append(report)

    with pytest.warns(UserWarning, match="gradient flow"):
        run = dw.train(g, data=sine_data(), steps=3, progress=False, background=False,
                       callbacks=[Check()])
    assert len(reports) == 1
    rep = run.grad_check
    assert "blocks.unused.value" in rep["no_grad"]
    assert any(n.startswith("blocks.mlp.") for n in rep["no_grad"])
    assert "blocks.bias.value" not in rep["no_grad"]
    assert rep["detached"] == ["cut.out -> add.a"]


def test_snapshot_returns_predictions():
    run = dw.train(mlp_graph(), data=sine_data(), steps=10**7, progress=False)
    try:
        assert wait_for(lambda: run.step > 2)
        snap = run.snapshot()
        assert snap["outputs"]["y"].shape == (32, 1) and snap["step"] >= 2
    finally:
        run.stop()


def test_a_metrics_listener_may_command_the_run():
    class StopAt(dw.Callback):
        def on_metrics(self, run, records):
            if records[-1]["step"] >= 20:
                run.stop()

    run = dw.train(mlp_graph(), data=sine_data(), steps=10**7, progress=False,
                   callbacks=[StopAt()], stream_hz=50)
    run.wait(timeout=20)
    assert run.state == "stopped" and run.step >= 21
