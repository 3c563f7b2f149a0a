"""The plain-Python schema check (schema_fast.py) agrees with jsonschema on the shipped
schema: same verdict on valid, mutated and random documents, so the fast path never lets
through what the schema refuses, and is taken for every valid document."""

import copy
import random

import jsonschema
import pytest
from test_fuzz_documents import JUNK, mutate

import diffwire as dw
from diffwire.document import schema
from diffwire.schema_fast import plainly_valid

from helpers import compiled_block_types, example_graph

BASE = [example_graph(t)[0].to_dict() for t in compiled_block_types()]
VALIDATOR = jsonschema.Draft202012Validator(schema())


def agree(doc) -> bool:
    want = not any(True for _ in VALIDATOR.iter_errors(doc))
    assert plainly_valid(doc) == want, doc
    return want


def test_every_example_document_takes_the_fast_path():
    for doc in BASE:
        assert agree(doc)


@pytest.mark.parametrize("seed", range(20))
def test_mutated_documents_get_the_same_verdict(seed):
    rng = random.Random(seed)
    valid = 0
    for doc in BASE:
        d = copy.deepcopy(doc)
        for _ in range(rng.randint(1, 3)):
            mutate(d, rng)
        valid += agree(d)
    assert valid < len(BASE)  # the mutations do produce invalid documents


def test_edge_cases_of_each_rule():
    doc = copy.deepcopy(BASE[0])
    node, edge = doc["nodes"][0], (doc["edges"] or [None])[0]
    cases = []
    for value in JUNK + ["a\n", "9a", "a.b", "a" * 201, True, 1.5, [1.0, True], [1, 2, 3],
                         [1, 2]]:
        for key in ("id", "type", "label", "position", "params", "body"):
            n = dict(node, **{key: value})
            cases.append(dict(doc, nodes=[n] + doc["nodes"][1:]))
        if edge is not None:
            for key in ("source", "source_port", "target", "target_port"):
                cases.append(dict(doc, edges=[dict(edge, **{key: value})]))
        for key in ("format", "training", "meta", "extra"):
            cases.append(dict(doc, **{key: value}))
    cases.append(dict(doc, nodes=[dict(node, body={"b": {"nodes": [], "edges": []}})]))
    cases.append(dict(doc, nodes=[dict(node, body={"b": {"nodes": [node], "edges": [],
                                                         "x": 1}})]))
    results = [agree(c) for c in cases]
    assert any(results) and not all(results)


def test_a_bad_document_still_gets_jsonschemas_located_message():
    doc = copy.deepcopy(BASE[0])
    doc["nodes"][0]["position"] = [0, "left"]
    with pytest.raises(dw.FormatError) as e:
        dw.Graph.from_dict(doc)
    assert "position" in str(e.value) and e.value.node == doc["nodes"][0]["id"]
