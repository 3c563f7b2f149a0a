from torch import nn

from ..ports import Param, Port
from .base import LayerBlock, LayerCall
from .fx_rules import Imported, module_rule, weights


class LayerNorm(LayerBlock):
    """Layer normalization over the last dimensions, whose sizes `normalized_shape` lists
    (torch.nn.LayerNorm): each sample is normalized on its own, in training and eval."""

    type = "LayerNorm"
    category = "layers"
    inputs = (Port("x", doc="[..., *normalized_shape]"),)
    outputs = (Port("out"),)
    params = (
        Param("normalized_shape", "list", [2], item="int", min=1, min_len=1,
              doc="sizes of the last dimensions"),
        Param("eps", "float", 1e-5, min=0.0),
        Param("elementwise_affine", "bool", True, doc="learn a scale per entry"),
        Param("bias", "bool", True, doc="and an offset (with elementwise_affine)"),
    )
    example_params = {"normalized_shape": [3]}
    example_inputs = {"x": (4, 3)}

    @staticmethod
    def layer(p: dict) -> LayerCall:
        return LayerCall("LayerNorm", (list(p["normalized_shape"]),),
                         {"eps": p["eps"], "elementwise_affine": p["elementwise_affine"],
                          "bias": p["bias"]})


@module_rule(nn.LayerNorm)
def _from_layer(m, x):
    params = {"normalized_shape": list(m.normalized_shape), "eps": m.eps,
              "elementwise_affine": m.elementwise_affine,
              "bias": not m.elementwise_affine or m.bias is not None}
    return Imported("LayerNorm", params, [x], weights(m))
