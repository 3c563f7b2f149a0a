"""Optimizers as blocks: every kind trains, schedules switch optimizers on time."""

import pytest
import torch

import diffwire as dw
from diffwire.train import optim

from train_util import mlp_graph, sine_data


@pytest.mark.parametrize("kind", [k for k in optim.KINDS if k != "rda"])  # rda: test_boolean
def test_every_optimizer_kind_runs_a_few_steps(kind):
    g = mlp_graph()
    lr = 0.5 if kind == "lbfgs" else 1e-2
    g.add("Optimizer", id="opt", kind=kind, lr=lr, momentum=0.9, nesterov=True,
          weight_decay=1e-4, grad_clip=1.0, max_iter=4,
          stages="trace 0.9\nscale_by_learning_rate")
    g.training = {"optimizer": "opt", "steps": 4}
    run = dw.train(g, data=sine_data(), progress=False, background=False)
    assert run.state == "finished", run.traceback
    losses = [r["loss"] for r in run.history]
    assert len(losses) == 4 and all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0]
    assert type(run.optimizer).__name__.lower() == {"sgd": "sgd", "adam": "adam", "adamw": "adamw",
                                                    "rmsprop": "rmsprop", "lbfgs": "lbfgs",
                                                    "chain": "chainoptimizer"}[kind]


@pytest.mark.parametrize("schedule", ["step", "cosine", "exponential"])
def test_learning_rate_schedules(schedule):
    run = dw.train(mlp_graph(), data=sine_data(), progress=False, background=False, steps=6,
                   optimizer={"kind": "sgd", "lr": 0.1, "schedule": schedule, "step_size": 2,
                              "gamma": 0.5})
    lrs = [r["lr"] for r in run.history]
    assert lrs[0] == 0.1 and lrs[-1] < 0.1
    if schedule == "step":
        assert lrs == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]


def test_adam_then_lbfgs_switches_at_the_right_step():
    g = mlp_graph()
    g.add("Optimizer", id="adam", kind="adam", lr=1e-2)
    g.add("Optimizer", id="lbfgs", kind="lbfgs", lr=1.0, max_iter=5)
    g.training = {"schedule": [{"optimizer": "adam", "steps": 5},
                               {"optimizer": "lbfgs", "steps": 3}]}
    run = dw.train(g, data=sine_data(), progress=False, background=False)
    assert run.state == "finished" and run.step == 8
    assert [r["phase"] for r in run.history] == [0] * 5 + [1] * 3
    assert [r["lr"] for r in run.history] == [1e-2] * 5 + [1.0] * 3
    assert isinstance(run.optimizer, torch.optim.LBFGS)
    switch = [e for e in run.events if e["type"] == "phase" and e["phase"] == 1]
    assert switch and switch[0]["step"] == 5 and switch[0]["kind"] == "lbfgs"


def test_optimizer_blocks_are_not_compiled_and_not_dangling():
    g = mlp_graph()
    g.add("Optimizer", id="opt")
    assert [e for e in g.validate() if e.node == "opt"] == []
    model = g.compile()
    assert "opt" not in model.blocks
    entry = next(b for b in dw.catalog()["blocks"] if b["type"] == "Optimizer")
    assert entry["category"] == "optim" and entry["inputs"] == [] and entry["outputs"] == []


def test_optimizer_nodes_param_limits_what_is_trained():
    g = mlp_graph()
    g.disconnect("y")
    scale = g.add("Parameter", id="scale", shape=[1], init="ones")
    mul = g.add("Mul", id="mul")
    g.connect("mlp", (mul, "a"))
    g.connect(scale, (mul, "b"))
    g.connect(mul, "y")
    run = dw.train(g, data=sine_data(), steps=3, progress=False, background=False,
                   optimizer={"kind": "adam", "lr": 0.1, "nodes": ["scale"]}, seed=1)
    before = g.compile(seed=1).state_dict()
    after = run.model.state_dict()
    assert torch.equal(before["blocks.mlp.0.weight"], after["blocks.mlp.0.weight"])
    assert not torch.equal(after["blocks.scale.value"], torch.ones(1))


def test_bad_optimizer_references_are_located_errors():
    g = mlp_graph()
    g.training = {"optimizer": "nowhere"}
    with pytest.raises(dw.GraphError, match="nowhere") as info:
        dw.train(g, data=sine_data(), progress=False, start=False)
    assert info.value.port == "training.optimizer"
    with pytest.raises(dw.ParamError):
        dw.train(mlp_graph(), data=sine_data(), progress=False, start=False,
                 optimizer=("adam", {"learning_rate": 1}))


def test_set_reaches_schedule_and_clipping_and_refuses_kind():
    run = dw.train(mlp_graph(), data=sine_data(), progress=False, start=False, steps=6,
                   optimizer={"kind": "sgd", "lr": 0.1, "schedule": "step", "step_size": 2,
                              "gamma": 0.5})
    run.set(gamma=0.1, grad_clip=1e-3)
    run.start(background=False)
    assert [r["lr"] for r in run.history] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    assert run.scheduler.gamma == 0.1 and run.spec["grad_clip"] == 1e-3
    with pytest.raises(dw.ParamError, match="rebuild"):
        run.set(kind="adam")


def test_editing_the_optimizer_node_and_rebuilding_swaps_the_optimizer():
    g = mlp_graph()
    g.add("Optimizer", id="opt", kind="adam", lr=1e-2)
    g.training = {"optimizer": "opt"}
    run = dw.train(g, data=sine_data(), steps=3, progress=False, background=False)
    g.node("opt").params["kind"] = "rmsprop"
    report = run.rebuild()
    assert report.get("optimizer_reset") and isinstance(run.optimizer, torch.optim.RMSprop)
    assert report["kept"] == ["mlp"]
