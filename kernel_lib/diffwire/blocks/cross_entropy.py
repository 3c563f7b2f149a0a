import torch.nn.functional as F

from ..ports import Param, Port
from .loss_base import REDUCTION, LossBlock


class CrossEntropy(LossBlock):
    """Cross entropy of logits `pred` [B, C] against class indices [B] (int64) or
    class probabilities [B, C]."""

    type = "CrossEntropy"
    fn = staticmethod(F.cross_entropy)
    params = (REDUCTION, Param("label_smoothing", "float", 0.0, min=0.0, max=1.0))
    extra = ("label_smoothing",)
    same_shape = False
    inputs = (Port("pred", shape=("B", "C")), Port("target"))
