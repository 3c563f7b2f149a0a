"""The training section's JSON Schema: shipped, complete, in step with the code, and
`validate_training` reports every violation at once with its place in the document."""

import json

import jsonschema
import numpy as np
import pytest

import diffwire as dw
from diffwire.train import config, losses, optim
from diffwire.train.section_schema import training_schema

from train_util import mlp_graph, sine_data


def test_the_schema_ships_and_is_a_valid_draft_2020_12_schema():
    schema = training_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == config.SECTION_KEYS
    assert schema["additionalProperties"] is False


def test_the_optimizer_part_matches_the_optimizer_params():
    props = training_schema()["$defs"]["optimizer_spec"]["properties"]
    assert set(props) == {p.name for p in optim.PARAMS}
    kinds = {"float": "number", "int": "integer", "bool": "boolean", "list": "array",
             "string": "string"}
    for p in optim.PARAMS:
        s = props[p.name]
        if p.kind == "choice":
            assert s["enum"] == list(p.choices), p.name
            continue
        assert s["type"] == kinds[p.kind], p.name
        item = s.get("items", s)
        assert item.get("minimum") == p.min and item.get("maximum") == p.max, p.name
    assert training_schema()["$defs"]["loss_fn"]["enum"] == list(losses.FNS)


def section_graph(**section):
    g = mlp_graph()
    g.add("Optimizer", id="adam", kind="adam", lr=1e-2)
    g.training = {"data": {"x": "x", "y": "y"}, "loss": "mse", **section}
    return g


DATA = {"x": np.zeros((4, 1), np.float32), "y": np.zeros((4, 1), np.float32)}


def test_every_problem_is_reported_at_once_with_its_place():
    g = section_graph(seed=-1, step_timeout=-1, val_split=1.5, steps="many", bogus=1,
                      schedule=[{"optimizer": "adam", "steps": -2, "extra": 0}])
    errs = dw.validate_training(g, data=DATA)
    ports = {e.port for e in errs}
    assert {"training.seed", "training.step_timeout", "training.val_split", "training.steps",
            "training.bogus", "training.schedule.0.steps", "training.schedule.0.extra"} <= ports
    assert all(isinstance(e, dw.ParamError) for e in errs)
    text = "\n".join(map(str, errs))
    assert "unknown key 'bogus'" in text and "unknown key 'extra'" in text


def test_bindings_are_checked_by_source(tmp_path):
    d = sine_data(8)
    np.savez(tmp_path / "d.npz", x=d["x"], y=d["y"])
    g = mlp_graph()
    g.training = {"data": {
        "x": {"source": "file", "path": "d.npz", "batch": "yes"},
        "y": {"source": "file", "path": "d.npz", "columns": ["y"]},
        "z": {"source": "kernel", "name": "z", "path": "d.npz"},
        "w": {"source": "generator", "name": "sine", "kwargs": {"n": 8}, "columns": ["a"]},
        "v": {"source": "file", "path": "d.csv", "key": "x"},
        "u": {"source": "ftp"}}}
    errs = dw.validate_training(g, root=tmp_path)
    by_port = {e.port: str(e) for e in errs}
    assert "wrong type" in by_port["training.data.x.batch"]
    assert "an .npz binding picks its array with 'key'" in by_port["training.data.y.columns"]
    assert "unknown key 'path'" in by_port["training.data.z.path"]
    assert "unknown key 'columns'" in by_port["training.data.w.columns"]
    assert "a .csv binding selects with 'columns'" in by_port["training.data.v.key"]
    assert "training.data.u.source" in by_port


def test_an_optimizer_naming_a_missing_node_is_an_error_even_with_a_schedule():
    g = section_graph(optimizer="nosuch", schedule=[{"optimizer": "adam", "steps": 2}])
    errs = dw.validate_training(g, data=DATA)
    assert any(e.severity == "error" and e.port == "training.optimizer" and "nosuch" in str(e)
               for e in errs)
    with pytest.raises(dw.GraphError, match="nosuch"):
        dw.train(g, data=DATA, progress=False, start=False)
    g = section_graph(optimizer="adam", schedule=[{"optimizer": "ghost", "steps": 2}])
    errs = dw.validate_training(g, data=DATA)
    assert any(e.port == "training.schedule.0.optimizer" and "ghost" in str(e) for e in errs)
    assert any(e.severity == "warning" and "ignored" in str(e) for e in errs)


def test_a_good_section_has_no_problems():
    g = section_graph(schedule=[{"optimizer": "adam", "steps": 2},
                                {"optimizer": {"kind": "lbfgs", "history_size": 10}}],
                      steps=4, seed=3, batch_size=None, val_split=0.25, step_timeout=5)
    assert dw.validate_training(g, data=DATA) == []


def test_duplicate_json_keys_are_a_format_error_naming_key_and_line():
    text = mlp_graph().to_json()
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if '"widths"' in line)
    lines.insert(i, '        "activation": "relu",')
    with pytest.raises(dw.FormatError) as info:
        dw.loads("\n".join(lines))
    assert "'activation'" in str(info.value) and f"line {i + 1}" in str(info.value)
    # the same key in two different objects is fine; a repeat nested deeper is found
    assert dw.loads(text) == mlp_graph()
    doc = '{"format": "diffwire/1", "nodes": [], "edges": [],\n "meta": {"a": {"b": 1,\n"b": 2}}}'
    with pytest.raises(dw.FormatError, match="duplicate key 'b' on line 3"):
        dw.loads(doc)
    bad = '{"format": "diffwire/1",\n "format": "diffwire/1", "nodes": [], "edges": []}'
    with pytest.raises(dw.FormatError, match="line 2"):
        dw.loads(bad)
    assert json.loads(text)  # (the file itself is ordinary JSON)
