"""What the loss blocks share: inputs `pred` and `target`, a scalar `loss`, a reduction."""

from collections.abc import Callable
from typing import ClassVar

from torch import nn

from ..ports import Param, Port
from .base import Block

REDUCTION = Param("reduction", "choice", "mean", choices=("mean", "sum"))


class LossBlock(Block):
    category = "loss"
    inputs = (Port("pred"), Port("target"))
    outputs = (Port("loss", "scalar", ()),)
    params = (REDUCTION,)
    example_inputs = {"pred": (4, 3), "target": (4, 3)}
    fn: ClassVar[Callable]
    extra: ClassVar[tuple[str, ...]] = ()  # params passed on to fn as keywords

    @classmethod
    def build(cls, node, ctx):
        kwargs = {k: node.params[k] for k in cls.extra}
        return _Loss(cls.fn, node.params["reduction"], kwargs)


class _Loss(nn.Module):
    def __init__(self, fn, reduction, kwargs):
        super().__init__()
        self.fn, self.reduction, self.kwargs = fn, reduction, kwargs

    def forward(self, pred, target):
        return self.fn(pred, target, reduction=self.reduction, **self.kwargs)

    def extra_repr(self):
        return f"{self.fn.__name__}, reduction={self.reduction}"
