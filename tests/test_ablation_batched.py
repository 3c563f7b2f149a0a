"""The batched ablation backend: variants x seeds x fractions trained as ensembles in one
process give the per-variant backend's rows; groups vmap cannot batch fall back per
variant with the reason kept; a member that blows up fails alone; stop stops."""

from __future__ import annotations

import logging
import math
import pathlib
import threading

import pytest
import torch

import diffwire as dw
from diffwire.train.ablation import resolve_terms, variants
from diffwire.train.ablation.batched import masked_graph
from diffwire.train.ablation.batched_fit import fit_members
from diffwire.train.ablation.terms import build, field_terms
from diffwire.train.batched import BatchedMembers

from train_util import short_lv_ablation

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"
METRICS = ("train_loss", "interp_rmse", "extrap2x_rmse", "extrap10x_rmse", "bic")
EXACT = ("variant", "kind", "terms", "seed", "fraction", "nfe", "params", "n_obs", "failure")


@pytest.fixture
def lv_doc(tmp_path):
    return short_lv_ablation(tmp_path)


def test_batched_rows_equal_the_per_variant_rows(lv_doc):
    """Same seeds, same budget (Adam then LBFGS), every kind of variant, two fractions.
    The arithmetic is the per-variant job's: a withheld term adds an exact zero either way,
    each member's Adam and LBFGS are torch's own on its own parameters, and a fraction's
    loss is the mean over the same points. What differs is rounding: the batched matmuls,
    Adam's multi-tensor kernel, and a fraction's points read off the whole grid's solve
    instead of a solve on those points alone (the same RK4 steps, a rounding apart). In
    float64 that leaves relative differences near 1e-11 after 30 steps; 1e-7 is far
    below seed noise (the seeds' losses differ by tens of percent) and far above
    rounding."""
    g = dw.load(lv_doc)
    kw = dict(seeds=2, budget={"adam": 20, "lr": 0.05, "lbfgs": 10}, fractions=(0.5, 1.0),
              document=lv_doc, save=False)
    batched = dw.ablate(g, **kw)  # the default backend
    per_variant = dw.ablate(g, backend="inline", **kw)
    assert batched.meta["backend"] == "batched"
    assert [(x["members"], x["batched"]) for x in batched.meta["batched"]["groups"]] == \
        [(16, True), (4, True), (4, True)]  # 4 subsets x 2 seeds x 2 fractions; 2 controls
    assert len(batched.rows) == len(per_variant.rows) == 6 * 2 * 2
    for a, b in zip(batched.rows, per_variant.rows):
        assert {k: a[k] for k in EXACT} == {k: b[k] for k in EXACT}
        for k in METRICS:
            assert a[k] == pytest.approx(b[k], rel=1e-7), (a["variant"], k)
    # seed noise, for scale: the two seeds of one variant differ far more than that
    full = [r["train_loss"] for r in per_variant.rows
            if r["variant"] == "none (neural ODE)" and r["fraction"] == 1.0]
    assert abs(full[0] - full[1]) / full[1] > 1e-3


def test_a_masked_member_is_the_variant_with_its_terms_withheld():
    g = dw.load(DEMOS / "lotka_volterra_ablation.diffwire")
    varied = resolve_terms(g, None)
    y0, t = torch.tensor([0.44, 4.6]), torch.linspace(0, 1, 5)
    for v in variants(g, varied):
        if v.kind not in ("ude", "neural"):
            continue
        own = build(g, varied, v, 2, 0).compile(seed=3)(y0=y0, t=t)
        masked = masked_graph(g, field_terms(g), v, varied).compile(seed=3)(y0=y0, t=t)
        assert torch.equal(own, masked), v.name


def test_a_group_vmap_refuses_falls_back_per_variant_with_its_reason(lv_doc, caplog):
    """An adaptive solver's step control reads values back to Python: those groups run
    per variant (local processes); the black box, which has no solve, still batches."""
    g = dw.load(lv_doc)
    g.node("solve").params.update(method="dopri5", rtol=1e-4, atol=1e-6)
    with caplog.at_level(logging.INFO, logger="diffwire.ablation"):
        r = dw.ablate(g, terms=["prey_growth"], seeds=1, budget={"adam": 2}, horizons=(2,),
                      controls=("black_box",), document=lv_doc, save=False, workers=1)
    groups = {tuple(x["variants"]): x for x in r.meta["batched"]["groups"]}
    ode = groups[("none of the varied terms", "prey_growth")]
    assert not ode["batched"] and ode["reason"]
    assert groups[("black box (no ODE)",)]["batched"]
    assert ode["reason"] in caplog.text
    assert len(r.rows) == 3 and all(x["failure"] is None for x in r.rows)
    assert all(math.isfinite(x["train_loss"]) for x in r.rows)


def test_a_member_that_blows_up_fails_alone(lv_doc):
    g = dw.load(lv_doc)
    r = dw.ablate(g, terms=["prey_growth"], seeds=2, budget={"adam": 3, "lbfgs": 3},
                  horizons=(2,), controls=("wrong",),
                  wrong={"prey_growth": "exp(50*y[0]), 0*y[1]"}, document=lv_doc, save=False)
    bad = [x for x in r.rows if x["kind"] == "wrong"]
    good = [x for x in r.rows if x["kind"] != "wrong"]
    assert len(bad) == 2 and all("solve" in x["failure"] and "NaN" in x["failure"]
                                 for x in bad)
    assert all(math.isinf(x["interp_rmse"]) for x in bad)
    assert good and all(x["failure"] is None and math.isfinite(x["interp_rmse"])
                        for x in good)


def test_stop_ends_a_batched_ablation_and_keeps_nothing(lv_doc):
    g = dw.load(lv_doc)
    stop = threading.Event()
    calls = []

    def progress(done, total, row):
        calls.append(done)
        stop.set()  # the first group's end: the next group stops at its first step

    with pytest.raises(dw.GraphError) as e:
        dw.ablate(g, seeds=1, budget={"adam": 2}, document=lv_doc, on_progress=progress,
                  stop=stop)
    assert e.value.port == "stop" and calls
    assert dw.ablations(lv_doc) == []  # nothing kept


def test_stop_in_the_lockstep_lbfgs_leaves_no_member_thread():
    g = dw.load(DEMOS / "lotka_volterra_ablation.diffwire")
    model = BatchedMembers([g.compile(seed=s).double() for s in range(3)])
    y0, t = torch.tensor([0.44, 4.6], dtype=torch.float64), torch.linspace(0, 1, 6).double()
    y = torch.stack([y0 * (1 - 0.1 * k) for k in range(6)])
    stop, calls = threading.Event(), [0]

    def losses():
        calls[0] += 1
        if calls[0] == 2 + 4:  # the 2 Adam steps, then a few LBFGS rounds
            stop.set()
        pred = model.vmap(lambda m, b: m(**b), {"y0": y0, "t": t})
        return ((pred - y) ** 2).mean(dim=(1, 2))

    with pytest.raises(dw.GraphError) as e:
        fit_members(model, losses, adam_steps=2, lr=0.05, lbfgs_steps=50, stop=stop)
    assert e.value.port == "stop" and calls[0] == 6
    assert not [x for x in threading.enumerate() if x.name.startswith("diffwire-lbfgs")]
    # without a stop the same fit runs its LBFGS to the end, every member improving
    calls[0] = -10**6
    before = losses().tolist()
    fits = fit_members(model, losses, adam_steps=0, lr=0.05, lbfgs_steps=5)
    assert all(f.failure is None and f.loss < b for f, b in zip(fits, before))
    assert all(f.evaluations > 1 for f in fits)
