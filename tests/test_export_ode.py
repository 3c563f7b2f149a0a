"""ODESolve exports as a torchdiffeq call or an inlined fixed-step solve, and UDEs train."""

import pytest
import torch

import diffwire as dw
from diffwire import ode

from export_util import assert_same, load_source, load_training, run_clean


def _inputs(dim=2, batch=3, n=6):
    gen = torch.Generator().manual_seed(0)
    return [torch.rand(batch, dim, generator=gen).requires_grad_(True) + 0.5,
            torch.linspace(0.0, 1.0, n)]


@pytest.mark.parametrize("solve", [
    {"method": "dopri5"},
    {"method": "rk4", "step_size": 0.1},
    {"method": "euler"},
    {"method": "builtin_rk4"},
    {"method": "builtin_euler", "step_size": 0.05},
    {"method": "dopri5", "adjoint": True},
])
def test_ude_solvers_match(solve, tmp_path):
    g = ode.lotka_volterra_ude(learn_known=True, hidden=(4,), **solve)
    compiled = g.compile(seed=0)
    src = dw.export(g)
    assert ("torchdiffeq.odeint" in src) == (not solve["method"].startswith("builtin"))
    exported = load_source(src, tmp_path).Model()
    exported.load_state_dict(compiled.state_dict())
    x = _inputs()
    x[0] = x[0].detach().requires_grad_(True)
    assert_same(compiled, exported, x, atol=1e-6)


def test_lotka_volterra_ude_file_trains_from_its_generator(tmp_path):
    g = ode.lotka_volterra_ude(hidden=(4,), method="builtin_rk4")
    g.training = {"data": {"t": {"source": "generator", "name": "lotka_volterra",
                                 "kwargs": {"n": 11, "t_end": 1.0}, "batch": False},
                           "y0": {"source": "generator", "name": "lotka_volterra",
                                  "kwargs": {"n": 11, "t_end": 1.0}, "batch": False},
                           "y": {"source": "generator", "name": "lotka_volterra",
                                 "kwargs": {"n": 11, "t_end": 1.0}, "batch": False}},
                  "loss": "mse", "optimizer": {"kind": "adam", "lr": 0.01}, "steps": 4}
    path = tmp_path / "lv.py"
    dw.export(g, path)
    done = run_clean(["lv_train.py", "--out", "w.pt"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "step 4/4" in done.stdout
    g.compile().load_state_dict(torch.load(tmp_path / "w.pt", weights_only=True))


def test_inlined_generator_reproduces_the_problem(tmp_path):
    g = ode.lotka_volterra_ude(hidden=(4,))
    g.training = {"data": {"y": {"source": "generator", "name": "lotka_volterra",
                                 "kwargs": {"n": 9, "seed": 3}}}}
    _, mod = load_training(g, tmp_path)
    made = mod.lotka_volterra(n=9, seed=3)
    ref = ode.lotka_volterra(n=9, seed=3)
    torch.testing.assert_close(made["y"], ref.y)
    torch.testing.assert_close(made["t"], ref.t)
