import torch

from ..ports import Port
from .base import Block, Fn


class Neg(Block):
    """-x."""

    type = "Neg"
    category = "math"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        return Fn(torch.neg, "neg")
