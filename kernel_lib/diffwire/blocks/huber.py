import torch.nn.functional as F

from ..ports import Param
from .loss_base import REDUCTION, LossBlock


class Huber(LossBlock):
    """Huber loss: squared below `delta`, linear above (robust to outliers)."""

    type = "Huber"
    fn = staticmethod(F.huber_loss)
    params = (REDUCTION, Param("delta", "float", 1.0, min=1e-12))
    extra = ("delta",)
