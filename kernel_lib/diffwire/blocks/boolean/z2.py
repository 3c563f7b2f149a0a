"""Truth-table lookup with its reverse derivative over Z2 (Wilson and Zanasi 2020).

Every gate is a lookup: input ``i`` is bit ``i`` of the row index, so a gate with k
inputs and table ``T`` (2**k bits) outputs ``T[sum(x_i << i)]``. Outside reverse
mode the wires are ``torch.bool`` tensors. Inside :func:`reverse_mode` (what the RDA
optimizer turns on around its forward and backward pass) the wires are float 0/1 tensors
and backward is the reverse derivative of the circuit over Z2 instead of the real one:

- for the table: a cotangent bit ``d`` at a sample says "flip entry ``T[idx]``"; the
  table's gradient counts, per entry, the samples of the batch that ask for the flip;
- for input ``i``: ``d AND (T[idx] XOR T[idx ^ (1 << i)])``, whether flipping that input
  bit changes the output (the Boolean derivative, which is the formal derivative of the
  gate's multilinear polynomial over Z2).

Autograd adds the cotangents of a wire read by several gates; each gate reduces what
arrives mod 2 first, so a sum over fan-out is the Z2 sum the chain rule asks for.
"""

from __future__ import annotations

import contextlib
import threading

import torch

_state = threading.local()


class Tape:
    """What a reverse-mode pass records: per truth table, how many samples reached each
    entry (the denominator of RDA's majority vote over a batch)."""

    def __init__(self):
        self.reach: dict[int, torch.Tensor] = {}
        self.bits = self.wrong_bits = 0
        self.wrong_samples: torch.Tensor | None = None  # per sample: any output bit wrong

    def score(self, wrong: torch.Tensor) -> None:
        """Count one output's wrong bits (dimension 0 is the sample), for the accuracy."""
        self.bits += wrong.numel()
        self.wrong_bits += int(wrong.sum())
        per = wrong.reshape(wrong.shape[0], -1).any(1) if wrong.dim() else wrong.reshape(1)
        self.wrong_samples = per if self.wrong_samples is None else self.wrong_samples | per

    def accuracy(self) -> dict:
        """Share of samples with every output bit right, and share of right bits."""
        if not self.bits:
            return {}
        return {"accuracy": 1.0 - self.wrong_samples.float().mean().item(),
                "bit_accuracy": 1.0 - self.wrong_bits / self.bits}

    def add(self, table: torch.Tensor, idx: torch.Tensor) -> None:
        counts = torch.bincount(idx.reshape(-1), minlength=table.numel()).to(table.dtype)
        key = id(table)
        self.reach[key] = counts if key not in self.reach else self.reach[key] + counts


@contextlib.contextmanager
def reverse_mode():
    """Run gates on float 0/1 wires with the Z2 reverse derivative; yields the :class:`Tape`."""
    old = getattr(_state, "tape", None)
    _state.tape = tape = Tape()
    try:
        yield tape
    finally:
        _state.tape = old


def active_tape() -> Tape | None:
    return getattr(_state, "tape", None)


def bits(x: torch.Tensor) -> torch.Tensor:
    """A wire as bool: bool stays, numbers are true when above one half."""
    return x if x.dtype == torch.bool else x > 0.5


def row_index(xs) -> torch.Tensor:
    """The truth-table row of each element: input i is bit i."""
    xs = torch.broadcast_tensors(*[bits(x) for x in xs])
    idx = xs[0].long()
    for i, x in enumerate(xs[1:], start=1):
        idx = idx | (x.long() << i)
    return idx


def _parity(grad: torch.Tensor) -> torch.Tensor:
    """A cotangent as a Z2 bit: autograd summed the fan-out, so take the sum mod 2."""
    return torch.remainder(torch.round(grad), 2)


class _Lookup(torch.autograd.Function):
    @staticmethod
    def forward(ctx, table, *xs):
        idx = row_index(xs)
        ctx.save_for_backward(table, idx)
        ctx.shapes = [x.shape for x in xs]
        return (table[idx] > 0.5).to(table.dtype)

    @staticmethod
    def backward(ctx, grad):
        table, idx = ctx.saved_tensors
        d = _parity(grad)
        t = table > 0.5
        grad_table = None
        if ctx.needs_input_grad[0]:
            grad_table = torch.zeros_like(table).index_add_(0, idx.reshape(-1), d.reshape(-1))
        grads = []
        for i, shape in enumerate(ctx.shapes):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            sensitive = (t[idx] != t[idx ^ (1 << i)]).to(d.dtype)
            grads.append((d * sensitive).sum_to_size(shape))
        return (grad_table, *grads)


def lookup(table: torch.Tensor, xs) -> torch.Tensor:
    """``table[row]`` per element: bool wires normally, float 0/1 with the Z2 reverse
    derivative inside :func:`reverse_mode` while autograd records."""
    tape = active_tape()
    if tape is not None and torch.is_grad_enabled():
        xs = [x if x.is_floating_point() else x.to(table.dtype) for x in xs]
        if table.requires_grad:
            tape.add(table, row_index(xs))
        return _Lookup.apply(table, *xs)
    return (table > 0.5)[row_index(xs)]


class _Hamming(torch.autograd.Function):
    @staticmethod
    def forward(ctx, pred, target):
        wrong = bits(pred) != bits(target)
        ctx.save_for_backward(wrong)
        ctx.dtype = pred.dtype
        return wrong.to(torch.float32).mean()

    @staticmethod
    def backward(ctx, grad):
        (wrong,) = ctx.saved_tensors
        return wrong.to(ctx.dtype), None


def hamming(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The fraction of wrong bits. Its gradient is not the real one: it is the error
    pattern ``pred XOR target`` itself, the cotangent ``y - f(p, x)`` over Z2 from which
    reverse derivative ascent starts (and it does not scale with the batch)."""
    tape = active_tape()
    if tape is not None:
        tape.score(bits(pred) != bits(target))
    if not pred.is_floating_point():  # bool outputs: evaluation only, nothing to derive
        return (bits(pred) != bits(target)).to(torch.float32).mean()
    return _Hamming.apply(pred, target)
