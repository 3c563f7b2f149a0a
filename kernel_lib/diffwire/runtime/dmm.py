"""A dataflow matrix machine (Bukatin, Matthews and Radul 2016), run over a sequence.

Streams are neurons with a built-in transform. Each step has two strokes: the down movement
mixes every stream's previous output, the step's input and a constant 1 through the
network matrix ``W`` (``[streams, streams + inputs + 1]``: row i holds the links into
stream i); the up movement applies each stream's transform. The matrix itself is a value
the machine carries: before each step an `update` module (the self-referential "Self"
neuron) may map the state, the matrix and the input to the next matrix, so the network
rewrites its own connectivity while it runs. A `mask` buffer removes pruned links: a
masked entry takes part in no step, whatever the update writes there.

Imports only torch: an exported file embeds this module's class (diffwire.export).
"""

import torch
from torch import nn


class DataflowMatrix(nn.Module):
    """Runs the machine over ``x`` ``[B, T, inputs]``; returns the streams' outputs
    ``[B, T, streams]`` and the last matrix ``[B, streams, streams + inputs + 1]``
    (masked). ``W`` is the starting matrix, ``[N, M]`` or per sample ``[B, N, M]``; without
    it the module's own parameter ``W0`` is the start."""

    #: stream transforms: u is the stream's mixed input, y its previous output
    KINDS = ("identity", "tanh", "relu", "sigmoid", "accumulator")

    def __init__(self, streams, inputs, own_matrix=True, init_scale=0.5, update=None):
        super().__init__()
        n, m = len(streams), len(streams) + inputs + 1
        self.streams, self.inputs = list(streams), int(inputs)
        if own_matrix:
            self.W0 = nn.Parameter(torch.randn(n, m) * (init_scale / m**0.5))
        else:
            self.W0 = None
        self.register_buffer("mask", torch.ones(n, m))
        for kind in self.KINDS:  # one 0/1 column selector per transform; not weights
            sel = torch.tensor([float(s == kind) for s in self.streams])
            self.register_buffer(f"is_{kind}", sel, persistent=False)
        self.update = update

    def transform(self, u, y):
        """The up movement: each stream's transform of its mixed input (and own output)."""
        return (self.is_identity * u + self.is_tanh * torch.tanh(u)
                + self.is_relu * torch.relu(u) + self.is_sigmoid * torch.sigmoid(u)
                + self.is_accumulator * (y + u))

    def forward(self, x, W=None):
        W = self.W0 if W is None else W
        b, steps = x.shape[0], x.shape[1]
        if W.dim() == 2:
            W = W.expand(b, W.shape[0], W.shape[1])
        W = W * self.mask  # a pruned link starts at zero, and gets no gradient
        y = x.new_zeros(b, len(self.streams))
        one = x.new_ones(b, 1)
        ys = []
        for t in range(steps):
            xt = x[:, t]
            if self.update is not None:
                W = self.update(y, W, xt)
            s = torch.cat([y, xt, one], -1)
            u = torch.einsum("bnm,bm->bn", W * self.mask, s)
            y = self.transform(u, y)
            ys.append(y)
        return torch.stack(ys, 1), W * self.mask
