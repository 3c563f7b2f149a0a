"""Derivatives taken inside a forward pass (the Gradient block), written once for the
library and for exported files."""

import torch


def per_sample_scalar(f, x):
    """Whether `f` is one number, or one per sample of `x` ([B], [B, 1], ...)."""
    if f.numel() == 1:
        return True
    return x.dim() >= 1 and f.dim() >= 1 and f.shape[0] == x.shape[0] and f.numel() == x.shape[0]


def gradient(fn, x):
    """(d(sum fn(x))/dx, fn(x)): per sample when each row of fn(x) depends only on its own
    row of x.

    A vector-Jacobian product with ones (``torch.func.vjp``) rather than
    ``torch.autograd.grad``: the derivative is by `x` as passed to `fn` only (a partial
    derivative, not the total one through other inputs computed from `x` upstream); it stays
    differentiable, so a loss on it trains what `fn` computes with (a second-order
    backward); it is taken under ``no_grad`` too (a rollout), returning plain tensors there;
    and it runs inside ``torch.func.vmap`` (an ensemble trained as one batched model), where
    ``torch.autograd.grad`` cannot. An `fn` that ignores `x` has a zero derivative."""
    f, pullback = torch.func.vjp(fn, x)
    (g,) = pullback(torch.ones_like(f))
    return g, f
