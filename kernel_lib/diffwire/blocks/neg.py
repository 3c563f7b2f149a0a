import operator

import torch

from ..ports import Port
from ..symbolic import Sym, negate
from .base import Block, ExportedNode, Fn
from .fx_rules import Imported, call_rule


class Neg(Block):
    """-x."""

    type = "Neg"
    category = "math"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    example_inputs = {"x": (4, 3)}

    @classmethod
    def symbolic(cls, node, args, width):
        x = args.get("x")
        if x is None:
            return super().symbolic(node, args, width)
        return Sym(negate(x.text), None if x.parts is None else tuple(negate(p) for p in x.parts))

    @classmethod
    def build(cls, node, ctx):
        return Fn(torch.neg, "neg")

    @classmethod
    def export(cls, node, ctx):
        return ExportedNode(forward=[ctx.assign(f"-{ctx.args[0]}")])


@call_rule(operator.neg, torch.neg, "neg")
def _from_call(x):
    return Imported("Neg", {}, [x])
