"""Learned truth tables: back into the document, and as rows a person reads."""

from __future__ import annotations


def write_tables(graph, model) -> dict[str, list[int]]:
    """Copy each LUT node's learned table from `model` (compiled from `graph`) into its
    ``table`` param, so the saved document and the canvas show what was learned.
    Returns ``{node id: table}``."""
    out = {}
    for nid, node in graph.nodes.items():
        if node.type == "LUT":
            params = node.block.learned_params(node, model.blocks[nid])
            node.params.update(params)
            out[nid] = params["table"]
    return out


def truth_rows(table: list[int]) -> list[tuple[tuple[int, ...], int]]:
    """``[((x0, x1, ...), out), ...]`` for a table of 2**k bits (input i is bit i)."""
    k = max(1, (len(table) - 1).bit_length())
    return [(tuple((row >> i) & 1 for i in range(k)), int(bit)) for row, bit in enumerate(table)]
