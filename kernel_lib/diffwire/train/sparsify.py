"""Sparsification of dataflow-matrix links during training.

Every `every` steps, a block whose module can `prune(threshold)` (DataflowMatrix) masks
its links whose magnitude fell below the threshold. A masked link takes no part in the
forward pass, so it gets no gradient; the weights that fed it (the block's own matrix, or
a Parameter node wired straight into its `W` port) are zeroed there, and so are the
optimizer's per-entry state (Adam's moments): a momentum left behind would otherwise keep
moving a weight that no longer exists. Both are zeroed again after every step, so a pruned
link never revives whatever the optimizer. The run logs the remaining links as
``<node>/links`` (the module's `metrics()`).
"""

from __future__ import annotations

import torch

from .callbacks import Callback


class Sparsify(Callback):
    """Prunes the links of DataflowMatrix nodes while a run trains.

    **Arguments:**

    - `threshold`: prune links whose magnitude is below it; ``None`` uses each node's
      `prune_below` param (0 there: that node is never pruned).
    - `every`: steps between prunings; ``None`` uses each node's `prune_every`.

    A run adds one with the node params by default; pass your own in `callbacks` to
    override them.
    """

    def __init__(self, threshold: float | None = None, every: int | None = None):
        self.threshold, self.every = threshold, every
        self._model, self._pruners = None, []

    def on_step_end(self, run, record: dict) -> None:
        if run.model is not self._model:  # found once per model (a rebuild makes a new one)
            self._model = run.model
            blocks = getattr(run.model, "blocks", None)  # an ensemble's members: not pruned
            self._pruners = [] if blocks is None else [
                (nid, m) for nid, m in list(blocks.built().items())
                if callable(getattr(m, "prune", None))]
        step = int(record.get("step", 0)) + 1
        for nid, module in self._pruners:
            threshold = module.prune_below if self.threshold is None else self.threshold
            every = module.prune_every if self.every is None else self.every
            if threshold > 0 and every > 0 and step % every == 0:
                module.prune(threshold)
            keep = module.mask
            if bool((keep == 0).any()):
                for p in feeding_weights(run, nid, module):
                    trim(p, keep, run.optimizer)


def feeding_weights(run, nid: str, module) -> list[torch.Tensor]:
    """The learned tensors whose entries are the links of node `nid`: its own matrix, or
    a Parameter node wired straight into its `W` port (with the mask's shape)."""
    own = getattr(module, "W0", None)
    if own is not None:
        return [own]
    graph = getattr(run, "built", None) or run.graph
    edge = graph.edges_into(nid).get("W") if nid in graph.nodes else None
    if edge is None or graph.nodes[edge.source].type != "Parameter":
        return []
    src = run.model.blocks[edge.source]
    value = getattr(src, "value", None)
    if value is None or value.shape != module.mask.shape:
        return []
    return [value]


@torch.no_grad()
def trim(param: torch.Tensor, keep: torch.Tensor, optimizer) -> None:
    """Zero `param` where `keep` is 0, and the optimizer's state of the same shape there."""
    keep = keep.to(param.device, param.dtype)
    param.mul_(keep)
    state = optimizer.state.get(param, {}) if optimizer is not None else {}
    for value in state.values():
        if isinstance(value, torch.Tensor) and value.shape == param.shape:
            value.mul_(keep.to(value.dtype))
