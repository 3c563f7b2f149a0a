"""Mutated, random and random-valid documents: only GraphError family errors, never
another exception, never a hang (each case runs under a time bound).

A few hundred cases run by default; `pytest -m slow` runs 10,000.
"""

import copy
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffwire as dw

from helpers import compiled_block_types, example_graph, time_limit

BASE = [example_graph(t)[0].to_dict() for t in compiled_block_types()]
JUNK = [None, True, -1, 0, 1e308, float("nan"), float("inf"), "", "x" * 1000, "ü💥\u202e", [],
        {}, [1, [2, [3]]], {"a": {"b": {}}}, 2**70, -(2**70), "MLP", "Loop", "../../etc/passwd"]


def mutate(obj, rng: random.Random) -> None:
    if isinstance(obj, dict) and obj:
        key = rng.choice(sorted(obj, key=str))
        r = rng.random()
        if r < 0.2:
            del obj[key]
        elif r < 0.5:
            obj[key] = copy.deepcopy(rng.choice(JUNK))
        else:
            mutate(obj[key], rng)
    elif isinstance(obj, list) and obj:
        i = rng.randrange(len(obj))
        r = rng.random()
        if r < 0.2:
            del obj[i]
        elif r < 0.35:
            obj.append(copy.deepcopy(obj[i]))  # duplicate ids, duplicate edges
        elif r < 0.5:
            obj[i] = copy.deepcopy(rng.choice(JUNK))
        else:
            mutate(obj[i], rng)


CASE_LIMIT_S = 10.0  # generous on a loaded machine; a hang is unbounded


def exercise(text: str) -> None:
    with time_limit(CASE_LIMIT_S):
        try:
            g = dw.loads(text)
            errors = g.validate()
            if not [e for e in errors if e.severity == "error"]:
                g.compile()
        except dw.GraphError:
            pass


def run_cases(n: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(n):
        doc = copy.deepcopy(rng.choice(BASE))
        for _ in range(rng.randint(1, 5)):
            mutate(doc, rng)
        exercise(json.dumps(doc))


def test_mutated_documents_only_raise_graph_errors():
    run_cases(400, seed=1)


@pytest.mark.slow
def test_mutated_documents_10k():
    run_cases(10_000, seed=2)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_random_bytes(data):
    with time_limit(CASE_LIMIT_S):
        try:
            text = data.decode("utf-8", errors="replace")
            dw.loads(text)
        except dw.GraphError:
            pass


def test_deep_nesting_and_cycles_are_graph_errors():
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(dw.GraphError):
        dw.loads(deep)
    # Loops nested 150 deep, written as text (json.dumps itself would recurse too deeply).
    opening = '{"id": "loop", "type": "Loop", "params": {}, "body": {"body": {"edges": [], "nodes": ['
    text = ('{"format": "diffwire/1", "edges": [], "nodes": [' + opening * 150 + "]}}}" * 150
            + "]}")
    exercise(text)
