"""Derivatives taken inside a forward pass (the Gradient block), written once for the
library and for exported files."""

import torch


def gradient_input(x):
    """The tensor to differentiate by, standing for `x` in the body.

    A fresh view when autograd already tracks `x`: the derivative then counts only the
    paths through this input (a partial derivative, not the total one through other inputs
    computed from `x` upstream), and still reaches back through `x` to upstream weights.
    A leaf that requires grad when autograd does not track `x` (data)."""
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)


def gradient_of_sum(f, x, create_graph):
    """d(sum f)/dx, shaped like `x`: per sample when each row of `f` depends only on its
    own row of `x`. `create_graph` keeps the result differentiable, so a loss on it trains
    the body's weights (a second-order backward). An `f` that does not depend on `x` has
    a zero derivative, not an error."""
    if not f.requires_grad:
        return torch.zeros_like(x)
    (g,) = torch.autograd.grad(f.sum(), x, create_graph=create_graph, allow_unused=True)
    return torch.zeros_like(x) if g is None else g


def per_sample_scalar(f, x):
    """Whether `f` is one number, or one per sample of `x` ([B], [B, 1], ...)."""
    if f.numel() == 1:
        return True
    return x.dim() >= 1 and f.dim() >= 1 and f.shape[0] == x.shape[0] and f.numel() == x.shape[0]


def gradient(fn, x):
    """(d(sum fn(x))/dx, fn(x)). Autograd is switched on inside even under ``no_grad`` (an
    evaluation, a rollout); the derivative keeps its graph only when the caller records
    one, so a loss on it trains what `fn` computes with."""
    create_graph = torch.is_grad_enabled()
    with torch.enable_grad():
        xw = gradient_input(x)
        f = fn(xw)
        g = gradient_of_sum(f, xw, create_graph)
    if not create_graph:
        return g.detach(), f.detach()
    return g, f
