"""The activation functions blocks share (MLP, Activation), by name. The ones torch lacks
are the runtime's (:mod:`diffwire.runtime.activations`), which an exported file embeds."""

from torch import nn

from ..runtime.activations import RBF, Exp, Sin

__all__ = ["ACTIVATIONS", "ACTIVATION_NAMES", "RBF", "Exp", "Sin"]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "sin": Sin,
    "exp": Exp,
    "rbf": RBF,
}
ACTIVATION_NAMES = tuple(ACTIVATIONS)
