"""The exporters of block types that do not carry an ``export`` hook of their own, by type."""

from __future__ import annotations

from collections.abc import Callable

#: block type -> exporter(node, ctx) -> ExportedNode
EXPORTERS: dict[str, Callable] = {}


def exporter(*types: str) -> Callable:
    """Register an exporter for block `types` (a decorator)."""

    def deco(fn: Callable) -> Callable:
        for t in types:
            EXPORTERS[t] = fn
        return fn

    return deco
