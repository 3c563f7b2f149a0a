"""The editor widget's kernel side, without a browser: the document both ways, the catalog,
commands and events, incremental shape analysis, and the training callback."""

from __future__ import annotations

import copy
import time

import pytest

import diffwire as dw
from diffwire.shapes import infer_shapes
from diffwire.widget.analysis import ShapeCache, analyze
from diffwire.widget.live import LiveCallback, metrics_event

from helpers import EventRecorder as Recorder
from helpers import compiled_block_types, example_graph, quickstart


@pytest.fixture
def ed():
    return dw.Editor(quickstart())


def test_document_and_catalog_are_synced_state(ed):
    assert ed.doc == ed.graph.to_dict()
    assert {b["type"] for b in ed.catalog["blocks"]} >= {"Input", "MLP", "Output"}
    assert ed.catalog["kinds"]["bool"] == ["bool"]
    assert ed.status["state"] == "none"
    assert set(ed.keys) >= {"doc", "catalog", "status", "height"}


def test_canvas_edit_updates_the_same_graph_object_and_validates(ed):
    rec = Recorder(ed)
    g = ed.graph
    doc = copy.deepcopy(ed.doc)
    doc["nodes"][1]["params"]["widths"] = [1, 16, 1]
    doc["nodes"][1]["position"] = [5.0, 6.0]
    ed.doc = doc  # what a committed edit in the browser does
    assert ed.graph is g
    assert g.node("mlp").params["widths"] == [1, 16, 1]
    assert g.node("mlp").position == [5.0, 6.0]
    (event,) = rec.of("analysis")
    assert event["errors"] == []
    assert event["shapes"]["mlp"]["out"] == ["B", 1]


def test_validation_errors_name_node_and_port(ed):
    rec = Recorder(ed)
    doc = copy.deepcopy(ed.doc)
    doc["nodes"][1]["params"]["widths"] = [3, 8, 1]
    ed.doc = doc
    errors = rec.of("analysis")[-1]["errors"]
    assert [(e["node"], e["port"], e["code"]) for e in errors] == [("mlp", "x", "shape_mismatch")]
    doc = copy.deepcopy(doc)
    doc["edges"] = doc["edges"][:1]  # the Output loses its input
    ed.doc = doc
    assert any(e["node"] == "y" and e["port"] == "x" for e in rec.of("analysis")[-1]["errors"])


def test_python_edits_reach_the_canvas(ed):
    ed.graph.add("Linear", in_features=1, out_features=2, id="lin")
    assert "lin" not in {n["id"] for n in ed.doc["nodes"]}
    ed.refresh()
    assert "lin" in {n["id"] for n in ed.doc["nodes"]}
    g2 = quickstart()
    ed.graph = g2
    assert ed.graph is g2 and ed.doc == g2.to_dict()


def test_body_blocks_from_the_palette_get_their_starter_body(ed):
    doc = copy.deepcopy(ed.doc)
    params = dw.BLOCKS["Loop"].default_params()
    doc["nodes"].append({"id": "loop", "type": "Loop", "params": params, "position": [0, 0],
                         "body": {"body": {"nodes": [], "edges": []}}})
    ed.doc = doc
    body = ed.graph.node("loop").body["body"]
    assert [n.type for n in body.nodes.values()].count("Input") >= 1
    assert ed.doc["nodes"][-1]["body"]["body"]["nodes"]  # pushed back to the canvas


def test_registry_changes_refresh_the_catalog(ed):
    class Twice(dw.Block):
        """Doubles its input."""

        type = "TestTwice"
        category = "test"
        inputs = (dw.Port("x"),)
        outputs = (dw.Port("out"),)

        @classmethod
        def build(cls, node, ctx):
            return lambda x: 2 * x

    dw.register(Twice)
    try:
        assert "TestTwice" in {b["type"] for b in ed.catalog["blocks"]}
    finally:
        dw.unregister("TestTwice")
    assert "TestTwice" not in {b["type"] for b in ed.catalog["blocks"]}


def test_commands_answer_with_events(ed):
    rec = Recorder(ed)
    ed._on_msg(ed, {"cmd": "validate"}, [])
    assert rec.of("analysis")
    ed._on_msg(ed, {"cmd": "bogus"}, [])
    assert "unknown command" in rec.of("error")[-1]["message"]
    ed._on_msg(ed, {"cmd": "set", "name": "lr", "value": 0.05}, [])
    assert ed.status["lr"] == 0.05
    ed._on_msg(ed, {"cmd": "set", "name": "lr", "value": -1}, [])
    assert "learning rate" in rec.of("error")[-1]["message"]
    ed._on_msg(ed, "not a command", [])  # ignored


def test_a_malformed_document_is_reported_not_raised(ed):
    rec = Recorder(ed)
    ed.doc = {"nodes": [{"id": "a"}], "edges": []}
    assert rec.of("error")
    assert set(ed.graph.nodes) == {"x", "mlp", "y"}


def test_editor_opens_a_file(tmp_path):
    path = quickstart().save(tmp_path / "m.diffwire")
    ed = dw.Editor(path)
    assert ed.graph == dw.load(path)
    ed.graph.node("mlp").label = "f"
    ed.save()
    assert dw.load(path).node("mlp").label == "f"


def test_dynamic_ports_are_sent_for_blocks_that_compute_them():
    g = dw.Graph()
    g.add("Expression", expr="a*b", inputs=["a", "b"], id="e")
    ports = analyze(g)["ports"]
    assert [p["name"] for p in ports["e"]["inputs"]] == ["a", "b"]


@pytest.mark.parametrize("type_name", compiled_block_types())
def test_incremental_shapes_equal_the_reference(type_name):
    g, _ = example_graph(type_name)
    cache = ShapeCache()
    assert cache.infer(g) == infer_shapes(g)
    assert cache.infer(g) == infer_shapes(g)  # from the cache


def test_incremental_shapes_rerun_only_what_changed():
    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, 4])
    for _ in range(50):
        n = g.add("MLP", widths=[4, 6, 4])
        g.connect(prev, n)
        prev = n
    g.add_output(prev)
    cache = ShapeCache()
    cache.infer(g)
    misses = cache.misses
    g.node("mlp_20").params["widths"] = [4, 9, 4]
    assert cache.infer(g) == infer_shapes(g)
    assert cache.misses == misses + 1
    g.node("mlp_20").params["widths"] = [4, 9, 5]
    with pytest.raises(dw.ShapeMismatch) as err:
        cache.infer(g)
    assert err.value.node == "mlp_21"


def test_validation_at_200_nodes_is_fast():
    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, 4])
    for _ in range(198):
        n = g.add("MLP", widths=[4, 4, 4])
        g.connect(prev, n)
        prev = n
    g.add_output(prev)
    cache = ShapeCache()
    analyze(g, cache)
    g.node("mlp_100").params["widths"] = [4, 8, 4]
    t = time.perf_counter()
    event = analyze(g, cache)
    assert event["errors"] == []
    assert time.perf_counter() - t < 0.5  # ~20 ms here; generous for a loaded machine


def test_metrics_are_sent_as_columns():
    recs = [{"step": 0, "loss": 1.0, "lr": 0.1}, {"step": 1, "loss": float("nan")},
            {"step": 2, "loss": 0.5, "val_loss": 0.7}]
    ev = metrics_event(recs)
    assert ev == {"event": "metrics", "step": [0, 1, 2],
                  "values": {"loss": [1.0, None, 0.5], "val_loss": [None, None, 0.7]}}


def test_callback_sends_one_message_per_batch(ed):
    rec = Recorder(ed)

    class FakeRun:
        state = "running"
        history: list = []
        model = None

        def snapshot(self, wait=True):
            return None

    cb = LiveCallback(ed, interval=0.0, snapshot_every=0)
    cb.on_metrics(FakeRun(), [{"step": i, "loss": 1.0 / (i + 1)} for i in range(100)])
    assert len(rec.of("metrics")) == 1 and len(rec.of("metrics")[0]["step"]) == 100
    assert ed.status["step"] == 100


def test_training_from_the_editor_streams_and_pauses():
    if not dw.Editor(dw.Graph()).control.available:
        pytest.skip("the training engine is not in this build")
    import torch

    X = torch.linspace(-1, 1, 64)[:, None]
    ed = dw.Editor(quickstart(), train_options=dict(
        data={"x": X, "y": torch.sin(3 * X)}, loss="mse", optimizer=("adam", {"lr": 1e-2}),
        steps=100000))
    rec = Recorder(ed)
    ed._on_msg(ed, {"cmd": "train"}, [])
    deadline = time.monotonic() + 60
    while len(rec.of("metrics")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rec.of("metrics"), "no metrics arrived"
    ed._on_msg(ed, {"cmd": "set", "name": "lr", "value": 0.003}, [])
    ed.graph.node("mlp").params["widths"] = [1, 12, 1]
    ed.refresh()
    assert ed.status["stale"]
    ed._on_msg(ed, {"cmd": "rebuild"}, [])
    assert not ed.status["stale"]
    ed._on_msg(ed, {"cmd": "pause"}, [])
    while ed.status["state"] != "paused" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ed.status["state"] == "paused"
    step = ed.control.run.step
    time.sleep(0.3)
    assert ed.control.run.step == step
    ed._on_msg(ed, {"cmd": "stop"}, [])
    while ed.status["state"] not in ("stopped", "finished") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ed.status["state"] == "stopped"


def test_ode_graph_predictions_carry_time_and_trajectories():
    """For a graph with an ODESolve node the predictions event is trajectories over time
    (what the live panel draws against the data and as a phase portrait)."""
    if not dw.Editor(dw.Graph()).control.available:
        pytest.skip("the training engine is not in this build")
    from diffwire.widget.live import predictions_event

    t, y, y0, _ = dw.ode.lotka_volterra()
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    fixed = lambda name, v: {"source": "kernel", "name": name, "value": v, "batch": False}  # noqa: E731
    ed = dw.Editor(g, train_options=dict(data={"y0": fixed("y0", y0), "t": fixed("t", t), "y": y},
                                         loss="mse", steps=2, progress=False))
    rec = Recorder(ed)
    run = ed.train()
    run.wait(60)
    ev = predictions_event(run, run.snapshot())
    assert ev is not None and ev["kind"] == "ode" and ev["output"] == "y"
    assert ev["t"] == pytest.approx(t.tolist())
    assert len(ev["y_true"]) == len(ev["y_pred"]) == len(t)
    assert all(len(r) == 2 for r in ev["y_true"] + ev["y_pred"])
    assert ev["y_true"][0] == pytest.approx(y[0].tolist())
    # the live callback sends the same event during the run
    LiveCallback(ed).on_snapshot(run, run.snapshot())
    sent = rec.of("predictions")[-1]
    assert sent["kind"] == "ode" and sent["t"] == ev["t"]


def test_export_command(tmp_path):
    path = quickstart().save(tmp_path / "m.diffwire")
    ed = dw.Editor(path)
    rec = Recorder(ed)
    ed._on_msg(ed, {"cmd": "export"}, [])
    assert not rec.of("error")
    (event,) = rec.of("export")
    assert "from torch import nn" in event["source"]  # the model file (the training file imports torch)
    assert event["path"] == str(tmp_path / "m.py") and (tmp_path / "m.py").exists()
