"""The Optimizer block: an optimizer and its hyperparameters as a node of the graph.

It has no tensor ports and the compiler skips it (``compiled = False``); the training
section points at it by node id, so swapping optimizers is editing a node.
"""

from __future__ import annotations

from ..blocks.base import Block
from ..errors import ParamError
from . import optim


class Optimizer(Block):
    """How parameters are updated: SGD (momentum, nesterov), Adam, AdamW, RMSprop, LBFGS
    or RDA (reverse derivative ascent: flips LUT truth-table bits, trained against the
    `hamming` loss), with weight decay, gradient clipping and a learning-rate schedule. The
    training section's `optimizer` (or a `schedule` phase) names this node."""

    type = "Optimizer"
    category = "optim"
    compiled = False
    params = optim.PARAMS  # types and documented ranges: one list, in optim.py
    example_params = {"kind": "adam", "lr": 1e-2}

    @classmethod
    def check_params(cls, params, node=None):
        if len(params["betas"]) != 2:
            raise ParamError("betas are two numbers", node=node, port="betas",
                             expected="[b1, b2]", found=params["betas"])

    @classmethod
    def build(cls, node, ctx):
        """The normalized optimizer spec (a dict); the training run turns it into a
        torch optimizer over the compiled graph's parameters."""
        return optim.normalize(dict(node.params))
