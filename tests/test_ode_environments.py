"""Two more environments for the structure ablation (issue 16, point 5): an SIR epidemic
(recovery known, infection unknown) and a damped pendulum (kinematics, gravity, damping),
each a problem generator that a document binds by name and an exported file regenerates
identically, and an ablatable UDE document in demos/ that trains and ablates."""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest
import torch

import diffwire as dw
from diffwire.ode import problems
from diffwire.runtime import data as runtime_data
from diffwire.train.ablation import resolve_terms
from diffwire.train.generators import GENERATORS, KEYS, generate

from export_util import load_training

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"
ENVIRONMENTS = {
    # document: (generator, marked terms, state size)
    "sir_ude_ablation.diffwire": ("sir", ["recovery"], 3),
    "pendulum_ude_ablation.diffwire": ("damped_pendulum", ["kinematics", "gravity", "damping"],
                                       2),
}


def test_sir_is_the_epidemic_with_its_population_conserved():
    tr = problems.sir(noise=0.0)
    assert tr.t.shape == (41,) and tr.y.shape == (41, 3) and tr.params == {"beta": 1.0,
                                                                            "gamma": 0.2}
    s, i, r = tr.clean.double().T
    torch.testing.assert_close(s + i + r, torch.ones(41, dtype=torch.float64), atol=1e-6,
                               rtol=0)
    assert float(s[-1]) < float(s[0]) and float(r[-1]) > float(r[0])
    # the span holds the rise and the peak of the infections, not the epidemic's end
    peak = int(i.argmax())
    assert 0 < peak < 40 and float(i[-1]) > 0.05
    u = torch.tensor([0.6, 0.3, 0.1], dtype=torch.float64)
    torch.testing.assert_close(tr.rhs(0, u), torch.tensor([-0.18, 0.18 - 0.06, 0.06],
                                                          dtype=torch.float64))


def test_the_pendulum_is_damped_gravity():
    tr = problems.damped_pendulum(noise=0.0)
    assert tr.y.shape == (51, 2) and float(tr.t[-1]) == pytest.approx(5.0)
    u = torch.tensor([0.5, -1.0], dtype=torch.float64)
    want = torch.tensor([-1.0, -4.0 * math.sin(0.5) + 0.3], dtype=torch.float64)
    torch.testing.assert_close(tr.rhs(0, u), want)
    # energy decays: the swing far past the span is smaller than at the start
    late = tr.truth(torch.linspace(0, 50, 501))[-50:]
    assert float(late[:, 0].abs().max()) < 0.1 * 1.5


@pytest.mark.parametrize("name", ["sir", "damped_pendulum"])
def test_a_document_binds_the_generator_by_name(name):
    assert name in GENERATORS and KEYS[name] == ["t", "y", "y0", "clean"]
    out = generate(name, {"n": 9, "noise": 0.1, "seed": 4})
    tr = problems.PROBLEMS[name](n=9, noise=0.1, seed=4)
    for key in ("t", "y", "y0", "clean"):
        assert np.array_equal(out[key], getattr(tr, key).numpy()), key
    with pytest.raises(dw.ParamError) as e:
        generate(name, {"n": 10**9})
    assert e.value.port == "n"


def test_an_exported_file_regenerates_the_kernels_data(tmp_path):
    sir = {"n": 17, "noise": 0.05, "seed": 3, "t_end": 12.0, "beta": 0.8}
    pend = {"n": 23, "noise": 0.1, "seed": 9, "damping": 0.5, "y0": [1.0, 0.5]}
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    m = g.add("MLP", widths=[1, 4, 1])
    g.connect(x, m)
    g.add_output(m, name="y")
    g.training = {"data": {"x": {"source": "generator", "name": "sir", "kwargs": sir,
                                 "key": "t"},
                           "y": {"source": "generator", "name": "damped_pendulum",
                                 "kwargs": pend, "key": "t"}},
                  "loss": "mse", "steps": 1}
    src, mod = load_training(g, tmp_path)
    assert "def sir_field(" in src and "def damped_pendulum_field(" in src
    assert src.count("def tight_solve(") == 1
    for name, kwargs in (("sir", sir), ("damped_pendulum", pend)):
        kernel = generate(name, kwargs)
        exported = getattr(mod, name)(**kwargs)
        assert set(exported) == set(kernel)
        for key, value in kernel.items():
            assert np.array_equal(value, exported[key].numpy()), (name, key)
    assert not torch.equal(mod.sir(**{**sir, "seed": 4})["y"],
                           mod.sir(**sir)["y"])


@pytest.mark.parametrize("doc", sorted(ENVIRONMENTS))
def test_the_document_opens_with_its_terms_marked(doc):
    problem, terms, dim = ENVIRONMENTS[doc]
    g = dw.load(DEMOS / doc)
    assert [e.text for e in g.validate() if e.severity == "error"] == []
    assert [t.path for t in resolve_terms(g, None)] == [f"solve/field/{t}" for t in terms]
    field = g.node("solve").body["field"]
    assert field.node("U").params["widths"] == [dim, 16, 16, dim]
    assert {b["name"] for b in g.training["data"].values()} == {problem}
    # with every known term supplied and U silent, the field is the known one: the true
    # pendulum; SIR's recovery alone (its infection term is U's job)
    tr = problems.PROBLEMS[problem](noise=0.0)
    known = tr.rhs if problem != "sir" else runtime_data.sir_field(0.0, 0.2)
    model = g.compile(seed=0)
    for p in model.parameters():
        torch.nn.init.zeros_(p)
    u, t = tr.clean[len(tr.t) // 3], torch.tensor([0.0, 0.5])
    want = runtime_data.tight_solve(known, u.double(), t.double())
    torch.testing.assert_close(model(y0=u, t=t).double(), want, atol=1e-4, rtol=0)


@pytest.mark.parametrize("doc, adam, lbfgs", [("sir_ude_ablation.diffwire", 60, 5),
                                              ("pendulum_ude_ablation.diffwire", 40, 3)])
def test_the_document_trains_to_a_fit(doc, adam, lbfgs):
    problem = ENVIRONMENTS[doc][0]
    g = dw.load(DEMOS / doc)
    schedule = [{"optimizer": ("adam", {"lr": 0.01}), "steps": adam},
                {"optimizer": ("lbfgs", {"lr": 1.0}), "steps": lbfgs}]
    run = dw.train(g, schedule=schedule, steps=adam + lbfgs, background=False, out=False,
                   progress=False)
    losses = [h["loss"] for h in run.history if "loss" in h]
    tr = problems.PROBLEMS[problem]()
    with torch.no_grad():
        pred = run.model(y0=tr.y0, t=tr.t)
    rmse = float(((pred - tr.clean) ** 2).mean().sqrt())
    print(f"{doc}: loss {losses[0]:.2e} -> {losses[-1]:.2e}, RMSE to the truth {rmse:.4f}")
    assert losses[-1] < losses[0] / 5
    assert rmse < 0.1 * float(tr.clean.abs().mean())


@pytest.mark.parametrize("doc", sorted(ENVIRONMENTS))
def test_the_document_ablates_every_subset_and_the_controls(doc, tmp_path):
    problem, terms, _ = ENVIRONMENTS[doc]
    g = dw.load(DEMOS / doc)
    path = tmp_path / doc
    g.save(path)
    result = dw.ablate(g, seeds=1, budget={"adam": 2, "lr": 0.01}, horizons=(2, 10),
                       backend="inline", document=path)
    kinds = [v["kind"] if isinstance(v, dict) else v for v in result.to_json()["variants"]]
    assert len(kinds) == 2 ** len(terms) + 2  # every subset, the black box, the wrong term
    subsets = {tuple(r["terms"]) for r in result.rows if r["kind"] == "ude"}
    assert len(subsets) == 2 ** len(terms)
    assert {r["kind"] for r in result.rows} == {"ude", "black_box", "wrong"}
    for row in result.rows:
        assert row["failure"] is None, row
        assert math.isfinite(row["train_loss"]) and math.isfinite(row["extrap10x_rmse"]), row
    # the truth to 10x the span came from the bound generator
    assert result.meta["truth"] is True
    back = dw.load_ablation(result.path)
    assert back.summary == result.summary and result.path.parent == path.with_suffix(".runs")


@pytest.mark.parametrize("doc", sorted(ENVIRONMENTS))
def test_the_kept_reduced_ablation_reads_back_whole(doc):
    """demos/ablations/<document>/ (written by tools/ablate_environments.py): 3 seeds of
    every subset of the document's marked terms and the controls, readable by
    dw.load_ablation, with the extrapolation errors the README quotes."""
    _, terms, _ = ENVIRONMENTS[doc]
    r = dw.load_ablation(DEMOS / "ablations" / pathlib.Path(doc).stem)
    assert r.meta["seeds"] == [0, 1, 2] and r.meta["truth"] is True
    assert r.meta["terms"] == [f"solve/field/{t}" for t in terms]
    assert len(r.summary) == 2 ** len(terms) + 2
    for row in r.summary:
        assert row["n"] == 3 and math.isfinite(row["extrap10x_rmse"]), row
