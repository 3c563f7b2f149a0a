"""The Optimizer block: an optimizer and its hyperparameters as a node of the graph.

It has no tensor ports and the compiler skips it (``compiled = False``); the training
section points at it by node id, so swapping optimizers is editing a node. Every kind but
LBFGS is a chain of update stages (kind ``chain``: the document's own), and the node
shows that chain on the canvas, gradient in, update out.
"""

from __future__ import annotations

from ..blocks.base import Block
from ..errors import ParamError
from ..runtime import updates
from . import optim


class Optimizer(Block):
    """How parameters are updated: SGD (momentum, nesterov), Adam, AdamW, RMSprop, LBFGS
    or RDA (reverse derivative ascent: flips LUT truth-table bits, trained against the
    `hamming` loss), with weight decay, gradient clipping and a learning-rate schedule, or
    `chain`: your own chain of update stages (clip, trace, scale_by_adam,
    add_decayed_weights, scale_by_learning_rate with a schedule...), one per line in
    `stages`. The training section's `optimizer` (or a `schedule` phase) names this node."""

    type = "Optimizer"
    category = "optim"
    compiled = False
    role = "optimizer"  # the Training panel's phases name these nodes
    params = optim.PARAMS  # types and documented ranges: one list, in optim.py
    example_params = {"kind": "adam", "lr": 1e-2}

    @classmethod
    def check_params(cls, params, node=None):
        if len(params["betas"]) != 2:
            raise ParamError("betas are two numbers", node=node, port="betas",
                             expected="[b1, b2]", found=params["betas"])
        if params.get("kind") == "chain" and params.get("stages", "").strip():
            # an empty chain is a chain being written: training says it has no stages
            optim.check_stages(params.get("stages", ""), node=node)

    @classmethod
    def formula(cls, node, path, shapes):
        """The update chain, one stage a line: what the kind computes, in optax's terms."""
        spec = optim.normalize({**node.params, "kind": node.params.get("kind"),
                                "stages": node.params.get("stages") or "scale"})
        if spec["kind"] == "lbfgs":
            return None
        if spec["kind"] == "chain" and not node.params.get("stages", "").strip():
            return ["grad → ? (write the update stages in `stages`, one per line)"]
        stages = updates.parse_stages(optim.as_chain(spec))
        return ["grad"] + [f"→ {_stage_text(name, kw, spec['lr'])}" for name, kw in stages]


def _stage_text(name: str, kw: dict, lr: float) -> str:
    """A stage with its first option and those that differ from their defaults (and the
    lr it will use)."""
    defaults = updates.STAGES[name][2]
    first = next(iter(defaults))
    shown = {k: v for k, v in kw.items() if v != defaults[k] or k == first}
    if name == "scale_by_learning_rate" and kw["lr"] <= 0:
        shown["lr"] = lr  # the Optimizer's own lr (live edits and schedules change it)
    return " ".join([name] + [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in shown.items()])

    @classmethod
    def build(cls, node, ctx):
        """The normalized optimizer spec (a dict); the training run turns it into a
        torch optimizer over the compiled graph's parameters."""
        return optim.normalize(dict(node.params))
