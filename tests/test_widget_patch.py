"""Canvas writes as custom messages: patches of the nodes that changed, or whole documents
(widget/patch.py, extension/src/patch.ts). The kernel's `graph` and `doc` follow either,
and a patch that does not apply asks the canvas for the whole document."""

from __future__ import annotations

import copy

import pytest

import diffwire as dw
from diffwire.widget.patch import PatchError, apply_patch

from helpers import EventRecorder as Recorder
from helpers import quickstart


def chain(n: int) -> dw.Graph:
    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, 4])
    for _ in range(n):
        node = g.add("MLP", widths=[4, 4, 4])
        g.connect(prev, node)
        prev = node
    g.add_output(prev, name="y")
    return g


def write(ed, **content):
    ed._on_msg(ed, {"cmd": "write", **content}, [])


def test_a_patched_param_reaches_graph_doc_and_validation():
    ed = dw.Editor(chain(50))
    rec = Recorder(ed)
    g = ed.graph
    node = copy.deepcopy(ed.doc["nodes"][1])
    node["params"]["widths"] = [5, 4, 4]  # mlp no longer takes x's 4 features
    write(ed, patch={"nodes": [node]})
    assert ed.graph is g and g.node("mlp").params["widths"] == [5, 4, 4]
    assert ed.doc["nodes"][1] is node  # the trait's copy is the canvas's document
    assert ed.get_state("doc")["doc"] == ed.graph.to_dict()
    (event,) = rec.of("analysis")
    assert [e["node"] for e in event["errors"]] == ["mlp"]
    node = copy.deepcopy(node)
    node["params"]["widths"] = [4, 4, 4]
    write(ed, patch={"nodes": [node]})
    assert rec.of("analysis")[-1]["errors"] == []


def test_a_patch_adds_removes_and_rewires():
    ed = dw.Editor(quickstart())
    doc = ed.doc
    extra = {"id": "mlp_1", "type": "MLP", "params": {"widths": [1, 4, 1]},
             "position": [0.0, 100.0]}
    edges = [e for e in doc["edges"] if e["target"] != "y"] + [
        {"source": "mlp", "source_port": "out", "target": "mlp_1", "target_port": "x"},
        {"source": "mlp_1", "source_port": "out", "target": "y", "target_port": "x"}]
    write(ed, patch={"nodes": [extra], "order": ["x", "mlp", "mlp_1", "y"], "edges": edges})
    assert list(ed.graph.nodes) == ["x", "mlp", "mlp_1", "y"]
    assert ed.graph.edges_into("y")["x"].source == "mlp_1"
    write(ed, patch={"nodes": [], "order": ["x", "mlp_1", "y"],
                     "edges": [{"source": "x", "source_port": "out", "target": "mlp_1",
                                "target_port": "x"},
                               {"source": "mlp_1", "source_port": "out", "target": "y",
                                "target_port": "x"}]})
    assert list(ed.graph.nodes) == ["x", "mlp_1", "y"]
    assert ed.graph.validate() == []
    write(ed, patch={"nodes": [], "training": {"steps": 7}, "meta": {"note": "hi"}})
    assert ed.graph.training == {"steps": 7} and ed.graph.meta == {"note": "hi"}


def test_a_patch_that_does_not_apply_asks_for_the_whole_document():
    ed = dw.Editor(quickstart())
    rec = Recorder(ed)
    before = ed.graph.to_dict()
    ghost = {"id": "ghost", "type": "MLP", "params": {}, "position": [0.0, 0.0]}
    write(ed, patch={"nodes": [ghost]})  # a new node but no order
    write(ed, patch={"nodes": [], "order": ["x", "gone", "y"]})
    write(ed, patch={"nodes": [{"type": "MLP"}]})
    write(ed, patch="nonsense")
    assert [e["event"] for e in rec.events] == ["resync"] * 4
    assert ed.graph.to_dict() == before
    # the canvas answers with the whole document
    doc = copy.deepcopy(before)
    doc["nodes"][1]["params"]["widths"] = [1, 3, 1]
    write(ed, doc=doc)
    assert ed.graph.node("mlp").params["widths"] == [1, 3, 1] and ed.doc == doc
    assert rec.of("analysis")[-1]["errors"] == []


def test_a_malformed_whole_document_is_reported_and_not_stored():
    ed = dw.Editor(quickstart())
    rec = Recorder(ed)
    before = ed.doc
    write(ed, doc={"nodes": [{"id": "a"}], "edges": []})
    assert rec.of("error") and ed.doc is before
    assert set(ed.graph.nodes) == {"x", "mlp", "y"}


def test_apply_patch_shares_unchanged_nodes():
    doc = chain(5).to_dict()
    node = dict(doc["nodes"][2], label="renamed")
    out = apply_patch(doc, {"nodes": [node]})
    assert out["nodes"][2] is node
    assert all(a is b for i, (a, b) in enumerate(zip(out["nodes"], doc["nodes"])) if i != 2)
    assert out["edges"] is doc["edges"] and doc["nodes"][2] is not node  # doc untouched
    with pytest.raises(PatchError, match="lacks"):
        apply_patch(doc, {"nodes": [], "order": ["nope"]})


def _record_state(ed):
    sent = []
    ed.send_state = lambda key=None: sent.append((key, copy.deepcopy(ed.doc), ed.doc_rev))
    return sent


def test_a_write_made_before_a_kernel_push_is_dropped():
    """Python changes the graph and pushes it while the canvas is sending an edit made on
    the old document: the kernel drops the stale write and keeps its push (which the canvas
    takes when it arrives), then takes the canvas's next edit, made on the push."""
    ed = dw.Editor(quickstart())
    rec = Recorder(ed)
    sent = _record_state(ed)
    base = ed.doc_rev
    old_mlp = copy.deepcopy(ed.doc["nodes"][1])
    ed.graph.node("mlp").params["activation"] = "relu"
    ed.refresh()
    assert ed.doc_rev == base + 1 and sent[-1][0] == ["doc", "doc_rev"]
    assert sent[-1][1]["nodes"][1]["params"]["activation"] == "relu"
    events = len(rec.events)
    old_mlp["params"]["final_activation"] = "tanh"  # the canvas's edit, on the old document
    write(ed, patch={"nodes": [old_mlp]}, base=base, client="view-1")
    write(ed, doc={"nodes": [], "edges": []}, base=base, client="view-1")
    assert len(rec.events) == events  # dropped: no analysis, no resync
    assert ed.graph.node("mlp").params["activation"] == "relu"  # the push stands
    assert ed.graph.node("mlp").params.get("final_activation", "none") == "none"
    mlp = copy.deepcopy(ed.doc["nodes"][1])
    mlp["position"] = [9.0, 9.0]
    write(ed, patch={"nodes": [mlp]}, base=ed.doc_rev, client="view-1")
    assert ed.graph.node("mlp").position == [9.0, 9.0]
    assert ed.graph.node("mlp").params["activation"] == "relu"
    assert rec.events[-1]["event"] == "analysis"
    # a patch on the current revision that does not apply: that view is asked for it whole
    write(ed, patch={"nodes": [], "order": ["gone"]}, base=ed.doc_rev, client="view-2")
    assert rec.events[-1] == {"event": "resync", "client": "view-2"}


def test_a_refused_write_sends_the_kernel_document_back():
    ed = dw.Editor(quickstart())
    Recorder(ed)
    sent = _record_state(ed)
    before = ed.doc
    write(ed, doc={"nodes": [{"id": "a"}], "edges": []}, base=ed.doc_rev)
    assert sent and sent[-1][1] == before and sent[-1][2] == 1  # the canvas reverts to it
    # a push of an unchanged document is still sent (the canvas may hold another one)
    ed.refresh()
    assert sent[-1][0] == ["doc", "doc_rev"] and sent[-1][2] == 2
