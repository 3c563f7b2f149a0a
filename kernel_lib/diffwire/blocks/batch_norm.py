import torch.nn.functional as F
from torch import nn

from ..context import inferring
from ..ports import Param, Port
from .base import LayerBlock, LayerCall
from .fx_rules import Imported, module_rule, weights


class BatchNorm(LayerBlock):
    """Batch normalization over channel dimension 1: [B, C] or [B, C, L] for 1-D,
    [B, C, H, W] for 2-D (torch's BatchNorm1d/2d). In training it normalizes with the
    batch's statistics and updates the running ones; in eval mode it uses the running
    statistics, which are buffers: they save, load and export with the weights."""

    type = "BatchNorm"
    category = "layers"
    inputs = (Port("x", doc="[B, C, ...]"),)
    outputs = (Port("out"),)
    params = (
        Param("num_features", "int", 2, min=1, doc="the channel count C"),
        Param("dims", "int", 1, min=1, max=2, doc="1: [B, C] or [B, C, L]; 2: [B, C, H, W]"),
        Param("eps", "float", 1e-5, min=0.0),
        Param("momentum", "float", 0.1, min=0.0, max=1.0, nullable=True,
              doc="running-statistics update; null: a cumulative average"),
        Param("affine", "bool", True, doc="learn a scale and an offset"),
        Param("track_running_stats", "bool", True),
    )
    example_params = {"num_features": 3}
    example_inputs = {"x": (4, 3)}

    @staticmethod
    def layer(p: dict) -> LayerCall:
        return LayerCall(f"BatchNorm{p['dims']}d", (p["num_features"],),
                         {"eps": p["eps"], "momentum": p["momentum"], "affine": p["affine"],
                          "track_running_stats": p["track_running_stats"]},
                         build_as=_BatchNorm1d if p["dims"] == 1 else _BatchNorm2d)


class _Inferable:
    """BatchNorm (same keys) that infers shapes on meta tensors, where the cumulative
    average (momentum null) cannot read its batch count and no statistic should move."""

    def forward(self, x):
        if inferring():
            self._check_input_dim(x)
            return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)
        return super().forward(x)


class _BatchNorm1d(_Inferable, nn.BatchNorm1d):
    pass


class _BatchNorm2d(_Inferable, nn.BatchNorm2d):
    pass


@module_rule(nn.BatchNorm1d, nn.BatchNorm2d)
def _from_layer(m, x):
    params = {"num_features": m.num_features, "dims": 1 if isinstance(m, nn.BatchNorm1d) else 2,
              "eps": m.eps, "momentum": m.momentum, "affine": m.affine,
              "track_running_stats": m.track_running_stats}
    return Imported("BatchNorm", params, [x], weights(m))
