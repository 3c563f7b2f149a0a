"""Training shown on the graph (issue 15, point 5), kernel side: the gradient-flow check as
the canvas marks it, per-node statistics with gradient norms, and probes on edges."""

from __future__ import annotations

import time

import pytest
import torch

import diffwire as dw
from diffwire.widget.probes import ProbeSet, summarize

from helpers import EventRecorder as Recorder
from helpers import cut_after_mlp, quickstart


def _data():
    X = torch.linspace(-1, 1, 64)[:, None]
    return {"x": X, "y": torch.sin(3 * X)}


def _wait(cond, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _train(ed, rec, until):
    ed._on_msg(ed, {"cmd": "train"}, [])
    try:
        _wait(lambda: until(rec))
    finally:
        ed._on_msg(ed, {"cmd": "stop"}, [])
        _wait(lambda: ed.status["state"] in ("stopped", "finished", "failed"))


def test_gradient_flow_marks_nodes_and_detached_edges(detach_block):
    g = cut_after_mlp(quickstart())
    ed = dw.Editor(g, train_options=dict(data=_data(), loss="mse", steps=10**6))
    rec = Recorder(ed)
    with pytest.warns(UserWarning, match="gradient flow"):
        _train(ed, rec, lambda r: r.of("grad_check"))
    ev = rec.of("grad_check")[0]
    # the MLP upstream of the cut learns nothing: its weights are named on its node
    assert sorted(ev["no_grad"]) == ["mlp"]
    assert all(not p.startswith("blocks.") for p in ev["no_grad"]["mlp"])
    assert [d["edge"] for d in ev["detached"]] == ["cut.out->add.a"]
    assert "cut.out" in ev["detached"][0]["reason"] and "detached" in ev["detached"][0]["reason"]


def test_node_statistics_carry_gradient_norms():
    ed = dw.Editor(quickstart(), train_options=dict(data=_data(), loss="mse", steps=10**6,
                                                    stats_every=2))
    rec = Recorder(ed)
    _train(ed, rec, lambda r: r.of("graph_stats"))
    nodes = rec.of("graph_stats")[-1]["nodes"]
    assert nodes["mlp"]["grad_norm"] > 0
    assert isinstance(nodes["mlp"]["std"], float) and nodes["mlp"]["std"] >= 0
    assert "grad_norm" not in nodes.get("x", {})  # an Input has no weights
    # the same numbers are in the run's history (what a notebook reads)
    hist = [h for h in ed.control.run.history if "nodes" in h]
    assert hist and hist[-1]["nodes"]["mlp"]["grad_norm"] > 0


def test_probe_streams_the_values_on_an_edge_and_goes_with_it():
    ed = dw.Editor(quickstart(), train_options=dict(data=_data(), loss="mse", steps=10**6))
    rec = Recorder(ed)
    edge = {"source": "x", "source_port": "out", "target": "mlp", "target_port": "x"}
    ed._on_msg(ed, {"cmd": "probe", "edge": edge, "on": True}, [])
    _train(ed, rec, lambda r: sum(len(e["step"]) for e in r.of("probe")) >= 10)
    evs = [e for e in rec.of("probe") if e["edge"] == "x.out->mlp.x"]
    steps = [s for e in evs for s in e["step"]]
    assert steps == sorted(steps) and len(set(steps)) >= 5
    # x is [64, 1] in [-1, 1]: one component, its batch mean near 0 and std near 0.58
    last = evs[-1]
    assert last["labels"] == ["[0]"]
    assert abs(last["mean"][-1][0]) < 0.05 and abs(last["std"][-1][0] - 0.58) < 0.05
    # removing the edge removes the probe
    ed.graph.disconnect("mlp")
    ed.refresh()
    assert ed.control.probes.probes == {}


def test_probe_attaches_to_a_live_run_and_follows_a_rebuild():
    ed = dw.Editor(quickstart(), train_options=dict(data=_data(), loss="mse", steps=10**6))
    rec = Recorder(ed)
    ed._on_msg(ed, {"cmd": "train"}, [])
    try:
        _wait(lambda: rec.of("metrics"))
        edge = {"source": "mlp", "source_port": "out", "target": "y", "target_port": "x"}
        ed._on_msg(ed, {"cmd": "probe", "edge": edge}, [])  # an Output: hooked at the source
        _wait(lambda: any(e["edge"] == "mlp.out->y.x" and e["step"] for e in rec.of("probe")))
        ed.graph.node("mlp").params["widths"] = [1, 12, 1]
        ed.refresh()
        ed._on_msg(ed, {"cmd": "rebuild"}, [])
        _wait(lambda: any(e["type"] == "rebuild" for e in ed.control.run.events))
        n = len(rec.events)
        _wait(lambda: any(e.get("event") == "probe" and e["step"] for e in rec.events[n:]))
    finally:
        ed._on_msg(ed, {"cmd": "stop"}, [])
        _wait(lambda: ed.status["state"] in ("stopped", "finished", "failed"))


def test_probe_summaries_are_bounded():
    assert summarize(torch.tensor(2.0)) == {"labels": ["value"], "mean": [2.0], "std": None}
    two = summarize(torch.tensor([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0], [7.0, 70.0], [9.0, 90.0]]))
    assert two["labels"] == ["[0]", "[1]"] and two["mean"] == [5.0, 50.0]
    wide = summarize(torch.ones(100, 16))
    assert wide["labels"] == ["mean"] and wide["mean"] == [1.0] and wide["std"] == [0.0]
    ps = ProbeSet(every=1)
    p = ps.set({"source": "a", "source_port": "out", "target": "b", "target_port": "x"}, True)
    for i in range(5000):
        p.take(i, torch.ones(3))
    assert len(p.samples) == 512  # bounded between two deliveries
    assert ps.events()[0]["step"][-1] == 4999 and p.samples == type(p.samples)(maxlen=512)


def test_probe_of_a_missing_edge_is_an_error_event():
    ed = dw.Editor(quickstart())
    rec = Recorder(ed)
    ed._on_msg(ed, {"cmd": "probe", "edge": "x.out->mlp.x"}, [])
    assert "probe" in rec.of("error")[0]["message"]


def test_graph_stats_carry_what_blocks_report_and_leave_bodies_inside():
    from diffwire.widget.live import graph_stats_event

    records = [{"step": 49, "loss": 1.0, "nodes": {"solve": {"mean": 0.5, "std": 0.2, "shape": [31, 2]},
                                                   "solve/field/U": {"mean": 0.0, "std": 1.0}}},
               {"step": 50, "loss": 0.9, "solve/nfe": 26, "solve/steps": 30}]
    ev = graph_stats_event(records)
    assert ev["step"] == 49
    assert ev["nodes"] == {"solve": {"mean": 0.5, "std": 0.2, "nfe": 26.0, "steps": 30.0}}
