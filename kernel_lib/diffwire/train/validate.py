"""Checking a training section without training: every problem as a located error."""

from __future__ import annotations

import pathlib

from ..document import Graph
from ..errors import GraphError
from .config import resolve
from .data import resolve as resolve_data


def validate_training(graph: Graph, root: str | pathlib.Path | None = None,
                      data: dict | None = None, kernel: bool = True) -> list[GraphError]:
    """Problems with `graph.training`: unknown keys, loss wiring, optimizer references,
    unbound graph inputs, data that cannot be loaded. With `kernel` False (the command
    line), bindings to kernel variables are reported as warnings: there is no kernel."""
    if not graph.training and data is None:  # a model file: fine, but nothing to train with
        return [GraphError("the document has no training section", severity="warning",
                           port="training",
                           hint="write one with dw.training_config(g, ...) to train from the file")]
    try:
        config = resolve(graph, data=data)
    except GraphError as e:
        return [e]
    errs: list[GraphError] = []
    for n in graph.inputs():
        name = n.params["name"]
        if name not in config.bindings:
            errs.append(GraphError(f"the graph input '{name}' has no data", node=n.id,
                                   port=f"training.data.{name}"))
    for name, b in config.bindings.items():
        if b["source"] == "kernel" and not kernel and "value" not in b:
            errs.append(GraphError(f"'{name}' is bound to a kernel variable", severity="warning",
                                   port=f"training.data.{name}",
                                   hint="bind a file or a generator to train from the command line"))
            continue
        try:
            resolve_data({name: b}, root)
        except GraphError as e:
            errs.append(e)
    return errs
