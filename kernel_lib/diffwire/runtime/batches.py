"""Which rows train and which rows each step's batch holds, written once.

The library's :class:`diffwire.train.data.Dataset` and an exported training file (which
holds this source, :data:`SOURCES`) draw the same rows for the same seed, so a file trains
on the batches a kernel run would.
"""

import torch


def split_rows(n, val_split, seed):
    """(training rows, validation rows) of `n`: a seeded permutation's first
    round(n * val_split) rows are held out; each part keeps the rows' order."""
    n_val = int(round(n * val_split)) if n else 0
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=gen) if n_val else torch.arange(n)
    return perm[n_val:].sort().values, perm[:n_val].sort().values


def epoch_order(n, seed, epoch):
    """The order of `n` training rows in epoch `epoch`: a function of (seed, epoch) alone,
    so a run resumed from a checkpoint sees the batches of one that never stopped."""
    gen = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=gen)


#: the functions an exported training file holds when it batches or holds rows out.
SOURCES = [split_rows, epoch_order]
