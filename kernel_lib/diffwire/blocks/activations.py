"""The activation functions blocks share (MLP, Activation), by name. The ones torch lacks
are the runtime's (:mod:`diffwire.runtime.activations`), which an exported file embeds."""

from torch import nn

from ..runtime.activations import RBF, Exp, Sin

__all__ = ["ACTIVATIONS", "ACTIVATION_CODE", "ACTIVATION_NAMES", "RBF", "Exp", "Sin",
           "activation_module"]

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


#: How an exported file writes each activation: (functional form with {x}, module
#: constructor, the runtime helper it needs defined).
ACTIVATION_CODE = {
    "relu": ("torch.relu({x})", "nn.ReLU()", None),
    "tanh": ("torch.tanh({x})", "nn.Tanh()", None),
    "gelu": ("F.gelu({x})", "nn.GELU()", None),
    "sigmoid": ("torch.sigmoid({x})", "nn.Sigmoid()", None),
    "softplus": ("F.softplus({x})", "nn.Softplus()", None),
    "sin": ("torch.sin({x})", "Sin()", "Sin"),
    "exp": ("torch.exp({x})", "Exp()", "Exp"),
    "rbf": ("torch.exp(-({x} * {x}))", "RBF()", "RBF"),
}


def activation_module(ctx, name: str) -> str:
    """The module constructor of activation `name` in an exported file (defining the
    runtime's class there when torch has none)."""
    _, module, helper = ACTIVATION_CODE[name]
    if helper:
        ctx.helper(helper)
    return module
