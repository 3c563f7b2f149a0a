"""The shared shape of the fixed gates: a truth table, bool ports, export as torch
logical ops."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from ...ports import Port
from ..base import Block, ExportedNode
from . import z2


class Gate(Block):
    """A fixed Boolean gate: its truth table (input i is bit i of the row) says what it
    computes; on bool wires it runs as the torch logical op named by `torch_op`."""

    category = "logic"
    inputs: ClassVar[tuple[Port, ...]] = (
        Port("a", "bool", doc="left input"), Port("b", "bool", doc="right input (broadcasts)"))
    outputs = (Port("out", "bool"),)
    example_inputs = {"a": (4, 3), "b": (4, 3)}
    #: output bit per row, row = sum(input_i << i)
    table: ClassVar[tuple[int, ...]]
    #: the torch function of the exported code (and of the bool forward)
    torch_op: ClassVar[str]

    @classmethod
    def build(cls, node, ctx):
        return _FixedGate(cls.table, getattr(torch, cls.torch_op))

    @classmethod
    def export(cls, node, ctx):
        return ExportedNode(forward=[ctx.assign(f"torch.{cls.torch_op}({', '.join(ctx.args)})")])


class _FixedGate(nn.Module):
    def __init__(self, table, op):
        super().__init__()
        # a buffer that is not saved: the gate's table is its type, not a weight
        self.register_buffer("table", torch.tensor(table, dtype=torch.float32), persistent=False)
        self.op = op

    def forward(self, *xs):
        if z2.active_tape() is not None and torch.is_grad_enabled():
            return z2.lookup(self.table, xs)
        return self.op(*[z2.bits(x) for x in xs])
