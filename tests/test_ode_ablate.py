"""ablate(): every subset of the known terms plus the controls, same budget and seeds."""

import math
import sys

import pytest
import torch

import diffwire as dw
from diffwire.ode import ablate, black_box, lotka_volterra_spec
from diffwire.ode.backends import run_local
from diffwire.ode.jobs import subsample

TINY = {"adam": 2, "lr": 0.05}


def test_variants_are_every_subset_plus_controls():
    spec = lotka_volterra_spec()
    variants = spec.variants()
    assert len(variants) == 2 ** 4 + 2
    ude = [v for v in variants if v.kind == "ude"]
    assert {frozenset(v.terms) for v in ude} == {frozenset(s) for s in _powerset(spec.terms)}
    assert [v.kind for v in variants[-2:]] == ["black_box", "wrong"]
    for v in variants:
        errors = [e for e in spec.build(v).validate(shapes=False) if e.severity == "error"]
        assert not errors, (v, errors)
    for v in (variants[0], variants[-3], variants[-2], variants[-1]):
        assert spec.build(v).infer_shapes()


def test_black_box_is_parameter_matched():
    spec = lotka_volterra_spec()
    model = black_box(2, spec.neural_parameter_count()).compile()
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - spec.neural_parameter_count()) <= 0.15 * spec.neural_parameter_count()
    assert model(y0=torch.ones(2), t=torch.linspace(0, 1, 7)).shape == (7, 2)


def test_ablate_runs_all_variants_in_local_processes():
    result = ablate("lotka_volterra", terms=["-delta*y"], seeds=[0, 1], budget=TINY,
                    fractions=(0.5, 1.0), backend="local", workers=2, horizons=(2,),
                    problem_kwargs={"n": 11, "t_end": 1.0})
    # 2^1 subsets + black box + wrong term, two fractions, two seeds
    assert len(result.rows) == 4 * 2 * 2 and len(result.summary) == 4 * 2
    names = {r["variant"] for r in result.summary}
    assert names == {"none (neural ODE)", "-delta*y", "black box (no ODE)", "wrong term"}
    for row in result.summary:
        assert row["n"] == 2 and row["train_loss"] > 0
        assert row["interp_rmse"] > 0 and "extrap2x_rmse" in row
    table = result.to_markdown()
    assert table.count("\n") == 1 + len(result.summary) and "extrap 2x" in table
    figs = result.figures()
    assert set(figs) == {"errors", "data_fraction"}
    assert len(figs["data_fraction"].data) == 4


def test_inline_and_local_backends_give_the_same_rows():
    kw = dict(terms=[], seeds=1, budget=TINY, horizons=(2,), problem_kwargs={"n": 6, "t_end": 0.5})
    a = ablate("lotka_volterra", backend="inline", **kw)
    b = ablate("lotka_volterra", backend="local", workers=1, **kw)
    for x, y in zip(a.rows, b.rows):
        assert x["train_loss"] == pytest.approx(y["train_loss"], rel=1e-9)


def test_ray_backend_missing_is_a_clear_error(monkeypatch):
    # Ray is in the test extras; a None entry in sys.modules makes `import ray` fail as it
    # does where it is not installed (tests/test_ray.py runs the real thing)
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(dw.GraphError, match="pip install 'diffwire\\[ray\\]'"):
        ablate("lotka_volterra", terms=[], seeds=1, budget=TINY, backend="ray")


def test_bad_arguments():
    with pytest.raises(dw.GraphError, match="unknown backend"):
        ablate("lotka_volterra", backend="slurm")
    with pytest.raises(dw.GraphError, match="unknown ablation spec"):
        ablate("van_der_pol")
    with pytest.raises(dw.GraphError, match="not a term of the lotka_volterra spec") as e:
        lotka_volterra_spec().variants(["epsilon*z"])
    assert e.value.port == "terms" and "-delta*y" in str(e.value)


@pytest.mark.parametrize("kw, port", [
    ({"terms": ["epsilon*z"]}, "terms"), ({"terms": "-delta*y"}, "terms"),
    ({"terms": ["-delta*y", "-delta*y"]}, "terms"),
    ({"seeds": 0}, "seeds"), ({"seeds": -2}, "seeds"), ({"seeds": 101}, "seeds"),
    ({"seeds": [3, 3]}, "seeds"), ({"budget": -5}, "budget.adam"),
    ({"budget": {"adam": 10**9}}, "budget.adam"), ({"budget": {"adam": 5, "lr": -1}}, "budget.lr"),
    ({"budget": {"adam": 5, "lbfgs": 10**7}}, "budget.lbfgs"), ({"budget": "many"}, "budget"),
    ({"fractions": (0.0,)}, "fractions"), ({"fractions": ()}, "fractions"),
])
def test_out_of_range_arguments_name_the_parameter_before_any_job(kw, port):
    """The spec experiment checks its arguments as the graph ablation does: seeds=0 ran no
    job and returned an empty table; a budget of 10**9 steps trained until killed."""
    args = {"terms": [], "seeds": 1, "budget": TINY, "backend": "inline", "horizons": (2,),
            "problem_kwargs": {"n": 6, "t_end": 0.5}, **kw}
    with pytest.raises(dw.GraphError) as e:
        dw.ablate("lotka_volterra", **args)
    assert e.value.port == port, str(e.value)
    assert port.split(".")[-1] in str(e.value)  # the message names the argument too


def test_subsample_keeps_the_start_and_is_seeded():
    a, b = subsample(31, 0.5, 3), subsample(31, 0.5, 3)
    assert torch.equal(a, b) and a[0] == 0 and len(a) == 16 and torch.all(a[1:] > a[:-1])
    assert torch.equal(subsample(31, 1.0, 0), torch.arange(31))


def test_local_backend_preserves_order():
    assert run_local(math.sqrt, [4.0, 9.0, 16.0], workers=2) == [2.0, 3.0, 4.0]


def _powerset(items):
    items = list(items)
    return [[x for i, x in enumerate(items) if mask >> i & 1] for mask in range(2 ** len(items))]
