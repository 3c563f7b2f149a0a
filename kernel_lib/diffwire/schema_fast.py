"""A plain-Python check that a document satisfies ``schema/diffwire-1.schema.json``.

jsonschema walks a 200,000-node document in about a minute (every node and edge descends
through ``$ref`` lookups and validator objects), and importing it compiles lark grammars.
This check says only "valid" or "not sure": a document it accepts is valid under the
schema; for anything else the loader runs jsonschema, which finds and words the problem.
``tests/test_schema_fast.py`` holds the two to the same verdict on fuzzed documents, so
the schema file stays the single statement of the format.
"""

from __future__ import annotations

import re

# the schema's patterns, used as jsonschema uses them (re.search)
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_MAX = 200
_DOC_KEYS = frozenset({"format", "nodes", "edges", "training", "meta"})
_NODE_KEYS = frozenset({"id", "type", "params", "position", "label", "body"})
_EDGE_KEYS = frozenset({"source", "source_port", "target", "target_port"})
_BODY_KEYS = frozenset({"nodes", "edges"})


def plainly_valid(doc) -> bool:
    """True when `doc` satisfies the document schema; False means "ask jsonschema"."""
    try:
        return (type(doc) is dict and doc.keys() <= _DOC_KEYS
                and doc.get("format", None) == "diffwire/1" and type(doc["format"]) is str
                and "nodes" in doc and "edges" in doc
                and type(doc.get("training", {})) is dict and type(doc.get("meta", {})) is dict
                and _graph(doc))
    except RecursionError:
        return False


def _graph(g: dict) -> bool:
    nodes, edges = g["nodes"], g["edges"]
    return (type(nodes) is list and type(edges) is list
            and all(_node(n) for n in nodes) and all(_edge(e) for e in edges))


def _id(v) -> bool:
    return type(v) is str and len(v) <= _MAX and _ID.search(v) is not None


def _name(v) -> bool:
    return type(v) is str and 1 <= len(v) <= _MAX


def _number(v) -> bool:
    return type(v) is int or type(v) is float


def _node(n) -> bool:
    if type(n) is not dict or not n.keys() <= _NODE_KEYS or "id" not in n or "type" not in n:
        return False
    t = n["type"]
    if not (_id(n["id"]) and type(t) is str and len(t) <= _MAX and _TYPE.search(t)):
        return False
    if "params" in n and type(n["params"]) is not dict:
        return False
    if "position" in n:
        p = n["position"]
        if type(p) is not list or len(p) != 2 or not (_number(p[0]) and _number(p[1])):
            return False
    if "label" in n:
        lab = n["label"]
        if lab is not None and (type(lab) is not str or len(lab) > 10000):
            return False
    if "body" in n:
        body = n["body"]
        if type(body) is not dict:
            return False
        for b in body.values():
            if type(b) is not dict or b.keys() != _BODY_KEYS or not _graph(b):
                return False
    return True


def _edge(e) -> bool:
    return (type(e) is dict and e.keys() == _EDGE_KEYS and _id(e["source"]) and _id(e["target"])
            and _name(e["source_port"]) and _name(e["target_port"]))
