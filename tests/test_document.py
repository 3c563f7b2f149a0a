"""The graph document: format, stable text, atomic saves, versions, and loading runs no code."""

import copy
import json
import os
import pathlib

import pytest
import torch

import diffwire as dw
from diffwire import document

from helpers import encoder_graph

FIXTURES = pathlib.Path(__file__).parent / "fixtures"



def test_the_issue_example(tmp_path):
    g = encoder_graph()
    model = g.compile()
    assert isinstance(model, torch.nn.Module)
    assert model(x=torch.randn(8, 2)).shape == (8, 2)
    g.save(tmp_path / "model.diffwire")
    g2 = dw.load(tmp_path / "model.diffwire")
    assert g2 == g
    assert g2.node("mlp").label == "encoder"


def test_file_is_stable_sorted_and_versioned(tmp_path):
    g = encoder_graph()
    a = g.save(tmp_path / "a.diffwire").read_text()
    b = dw.load(tmp_path / "a.diffwire").save(tmp_path / "b.diffwire").read_text()
    assert a == b
    doc = json.loads(a)
    assert doc["format"] == "diffwire/1"
    assert a == json.dumps(doc, indent=2, sort_keys=True) + "\n"
    assert set(doc["nodes"][1]) == {"id", "type", "params", "position", "label"}
    assert set(doc["edges"][0]) == {"source", "source_port", "target", "target_port"}


def test_document_matches_its_schema():
    import jsonschema

    jsonschema.validate(encoder_graph().to_dict(), dw.schema())
    with pytest.raises(dw.FormatError) as info:
        dw.Graph.from_dict({"format": "diffwire/1", "nodes": [{"id": "1bad", "type": "MLP"}],
                            "edges": []})
    assert "nodes/0/id" in str(info.value)


def test_bodies_are_saved_and_loaded(tmp_path):
    g = dw.Graph()
    x = g.add("Input", name="h", shape=[None, 2])
    loop = g.add("Loop", state=["h"], iterations=2)
    g.connect(x, (loop, "h"))
    g.add_output((loop, "h"))
    g.save(tmp_path / "l.diffwire")
    doc = json.loads((tmp_path / "l.diffwire").read_text())
    assert "body" in doc["nodes"][1]["body"]
    assert dw.load(tmp_path / "l.diffwire") == g


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.diffwire"
    encoder_graph().save(path)
    before = path.read_text()
    g = encoder_graph()
    g.node("mlp").params["widths"] = [2, 4, 2]

    def crash(src, dst):
        raise OSError("disk pulled out")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        g.save(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.diffwire"]  # no temp file left


def test_v1_fixture_loads_through_migrate():
    g = dw.load(FIXTURES / "v1_quickstart.diffwire")
    assert g.node("encoder").params["widths"] == [2, 16, 2]
    assert g.compile()(x=torch.randn(3, 2)).shape == (3, 2)
    doc = json.loads((FIXTURES / "v1_quickstart.diffwire").read_text())
    assert dw.migrate(doc) == doc


def test_migrate_applies_registered_steps(monkeypatch):
    doc = json.loads((FIXTURES / "v1_quickstart.diffwire").read_text())
    old = dict(copy.deepcopy(doc), format="diffwire/0")
    for n in old["nodes"]:
        n["kind"] = n.pop("type")  # pretend v0 called it "kind"

    def v0_to_v1(d):
        for n in d["nodes"]:
            n["type"] = n.pop("kind")
        d["format"] = "diffwire/1"
        return d

    monkeypatch.setitem(document.MIGRATIONS, "diffwire/0", v0_to_v1)
    assert dw.Graph.from_dict(old) == dw.Graph.from_dict(doc)


def test_unknown_format_is_refused():
    with pytest.raises(dw.FormatError) as info:
        dw.Graph.from_dict({"format": "diffwire/99", "nodes": [], "edges": []})
    assert info.value.found == "'diffwire/99'"


def test_loading_never_runs_code(tmp_path):
    marker = tmp_path / "PWNED"
    payload = f"__import__('os').system('touch {marker}')"
    doc = encoder_graph().to_dict()
    doc["nodes"][1]["label"] = payload
    doc["nodes"].append({"id": "evil", "type": "os.system", "params": {"cmd": payload},
                         "position": [0, 0]})
    doc["meta"] = {"note": payload}
    path = tmp_path / "evil.diffwire"
    path.write_text(json.dumps(doc))
    g = dw.load(path)
    errors = g.validate()
    assert any(isinstance(e, dw.UnknownBlockType) and e.node == "evil" for e in errors)
    assert not marker.exists()


@pytest.mark.parametrize("text", ["", "[]", "{", "\x00\x01", '{"format": "diffwire/1"}',
                                  '{"format": "diffwire/1", "nodes": {}, "edges": []}'])
def test_bad_files_give_format_errors(tmp_path, text):
    path = tmp_path / "bad.diffwire"
    path.write_text(text)
    with pytest.raises(dw.FormatError):
        dw.load(path)


def test_edit_api():
    g = encoder_graph()
    assert g.node("mlp").params["widths"] == [2, 64, 64, 2]
    g.remove("mlp")
    assert [e for e in g.edges if "mlp" in (e.source, e.target)] == []
    with pytest.raises(dw.UnknownNode):
        g.node("mlp")
    with pytest.raises(dw.UnknownPort):
        g.connect("x", "y.nope")
    assert repr(g) == "<Graph: 2 nodes, 0 edges>"


def test_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(dw.FormatError) as info:
        dw.load(tmp_path / "nope.diffwire")
    assert "nope.diffwire" in str(info.value)
    with pytest.raises(dw.FormatError):
        dw.load(tmp_path)  # a folder
