"""JSON text to Python, refusing duplicate keys with the key and its line.

``json.loads`` keeps the last of two equal keys without a word, so a document could
say ``"lr": 0.01`` on screen and ``"lr": 100`` to the loader. Duplicates are found by a
hook on every object (cheap), and only then located: a second scan over the text that
tracks strings and nesting without recursion (100k-deep documents stay fine).
"""

from __future__ import annotations

import json
from json.decoder import scanstring

from .errors import FormatError


class _Duplicate(Exception):
    def __init__(self, key: str):
        self.key = key


def _object_hook():
    """The hook that makes each JSON object a dict, refusing a duplicate key. String values
    come out as one object per distinct text: a 200,000-node document repeats a few block
    types, port names and every node id (once in its node, twice in edges), and a separate
    string for each occurrence was a third of the parsed document (json shares keys only)."""
    memo: dict[str, str] = {}
    same = memo.setdefault

    def pairs_to_dict(pairs: list) -> dict:
        out = {k: same(v, v) if v.__class__ is str else v for k, v in pairs}
        if len(out) != len(pairs):
            seen: set = set()
            for k, _ in pairs:
                if k in seen:
                    raise _Duplicate(k)
                seen.add(k)
        return out

    return pairs_to_dict


def _float_pool(size: int = 4096):
    """The parser's float maker: one object per distinct number text among the first `size`
    texts (keyed by text, so -0.0 stays apart from 0.0). A canvas repeats its coordinates
    (every node of a row has its y), and each float was an object of 32 bytes; the pool
    stops growing at `size` so that a document of unique numbers does not keep a map of
    them all while it is parsed."""
    memo: dict[str, float] = {}

    def parse_float(text: str) -> float:
        got = memo.get(text)
        if got is None:
            got = float(text)
            if len(memo) < size:
                memo[text] = got
        return got

    return parse_float


def loads(text: str):
    """Parse `text`; a duplicate key is a :class:`FormatError` naming it and its line.

    Other JSON errors propagate as ``json.JSONDecodeError`` (the caller words them)."""
    try:
        return json.loads(text, object_pairs_hook=_object_hook(), parse_float=_float_pool())
    except _Duplicate as dup:
        line = duplicate_line(text, dup.key)
        where = f" on line {line}" if line else ""
        raise FormatError(f"duplicate key {dup.key!r}{where}: JSON objects name each key once",
                          found=repr(dup.key)[:80], expected="unique keys",
                          hint="remove one of the two entries") from None


def duplicate_line(text: str, key: str) -> int | None:
    """The line of the first key that repeats `key` within one object."""
    stack: list[set | None] = []  # a set of keys per open object, None per open array
    i, n, line = 0, len(text), 1
    expecting_key = False
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == "{":
            stack.append(set())
            expecting_key = True
        elif c == "[":
            stack.append(None)
        elif c in "}]":
            if stack:
                stack.pop()
            expecting_key = False
        elif c == ",":
            expecting_key = bool(stack) and stack[-1] is not None
        elif c == '"':
            try:
                s, end = scanstring(text, i + 1)
            except (json.JSONDecodeError, ValueError):
                return None
            if expecting_key and stack and stack[-1] is not None:
                if s == key and s in stack[-1]:
                    return line
                stack[-1].add(s)
            line += text.count("\n", i, end)
            i = end
            expecting_key = False
            continue
        i += 1
    return None
