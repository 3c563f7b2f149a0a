"""What the loss blocks share: inputs `pred` and `target`, a scalar `loss`, a reduction."""

from collections.abc import Callable
from typing import ClassVar

import torch.nn.functional as F
from torch import nn

from ..errors import ShapeMismatch
from ..ports import Param, Port
from .base import Block, ExportedNode

REDUCTION = Param("reduction", "choice", "mean", choices=("mean", "sum"))


class LossBlock(Block):
    category = "loss"
    inputs = (Port("pred"), Port("target"))
    outputs = (Port("loss", "scalar", ()),)
    params = (REDUCTION,)
    example_inputs = {"pred": (4, 3), "target": (4, 3)}
    fn: ClassVar[Callable]
    extra: ClassVar[tuple[str, ...]] = ()  # params passed on to fn as keywords
    same_shape: ClassVar[bool] = True  # pred and target must agree (no silent broadcasting)

    @classmethod
    def build(cls, node, ctx):
        kwargs = {k: node.read_params()[k] for k in cls.extra}
        return _Loss(cls.fn, node.read_params()["reduction"], kwargs, cls.same_shape)

    @classmethod
    def export(cls, node, ctx):
        name = getattr(cls.fn, "__name__", "")
        if getattr(F, name, None) is not cls.fn:
            return None
        pred, target = ctx.args
        extra = "".join(f", {k}={ctx.literal(node.read_params()[k])}" for k in cls.extra)
        return ExportedNode(forward=[ctx.assign(f"F.{name}({pred}, {target}, reduction={ctx.literal(node.read_params()['reduction'])}{extra})")])


class _Loss(nn.Module):
    def __init__(self, fn, reduction, kwargs, same_shape):
        super().__init__()
        self.fn, self.reduction, self.kwargs, self.same_shape = fn, reduction, kwargs, same_shape

    def forward(self, pred, target):
        if self.same_shape and pred.shape != target.shape:
            raise ShapeMismatch("pred and target differ in shape", port="target",
                                expected=list(pred.shape), found=list(target.shape))
        return self.fn(pred, target, reduction=self.reduction, **self.kwargs)

    def extra_repr(self):
        return f"{self.fn.__name__}, reduction={self.reduction}"
