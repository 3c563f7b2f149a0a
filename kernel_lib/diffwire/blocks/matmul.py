import operator

import torch

from ..ports import Port
from .base import Block, ExportedNode, Fn
from .fx_rules import Imported, call_rule


class MatMul(Block):
    """a @ b, with torch.matmul's broadcasting of batch dimensions."""

    type = "MatMul"
    category = "math"
    inputs = (Port("a", shape=("*", "n", "k")), Port("b", shape=("*", "k", "m")))
    outputs = (Port("out", shape=("*", "n", "m")),)
    example_inputs = {"a": (2, 4, 3), "b": (3, 5)}

    @classmethod
    def build(cls, node, ctx):
        return Fn(torch.matmul, "matmul")

    @classmethod
    def export(cls, node, ctx):
        return ExportedNode(forward=[ctx.assign(f"{ctx.args[0]} @ {ctx.args[1]}")])


@call_rule(operator.matmul, torch.matmul, "matmul")
def _from_call(a, b):
    return Imported("MatMul", {}, [a, b])
