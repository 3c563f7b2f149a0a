"""The parameterized gate: a k-input lookup table whose 2**k output bits are its weights."""

from __future__ import annotations

import torch
from torch import nn

from ...errors import ParamError
from ...ports import Param, Port
from ..base import Block, ExportedNode
from . import z2

MAX_INPUTS = 6  # 64 rows: still a grid a person can read on the node


class LUT(Block):
    """A gate that learns: k bool inputs, one bool output, and a truth table of 2**k
    bits as its parameter (input i is bit i of the row). An empty `table` starts from
    random bits drawn from the compile seed. Train it with the `rda` optimizer (reverse
    derivative ascent); `dw.boolean.write_tables(graph, model)` copies learned tables
    back into the document, where the canvas draws them."""

    type = "LUT"
    category = "logic"
    outputs = (Port("out", "bool"),)
    params = (
        Param("k", "int", 2, min=1, max=MAX_INPUTS, doc="number of inputs"),
        Param("table", "list", [], item="int", min=0, max=1, view="truth_table",
              doc="2**k output bits, row = sum(x_i << i); empty: random"),
    )
    example_params = {"k": 2, "table": [0, 1, 1, 1]}
    example_inputs = {"x0": (4, 3), "x1": (4, 3)}

    @classmethod
    def input_ports(cls, params):
        return tuple(Port(f"x{i}", "bool", doc=f"bit {i} of the row")
                     for i in range(params.get("k", 2)))

    @classmethod
    def check_params(cls, params, node=None):
        rows = 2 ** params["k"]
        if params["table"] and len(params["table"]) != rows:
            raise ParamError("a truth table has one bit per row", node=node, port="table",
                             expected=f"{rows} bits for k={params['k']} (or an empty list)",
                             found=f"{len(params['table'])} bits")

    @classmethod
    def formula(cls, node, path, shapes):
        return None

    @classmethod
    def learned_params(cls, node, module):
        return {"table": module.bits()}

    @classmethod
    def build(cls, node, ctx):
        k, table = node.read_params()["k"], node.read_params()["table"]
        if table:
            t = torch.tensor(table, dtype=torch.float32)
        else:
            t = torch.randint(0, 2, (2 ** k,)).float()
        return _LUT(t)

    @classmethod
    def export(cls, node, ctx):
        rows = 2 ** node.read_params()["k"]
        init = node.read_params()["table"] or [0] * rows
        idx = ctx.fresh(f"{node.id}_row")
        terms = " | ".join(f"({x}.long() << {i})" if i else f"{x}.long()"
                           for i, x in enumerate(ctx.args))
        return ExportedNode(
            init=f'nn.ParameterDict({{"table": nn.Parameter(torch.tensor({[float(b) for b in init]!r}))}})',
            forward=[f"{idx} = {terms}", ctx.assign(f"{ctx.slot}.table[{idx}] > 0.5")])


class _LUT(nn.Module):
    def __init__(self, table: torch.Tensor):
        super().__init__()
        self.table = nn.Parameter(table)
        self.table.truth_table = True  # what the rda optimizer may flip (train/rda.py)

    def forward(self, *xs):
        return z2.lookup(self.table, xs)

    def bits(self) -> list[int]:
        """The table as a list of 0/1, row by row."""
        return [int(b) for b in (self.table.detach() > 0.5).tolist()]
