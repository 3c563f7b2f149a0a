"""Checking a training section without training: every problem as a located error."""

from __future__ import annotations

import pathlib

from ..document import Graph
from ..errors import GraphError
from .config import check_optimizer_refs, resolve
from .data import normalize_binding
from .data import resolve as resolve_data
from .ensemble import Ensemble
from .section_schema import section_errors
from .windows import provided


def validate_training(graph: Graph, root: str | pathlib.Path | None = None,
                      data: dict | None = None, kernel: bool = True) -> list[GraphError]:
    """Every problem with `graph.training`, each located by its place in the document
    (``training.data.x.path``): violations of the section's JSON Schema
    (``schema/training-1.schema.json``: unknown keys, types, ranges), optimizer
    references, loss wiring, unbound graph inputs, data that cannot be loaded. With
    `kernel` False (the command line), bindings to kernel variables are reported as
    warnings: there is no kernel."""
    if not graph.training and data is None:  # a model file: fine, but nothing to train with
        return [GraphError("the document has no training section", severity="warning",
                           port="training",
                           hint="write one with dw.training_config(g, ...) to train from the file")]
    section = graph.training or {}
    errs: list[GraphError] = list(section_errors(section))
    if not isinstance(section, dict):
        return errs
    errs += check_optimizer_refs(graph, section)
    broken = {e.port.split(".")[2] for e in errs
              if e.port and e.port.startswith("training.data.") and len(e.port.split(".")) > 2}
    if not any(e.severity == "error" for e in errs):
        try:
            config = resolve(graph, data=data)
        except GraphError as e:
            return errs + [e]
        bindings = config.bindings
        if config.ensemble is not None:
            errs += ensemble_errors(graph, config.ensemble)
    else:  # the rest of the section still gets checked, binding by binding
        bindings = {}
        listed = section.get("data")
        for k, v in {**(listed if isinstance(listed, dict) else {}), **(data or {})}.items():
            if k in broken and k not in (data or {}):
                bindings[k] = None
                continue
            try:
                bindings[k] = normalize_binding(k, v)
            except GraphError as e:
                errs.append(e)
                bindings[k] = None
    fed = provided({k: b for k, b in bindings.items() if b is not None})
    for n in graph.inputs():
        name = n.params["name"]
        if name not in bindings and name not in fed:
            errs.append(GraphError(f"the graph input '{name}' has no data", node=n.id,
                                   port=f"training.data.{name}"))
    generated: dict = {}  # each generator runs once, however many bindings pick from it
    for name, b in bindings.items():
        if b is None:
            continue
        if b["source"] == "kernel" and not kernel and "value" not in b:
            errs.append(GraphError(f"'{name}' is bound to a kernel variable", severity="warning",
                                   port=f"training.data.{name}",
                                   hint="bind a file or a generator to train from the command line"))
            continue
        try:
            resolve_data({name: b}, root, generated)
        except GraphError as e:
            errs.append(e)
    return errs


def ensemble_errors(graph: Graph, spec: dict) -> list[GraphError]:
    """Masks naming missing nodes, or not fitting the node's output (the first member's
    graph, masks written in, is validated: every member has its structure)."""
    try:
        first = Ensemble.from_spec(spec).member_graphs(graph)[0]
    except GraphError as e:
        if e.port and e.port.startswith("ensemble"):
            e.port = f"training.{e.port}"
        return [e]
    return [e for e in first.validate() if e.severity == "error"] if first is not graph else []
