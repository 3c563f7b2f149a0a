"""The generator and loss catalogs: what the editor's Training panel offers, as JSON.

Like ``dw.catalog()`` for blocks, the front end builds its forms from these and names no
generator or loss function itself: a generator registered in a cell appears at once.
"""

from __future__ import annotations

import inspect

from . import generators
from .config import SCALARS
from .losses import FNS
from .section_schema import training_schema

#: The training section's plain settings the panel shows, in order (their kinds, ranges
#: and docs come from the section's JSON Schema, so the form and the checks agree).
FORM_FIELDS = ("steps", "batch_size", "val_split", "seed", "eval_every", "checkpoint_every",
               "keep_checkpoints", "keep_best", "compile")

#: One line per built-in loss function, shown beside its name.
LOSS_DOCS = {
    "mse": "mean squared error",
    "l1": "mean absolute error",
    "huber": "squared error near zero, absolute error further out",
    "bce": "binary cross-entropy on logits",
    "cross_entropy": "cross-entropy on logits (class indices or probabilities as targets)",
    "hamming": "fraction of wrong bits (bool outputs; what the rda optimizer trains against)",
}


def _first_line(fn) -> str:
    doc = inspect.getdoc(fn) or ""  # reST literals (``x``) read as plain text on screen
    return doc.strip().split("\n\n")[0].replace("\n", " ").replace("``", "")


def generator_catalog() -> list[dict]:
    """Every registered data generator: ``name``, ``doc`` (its docstring's first
    paragraph), ``params`` (typed, with ranges: the same JSON as a block's params) and
    ``keys`` (the arrays it returns, or None when it does not say)."""
    out = []
    for name in sorted(generators.GENERATORS):
        params = generators.PARAMS.get(name, {})
        out.append({"name": name, "doc": _first_line(generators.GENERATORS[name]),
                    "params": [p.to_json() for p in params.values()],
                    "keys": generators.KEYS.get(name)})
    return out


def loss_catalog() -> list[dict]:
    """The loss functions an output/target pair can use: ``name`` and ``doc``."""
    return [{"name": name, "doc": LOSS_DOCS.get(name, _first_line(fn))}
            for name, fn in FNS.items()]


def section_fields() -> list[dict]:
    """The settings of :data:`FORM_FIELDS` as param JSON (``kind`` int, float or bool,
    ``min``, ``max``, ``nullable``, ``doc``, ``default`` where the run has one), read from
    the training section's JSON Schema."""
    props = training_schema()["properties"]
    out = []
    for name in FORM_FIELDS:
        s = props[name]
        field = {"name": name, "doc": s.get("description", ""), "required": False}
        if "anyOf" in s:  # a menu: compile is false, true or "auto"
            choices = [c for alt in s["anyOf"]
                       for c in ([alt["const"]] if "const" in alt
                                 else [False, True] if alt.get("type") == "boolean" else [])]
            field.update(kind="choice", nullable=False,
                         choices=sorted(choices, key=lambda c: not isinstance(c, bool)))
        else:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            kind = "int" if "integer" in types else "bool" if "boolean" in types else "float"
            field.update(kind=kind, nullable="null" in types)
        if SCALARS.get(name) is not None:  # what an absent key means, shown in the form
            field["default"] = SCALARS[name]
        if "minimum" in s:
            field["min"] = s["minimum"]
        if "maximum" in s:
            field["max"] = s["maximum"]
        elif "exclusiveMaximum" in s:  # val_split < 1: the form says <= 0.99
            field["max"] = s["exclusiveMaximum"] - 0.01
        out.append(field)
    return out


def training_catalog() -> dict:
    """The catalogs in one object (what the editor receives): generators, losses and the
    section's plain settings."""
    return {"generators": generator_catalog(), "losses": loss_catalog(),
            "fields": section_fields()}
