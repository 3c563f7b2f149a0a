import torch.nn.functional as F

from .loss_base import LossBlock


class L1(LossBlock):
    """Mean absolute error between `pred` and `target`."""

    type = "L1"
    fn = staticmethod(F.l1_loss)
