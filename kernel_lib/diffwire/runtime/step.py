"""One optimizer update through a closure: the training step every loop in diffwire takes
(a run's step, an ensemble member's LBFGS step, the ODE fit's Adam and LBFGS).

LBFGS evaluates the loss several times in one update, so every optimizer is given the same
closure and the others call it once. An exported file writes the plain form instead: the
``zero_grad``/``backward``/``step`` lines, or a closure only when a phase is LBFGS
(``export/training_template.py``), without this function's hooks.
"""

import torch


def grad_norm(params) -> torch.Tensor:
    """The total 2-norm of the gradients `params` hold (zero when none has one)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.nn.utils.get_total_norm(grads)


def closure_step(optimizer, loss, before=None, after=None):
    """Update `optimizer`'s parameters once; returns the first evaluation's loss.

    Each evaluation zeroes the gradients, computes ``loss(k)`` (`k`: the evaluation's index
    in this update, 0 first), calls ``before(value, k)``, backpropagates and calls
    ``after(value, k)``. Either hook may raise to end the update before the optimizer moves
    a weight (a non-finite loss, a target reached); `after` may also clip the gradients."""
    calls = 0

    def closure():
        nonlocal calls
        k = calls
        calls += 1
        optimizer.zero_grad(set_to_none=True)
        value = loss(k)
        if before is not None:
            before(value, k)
        value.backward()
        if after is not None:
            after(value, k)
        return value

    return optimizer.step(closure)
