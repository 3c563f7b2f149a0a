"""Problem generators: deterministic by seed, noise as specified, true dynamics."""

import pytest
import torch

from diffwire.ode import problems


@pytest.mark.parametrize("name", sorted(problems.PROBLEMS))
def test_deterministic_by_seed(name):
    gen = problems.PROBLEMS[name]
    kw = {"n": 20, "noise": 0.05, "t_end": 2.0}
    a, b, c = gen(seed=1, **kw), gen(seed=1, **kw), gen(seed=2, **kw)
    assert torch.equal(a.y, b.y) and torch.equal(a.t, b.t)
    assert not torch.equal(a.y, c.y)
    t, y, y0, params = a
    d = len(y0)
    assert y.shape == (20, d) and t.shape == (20,) and y0.shape == (d,) and params
    torch.testing.assert_close(a.clean[0], y0)


def test_lotka_volterra_setup():
    tr = problems.lotka_volterra()
    assert tr.t.shape == (31,) and float(tr.t[-1]) == pytest.approx(3.0)
    assert tr.params == {"alpha": 1.3, "beta": 0.9, "gamma": 0.8, "delta": 1.8}
    torch.testing.assert_close(tr.y0, torch.tensor([0.44249296, 4.6280594]))
    resid = (tr.y - tr.clean).double()
    scale = 0.05 * tr.clean.double().abs().mean(0)
    assert torch.all((resid.std(0) / scale - 1).abs() < 0.4)  # 31 samples of N(0, scale)


def test_spiral_matches_ode_demo():
    tr = problems.spiral(n=50, t_end=1.0)
    a = torch.tensor(problems.SPIRAL_A)
    dy = (tr.y0 ** 3) @ a
    torch.testing.assert_close(tr.rhs(0, tr.y0.double()).float(), dy)
    assert torch.equal(tr.y, tr.clean)  # no noise by default, like the demo


def test_truth_extends_the_clean_solution():
    tr = problems.mass_spring(n=11, t_end=1.0, noise=0.0)
    torch.testing.assert_close(tr.truth(tr.t), tr.clean)
    x, v = tr.truth(torch.linspace(0, 10, 5)).T
    assert torch.all(x.abs() <= 1.0 + 1e-6)  # a damped spring never exceeds its start
