"""Reverse derivative ascent (Wilson and Zanasi 2020, arXiv 2101.10488) as a torch
optimizer for the truth tables of LUT gates.

One example: ``p := p + R[f](p, x, y - f(p, x))`` over Z2, where ``R[f]`` is the
circuit's reverse derivative: a parameter bit flips when, for this example, flipping it
changes a wrong output bit. The paper (and its reference code) updates once per example;
over a batch of several, each table entry flips when more than `majority` of the batch
samples that reached it ask for the flip, which is the paper's update when the batch has
one sample.

The forward and backward pass run inside :func:`blocks.boolean.reverse_mode`: the gates
back-propagate over Z2 and the loss to train against is ``hamming``, whose gradient is
the error ``y XOR f(p, x)``. The learning rate is not used.
"""

from __future__ import annotations

import torch

from ..blocks.boolean.z2 import reverse_mode


class RDA(torch.optim.Optimizer):
    """Flip table bits by reverse derivative ascent; see the module docstring."""

    def __init__(self, params, majority: float = 0.5, lr: float = 0.0):
        super().__init__(params, {"majority": majority, "lr": lr})
        self.scores: dict = {}

    def step(self, closure):
        """Run `closure` (forward, ``hamming`` loss, backward) in Z2 reverse mode, then flip
        the bits the batch votes for. Returns the closure's loss."""
        with torch.enable_grad(), reverse_mode() as tape:
            loss = closure()
        flipped = 0
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    reach = tape.reach.get(id(p))
                    if reach is None:  # not a truth table: RDA has nothing to flip
                        continue
                    flip = p.grad > group["majority"] * reach
                    p.copy_(torch.where(flip, 1.0 - p, p))
                    flipped += int(flip.sum())
        self.scores = {**tape.accuracy(), "flipped": flipped}
        return loss

    def metrics(self) -> dict:
        """What the step record gets besides the loss, from the batch before the update:
        `accuracy` (share of samples with every output bit right; the ``hamming`` loss
        counts them), `bit_accuracy`, and the table bits the update `flipped`."""
        return self.scores
