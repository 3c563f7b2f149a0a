"""Candidate equations fitted to the observations: the last step of recovery.

The network proposes (its outputs give every candidate's terms and first coefficients),
the data decide: a network can fit 31 noisy points well and still carry a coefficient 20%
off, or a small extra term that compensates it, and then no regression on its outputs gets
the law right. So the best few candidates are put into the model in place of the network,
their coefficients fitted to the observations through the solver (scipy's least squares
with the solver's Jacobian, from the network's values), and ranked again by the information criterion of that fit. Each fitted
coefficient gets a Gauss-Newton interval: sigma^2 (J^T J)^-1 with J the Jacobian of the
simulated observations with respect to the coefficients.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch

from ..errors import GraphError


class Fitter:
    """Simulates `model` with `term` replaced by a polynomial and fits its coefficients."""

    def __init__(self, model, term, inputs: dict, observed: np.ndarray, powers, dtype):
        self.model, self.term, self.inputs = model, term, inputs
        self.observed = torch.as_tensor(observed, dtype=dtype)
        self.powers = torch.as_tensor(powers, dtype=dtype)
        self.dtype = dtype

    def simulate(self, coef: torch.Tensor, replaced: np.ndarray | None = None) -> torch.Tensor:
        """The model's prediction with the term computed as ``features(y) @ coef.T`` (only
        its components `replaced` [D], when given; the network computes the others)."""
        pw = self.powers
        keep = None if replaced is None else torch.as_tensor(~replaced)

        def hook(_module, args, out):
            poly = torch.prod(args[0][..., None, :] ** pw, dim=-1) @ coef.T
            return poly if keep is None else torch.where(keep, out, poly)

        handle = self.term.register_forward_hook(hook)
        try:
            return self.model(**self.inputs)
        finally:
            handle.remove()

    def prediction(self, coef: np.ndarray, replaced: np.ndarray) -> np.ndarray | None:
        """`simulate` without gradients, as numpy; None when the solve fails."""
        try:
            with torch.no_grad():
                pred = self.simulate(torch.as_tensor(coef, dtype=self.dtype), replaced)
        except (GraphError, RuntimeError, OverflowError):
            return None
        pred = pred.double().numpy()
        return pred if pred.shape == tuple(self.observed.shape) else None

    def fit(self, support: np.ndarray, coef0: np.ndarray, iters: int = 50):
        """(coefficients [D, F], squared residual per observation, interval half-widths
        [D, F]) of the support fitted to the observations (scipy's trust-region least
        squares with the solver's Jacobian); None when the solve fails at the start."""
        from scipy.optimize import least_squares

        mask = torch.as_tensor(support)
        k = int(mask.sum())

        def full(v):
            return torch.zeros(support.shape, dtype=self.dtype).masked_scatter(mask, v)

        def sim(v):
            return self.simulate(full(v)).reshape(-1)

        target = self.observed.reshape(-1)
        failed = np.full(target.numel(), 1e3)

        def residual(x):
            try:
                with torch.no_grad():
                    r = (sim(torch.as_tensor(x, dtype=self.dtype)) - target).double().numpy()
            except (GraphError, RuntimeError, OverflowError):
                return failed  # a trial step that blows the solve up: far from the data
            return r if np.all(np.isfinite(r)) else failed

        def jacobian(x):
            x = torch.as_tensor(x, dtype=self.dtype)
            try:
                J = _jacobian(sim, x)
            except (GraphError, RuntimeError, OverflowError):
                return np.zeros((target.numel(), k))
            J = J.double().numpy()
            return J if np.all(np.isfinite(J)) else np.zeros_like(J)

        x0 = np.asarray(coef0, dtype=float)[support]
        with _frozen(self.model):
            r0 = residual(x0)
            if r0 is failed:
                return None
            if k:
                x0 = least_squares(residual, x0, jac=jacobian, method="trf", x_scale="jac",
                                   max_nfev=iters).x
            r = residual(x0)
            if r is failed:
                return None
            J = jacobian(x0) if k else np.zeros((r.size, 0))
        rows = r.reshape(self.observed.shape[0], -1).__pow__(2).sum(-1)
        half = np.zeros(support.shape)
        n = r.size
        if k and n > k:
            sigma2 = float((r ** 2).sum()) / (n - k)
            with contextlib.suppress(np.linalg.LinAlgError):
                cov = np.linalg.inv(J.T @ J) * sigma2
                half[support] = 1.96 * np.sqrt(np.clip(np.diag(cov), 0, math.inf))
        return full(torch.as_tensor(x0, dtype=self.dtype)).double().numpy(), rows, half


def _jacobian(fn, x: torch.Tensor) -> torch.Tensor:
    """d fn / d x by one batched (vmapped) backward pass over all outputs: the same numbers as
    one backward pass per output, about 15x faster for a 62-value trajectory; a graph whose
    ops have no batching rule falls back to the pass per output."""
    try:
        return torch.autograd.functional.jacobian(fn, x, vectorize=True)
    except (GraphError, RuntimeError, NotImplementedError):
        return torch.autograd.functional.jacobian(fn, x)


@contextlib.contextmanager
def _frozen(model):
    """The model's own weights need no gradient while coefficients are fitted."""
    flags = [(p, p.requires_grad) for p in model.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)

