"""The Optimizer block: an optimizer and its hyperparameters as a node of the graph.

It has no tensor ports and the compiler skips it (``compiled = False``); the training
section points at it by node id, so swapping optimizers is editing a node.
"""

from __future__ import annotations

from ..blocks.base import Block
from ..ports import Param
from . import optim


class Optimizer(Block):
    """How parameters are updated: SGD (momentum, nesterov), Adam, AdamW, RMSprop or LBFGS,
    with weight decay, gradient clipping and a learning-rate schedule. The training
    section's `optimizer` (or a `schedule` phase) names this node."""

    type = "Optimizer"
    category = "optim"
    compiled = False
    params = (
        Param("kind", "choice", "adam", choices=optim.KINDS),
        Param("lr", "float", 1e-3, min=0.0, doc="learning rate"),
        Param("momentum", "float", 0.0, min=0.0, doc="sgd, rmsprop"),
        Param("nesterov", "bool", False, doc="sgd with momentum"),
        Param("betas", "list", [0.9, 0.999], item="float", min=0.0, max=1.0, doc="adam, adamw"),
        Param("weight_decay", "float", 0.0, min=0.0),
        Param("grad_clip", "float", 0.0, min=0.0, doc="max gradient norm; 0: off"),
        Param("schedule", "choice", "none", choices=optim.SCHEDULES),
        Param("step_size", "int", 100, min=1, doc="step schedule: steps between decays"),
        Param("gamma", "float", 0.5, min=0.0, doc="step/exponential schedule factor"),
        Param("t_max", "int", 0, min=0, doc="cosine period in steps; 0: the phase length"),
        Param("eta_min", "float", 0.0, min=0.0, doc="cosine floor"),
        Param("history_size", "int", 100, min=1, doc="lbfgs"),
        Param("max_iter", "int", 20, min=1, doc="lbfgs evaluations per step"),
        Param("line_search", "choice", "strong_wolfe", choices=("strong_wolfe", "none")),
        Param("nodes", "list", [], item="string", doc="node ids to train; empty: all"),
    )
    example_params = {"kind": "adam", "lr": 1e-2}

    @classmethod
    def build(cls, node, ctx):
        """The normalized optimizer spec (a dict); the training run turns it into a
        torch optimizer over the compiled graph's parameters."""
        return optim.normalize(dict(node.params))
