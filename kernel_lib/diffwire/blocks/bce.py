import torch.nn.functional as F

from ..ports import Param
from .base import ExportedNode
from .loss_base import REDUCTION, LossBlock


def _bce(pred, target, reduction, logits):
    if logits:
        return F.binary_cross_entropy_with_logits(pred, target, reduction=reduction)
    return F.binary_cross_entropy(pred, target, reduction=reduction)


class BCE(LossBlock):
    """Binary cross entropy; `logits` true takes raw scores (numerically safer)."""

    type = "BCE"
    fn = staticmethod(_bce)
    params = (REDUCTION, Param("logits", "bool", True, doc="pred holds logits, not probabilities"))
    extra = ("logits",)

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        fn = "binary_cross_entropy_with_logits" if p["logits"] else "binary_cross_entropy"
        pred, target = ctx.args
        return ExportedNode(forward=[ctx.assign(f"F.{fn}({pred}, {target}, reduction={ctx.literal(p['reduction'])})")])
