"""The one training step (issue 12, point 6): ``runtime.step.closure_step`` is what a run's
step, an ensemble member's LBFGS step and the ODE fit all take, so the fit's numbers are
those of the plain torch loop it replaced."""

import ast
import copy
import inspect

import pytest
import torch

from diffwire.ode.fitting import fit
from diffwire.runtime import step as runtime_step
from diffwire.runtime.step import closure_step, grad_norm


class Line(torch.nn.Module):
    """y(t) = a t + b y0: a tiny model with the fit's calling convention."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor([0.3, -0.2], dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.tensor(0.5, dtype=torch.float64))

    def forward(self, y0, t):
        return t[:, None] * self.a + self.b * y0


def data():
    t = torch.linspace(0, 1, 9, dtype=torch.float64)
    y0 = torch.tensor([1.0, 2.0], dtype=torch.float64)
    y = t[:, None] * torch.tensor([2.0, -1.0], dtype=torch.float64) + torch.sin(3 * t)[:, None] + y0
    return y0, t, y


def mse(model, y0, t, y):
    return torch.mean((model(y0=y0, t=t) - y) ** 2)


def plain_fit(model, y0, t, y, adam_steps, lr, lbfgs_steps):
    """The fit as it was written before it took closure_step: Adam, then one LBFGS run."""
    history = []
    best = (float("inf"), None)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(adam_steps):
        opt.zero_grad()
        loss = mse(model, y0, t, y)
        loss.backward()
        history.append(loss.item())
        if history[-1] < best[0]:
            best = (history[-1], copy.deepcopy(model.state_dict()))
        opt.step()
    lbfgs = torch.optim.LBFGS(params, lr=1.0, max_iter=lbfgs_steps,
                              max_eval=int(lbfgs_steps * 1.5), history_size=50,
                              tolerance_grad=1e-12, tolerance_change=1e-14,
                              line_search_fn="strong_wolfe")

    def closure():
        lbfgs.zero_grad()
        loss = mse(model, y0, t, y)
        loss.backward()
        nonlocal best
        history.append(loss.item())
        if history[-1] < best[0]:
            best = (history[-1], copy.deepcopy(model.state_dict()))
        return loss

    lbfgs.step(closure)
    model.load_state_dict(best[1])
    return history, best[0]


def test_the_fit_takes_the_same_steps_as_a_plain_torch_loop():
    y0, t, y = data()
    ours, theirs = Line(), Line()
    result = fit(ours, y0, t, y, adam_steps=12, lr=0.05, lbfgs_steps=8, loss_fn=mse, threads=1)
    history, best = plain_fit(theirs, y0, t, y, adam_steps=12, lr=0.05, lbfgs_steps=8)
    assert len(result.history) > 12 + 1  # LBFGS evaluated more than once
    assert result.history == history and result.loss == best
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(p, q)


def test_a_target_stops_the_fit_before_the_update():
    y0, t, y = data()
    free = fit(Line(), y0, t, y, adam_steps=40, lr=0.05, loss_fn=mse, threads=1)
    target = free.history[5]
    stopped = fit(Line(), y0, t, y, adam_steps=40, lr=0.05, lbfgs_steps=10, loss_fn=mse,
                  target_loss=target, threads=1)
    first = next(i for i, v in enumerate(free.history) if v <= target)
    assert stopped.history == free.history[:first + 1]  # and no LBFGS after it


def test_lbfgs_evaluates_several_times_and_returns_the_first_loss():
    model = Line()
    y0, t, y = data()
    seen = []
    opt = torch.optim.LBFGS(model.parameters(), max_iter=5)
    first = closure_step(opt, lambda k: mse(model, y0, t, y),
                         after=lambda loss, k: seen.append((k, loss.item())))
    assert [k for k, _ in seen] == list(range(len(seen))) and len(seen) > 1
    assert first.item() == seen[0][1]


@pytest.mark.parametrize("hook", ["before", "after"])
def test_a_hook_that_raises_leaves_the_weights_as_they_were(hook):
    model = Line()
    y0, t, y = data()
    start = copy.deepcopy(model.state_dict())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def stop(loss, k):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        closure_step(opt, lambda k: mse(model, y0, t, y), **{hook: stop})
    for name, value in model.state_dict().items():
        assert torch.equal(value, start[name]), name
    # `before` runs ahead of the backward: no gradient yet; `after` sees them
    norm = grad_norm(model.parameters()).item()
    assert norm == 0.0 if hook == "before" else norm > 0.0


def test_the_step_imports_only_torch():
    tree = ast.parse(inspect.getsource(runtime_step))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert names <= {"torch"}, names
