"""A flat weight store: the parameters of many small layers as pieces of a few shared
storages, each piece still a leaf ``nn.Parameter`` of its own.

Every tensor torch allocates carries a storage object and a heap allocation of its own
(171 bytes measured beside the data, per tensor, on CPU); a 200,000-node chain of
Linear(8, 8) layers has 200,000 parameters, so that was 34 MB of its 640 MB. Here a
parameter is a tensor whose storage is a slab shared with its neighbours (``Tensor.set_``
onto the slab, as FSDP's flat parameter or ``vector_to_parameters`` in reverse). Each
parameter keeps its own tensor, autograd meta and version counter, so gradients land in
its own ``.grad``, optimizers, hooks, ``load_state_dict`` (an in-place copy into the
piece), ``state_dict`` keys and values, ``deepcopy`` (a clone per parameter) and
``.to()`` (a new storage per parameter) behave as for any parameter, and an in-place
change of one parameter does not look like a change of its neighbours to autograd.

What shows the sharing: ``p.untyped_storage()`` is the slab, and ``torch.save`` writes
each storage once, so a file of the whole state_dict holds each slab once (smaller than
one record per tensor), while a file of a few parameters holds their slabs whole (at most
:attr:`WeightStore.SLAB` elements each). :func:`diffwire.compile.compile_graph` uses a
store only for large documents (see ``FLAT_FROM`` there).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class WeightStore:
    """Hands out parameters as pieces of shared slabs, in the default dtype and device
    (those of ``torch.empty``), one slab after another in the order asked for."""

    #: elements per slab: 16 KB of float32, about 56 Linear(8, 8) layers. Large enough that
    #: the slab's own cost vanishes, small enough that saving a few parameters alone (the
    #: slab goes whole into the file) stays small.
    SLAB = 4096
    #: a parameter larger than this gets a storage of its own: its own costs are small
    #: beside its data, and a slab would waste up to this much at its end
    LARGEST = SLAB // 8

    def __init__(self):
        self._slab: torch.UntypedStorage | None = None
        self._used = 0  # elements of the current slab handed out
        self._dtype: torch.dtype | None = None  # the current slab's

    def parameter(self, shape: tuple[int, ...]) -> nn.Parameter:
        """An uninitialised contiguous parameter of `shape` (as ``nn.Parameter(torch.empty(
        shape))``, which it is when large, or under a default device other than CPU)."""
        t = torch.empty(0)
        n = math.prod(shape)
        if n > self.LARGEST or not t.is_cpu:  # meta, cuda: as torch does
            return nn.Parameter(torch.empty(shape))
        # the dtype compared on every call: set_ would read the slab's bytes as any dtype
        if self._slab is None or self._used + n > self.SLAB or t.dtype is not self._dtype:
            self.close()
            self._slab = torch.empty(self.SLAB).untyped_storage()
            self._used, self._dtype = 0, t.dtype
        t.set_(self._slab, self._used, shape)
        self._used += n
        return nn.Parameter(t)

    def close(self) -> None:
        """Shrink the current slab to what was handed out (its pieces follow: they refer
        to the storage, which moves its data), so no file or copy carries the unused end."""
        if self._slab is not None:
            self._slab.resize_(self._used * self._dtype.itemsize)
            self._slab = None
