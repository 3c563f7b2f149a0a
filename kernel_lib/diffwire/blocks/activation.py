from ..ports import Param, Port
from .activations import ACTIVATION_NAMES, ACTIVATIONS
from .base import Block


class Activation(Block):
    """An elementwise nonlinearity: relu, tanh, gelu, sigmoid, softplus, sin, exp or rbf."""

    type = "Activation"
    category = "layers"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (Param("fn", "choice", "tanh", choices=ACTIVATION_NAMES),)
    example_params = {"fn": "softplus"}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        return ACTIVATIONS[node.params["fn"]]()
