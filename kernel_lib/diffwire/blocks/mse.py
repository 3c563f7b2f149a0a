import torch.nn.functional as F

from .loss_base import LossBlock


class MSE(LossBlock):
    """Mean squared error between `pred` and `target`."""

    type = "MSE"
    fn = staticmethod(F.mse_loss)
