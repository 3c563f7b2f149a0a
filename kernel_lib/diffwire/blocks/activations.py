"""The activation functions blocks share (MLP, Activation), by name."""

import torch
from torch import nn


class Sin(nn.Module):
    def forward(self, x):
        return torch.sin(x)


class Exp(nn.Module):
    def forward(self, x):
        return torch.exp(x)


class RBF(nn.Module):
    """exp(-x^2), the radial basis activation used in UDE papers."""

    def forward(self, x):
        return torch.exp(-(x * x))


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
