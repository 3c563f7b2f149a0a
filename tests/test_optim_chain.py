"""Optimizers as chains of update stages: each built-in kind, written as its chain, moves
the weights exactly as its torch.optim twin (1e-6 over 100 float64 steps); a document's
own chain trains, checkpoints and resumes."""

import re
import subprocess

import pytest
import torch

import diffwire as dw
from diffwire.runtime import updates
from diffwire.train import optim

from train_util import mlp_graph, sine_data


def _problem():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=gen, dtype=torch.float64)
    y = torch.sin(x @ torch.randn(3, 2, generator=gen, dtype=torch.float64))
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(),
                                torch.nn.Linear(16, 2)).double()
    return model, x, y


def _train(make_opt, make_sched=None, steps=100):
    model, x, y = _problem()
    opt = make_opt(list(model.parameters()))
    sched = make_sched(opt) if make_sched else None
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        if sched is not None:
            sched.step()
    return torch.cat([p.detach().flatten() for p in model.parameters()])


SPECS = [
    {"kind": "sgd", "lr": 0.1},
    {"kind": "sgd", "lr": 0.05, "momentum": 0.9},
    {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
    {"kind": "adam", "lr": 1e-2},
    {"kind": "adam", "lr": 1e-2, "betas": [0.8, 0.99], "weight_decay": 1e-2},
    {"kind": "adamw", "lr": 1e-2, "weight_decay": 0.1},
    {"kind": "rmsprop", "lr": 1e-3},
    {"kind": "rmsprop", "lr": 1e-3, "momentum": 0.5, "weight_decay": 1e-3},
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: "-".join(f"{v}" for v in s.values()))
def test_each_kind_as_a_chain_matches_torch_optim_over_100_steps(spec):
    spec = optim.normalize(spec)
    text = optim.as_chain(spec)
    ref = _train(lambda ps: optim.make_optimizer(spec, ps))
    ours = _train(lambda ps: updates.ChainOptimizer(ps, lr=spec["lr"], stages=text))
    start = _train(lambda ps: torch.optim.SGD(ps, lr=0.0))
    assert (ref - start).abs().max() > 1e-2  # the weights moved: the comparison means something
    assert (ours - ref).abs().max() < 1e-6, text


@pytest.mark.parametrize("schedule, stage, sched", [
    ("step", "schedule=step step_size=30 gamma=0.5",
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.5)),
    ("cosine", "schedule=cosine decay_steps=100 alpha=0.1",
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=100, eta_min=1e-3)),
])
def test_learning_rate_schedule_stages_match_torch_schedulers(schedule, stage, sched):
    chain = f"scale_by_adam\nscale_by_learning_rate {stage}"
    ref = _train(lambda ps: torch.optim.Adam(ps, lr=1e-2), sched)
    ours = _train(lambda ps: updates.ChainOptimizer(ps, lr=1e-2, stages=chain))
    assert (ours - ref).abs().max() < 1e-6


def test_warmup_ramps_the_rate_linearly_then_holds():
    kw = updates.parse_stages("scale_by_learning_rate warmup=4")[0][1]
    assert [updates.schedule_factor(kw, t) for t in range(6)] == [0.25, 0.5, 0.75, 1, 1, 1]


def test_clip_stages_by_global_norm_and_by_value():
    p = torch.nn.Parameter(torch.zeros(4, dtype=torch.float64))
    opt = updates.ChainOptimizer([p], lr=1.0, stages="clip_by_global_norm 1.0\nscale -1")
    p.grad = torch.tensor([3.0, 4.0, 0.0, 0.0], dtype=torch.float64)
    opt.step()
    assert torch.allclose(p.detach(), torch.tensor([-0.6, -0.8, 0, 0], dtype=torch.float64))
    q = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = updates.ChainOptimizer([q], lr=0.5, stages="clip 0.1\nscale_by_learning_rate")
    q.grad = torch.tensor([1.0, -0.05, -2.0], dtype=torch.float64)
    opt.step()
    assert torch.allclose(q.detach(), torch.tensor([-0.05, 0.025, 0.05], dtype=torch.float64))


@pytest.mark.parametrize("text, says", [
    ("scale_by_adma", "no update stage 'scale_by_adma'"),
    ("scale_by_adam b3=0.9", "has no option 'b3'"),
    ("trace decay=fast", "decay is a number"),
    ("trace 0.9 true 4", "at most 2 values"),
    ("# only a comment", "no stages"),
])
def test_a_bad_chain_is_refused_with_its_line_and_place(text, says):
    g = mlp_graph()
    with pytest.raises(dw.ParamError) as err:  # on the node, where the editor shows it
        g.add("Optimizer", id="opt", kind="chain", stages=text)
    assert err.value.node == "opt" and err.value.port == "stages" and says in str(err.value)


def test_an_empty_chain_is_a_chain_being_written_until_it_trains():
    g = mlp_graph()
    node = g.add("Optimizer", id="opt", kind="chain")
    assert "write the update stages" in node.block.formula(node, "opt", {})[0]
    g.training = {"optimizer": "opt", "steps": 2}
    with pytest.raises(dw.ParamError) as err:
        dw.train(g, data=sine_data(), progress=False, background=False)
    assert err.value.port == "stages" and "no stages" in str(err.value)


def test_the_node_shows_its_chain_gradient_in_update_out():
    g = mlp_graph()
    node = g.add("Optimizer", id="opt", kind="adamw", lr=3e-3, weight_decay=0.01)
    assert node.block.formula(node, "opt", {}) == [
        "grad", "→ scale_by_adam b1=0.9", "→ add_decayed_weights weight_decay=0.01",
        "→ scale_by_learning_rate lr=0.003"]


CUSTOM = """# clipped Adam with decoupled decay and a warm-up
clip_by_global_norm 1.0
scale_by_adam b1=0.9 b2=0.99
add_decayed_weights 1e-4
scale_by_learning_rate schedule=cosine warmup=5 decay_steps=40
"""


def test_a_document_with_its_own_chain_trains_and_resumes_from_a_checkpoint(tmp_path):
    g = mlp_graph((1, 16, 1))
    g.add("Optimizer", id="opt", kind="chain", lr=2e-2, stages=CUSTOM)
    g.training = {"optimizer": "opt", "steps": 40}
    path = tmp_path / "chain.diffwire"
    g.save(path)
    g = dw.load(path)
    full = dw.train(g, data=sine_data(), progress=False, background=False)
    assert full.state == "finished", full.traceback
    assert isinstance(full.optimizer, updates.ChainOptimizer)
    losses = [r["loss"] for r in full.history]
    assert losses[-1] < 0.5 * losses[0]

    half = dw.train(g, data=sine_data(), progress=False, background=False, steps=20)
    ck = tmp_path / "half.pt"
    half.save_checkpoint(ck)
    state = torch.load(ck, weights_only=True)["optimizer"]
    slots = next(iter(state["state"].values()))
    assert {"step", "1.mu", "1.nu"} <= set(slots) and int(slots["step"]) == 20
    resumed = dw.resume(ck, data=sine_data(), progress=False, background=False, steps=40)
    assert resumed.state == "finished", resumed.traceback
    for a, b in zip(resumed.model.state_dict().values(), full.model.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6)


def test_the_exported_file_steps_a_chain_exactly_as_the_kernel_does(tmp_path):
    from export_util import load_training, ruff_bin, run_clean

    g = mlp_graph((1, 16, 1))
    g.add("Optimizer", id="opt", kind="chain", lr=2e-2, stages=CUSTOM)
    g.training = {"optimizer": "opt", "steps": 40, "data": {"x": "x", "y": "y"}}
    src, mod = load_training(g, tmp_path)
    assert "class ChainOptimizer" in src and "import diffwire" not in src
    spec = dict(g.nodes["opt"].params)
    data = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in sine_data().items()}
    weights = []
    for build in (lambda m: next(mod.phases(m, 40))[0],
                  lambda m: optim.make_optimizer(optim.normalize(spec), list(m.parameters()))):
        torch.manual_seed(0)
        model = mod.Model().double()
        opt = build(model)
        for _ in range(40):
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.mse_loss(model(data["x"]), data["y"]).backward()
            opt.step()
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert type(opt).__name__ == "ChainOptimizer"
    assert (weights[0] - weights[1]).abs().max() < 1e-12
    torch.manual_seed(0)
    moved = torch.cat([p.detach().flatten() for p in mod.Model().double().parameters()])
    assert (weights[0] - moved).abs().max() > 1e-2

    g.training["data"] = {"x": {"source": "file", "path": "d.npz"},
                          "y": {"source": "file", "path": "d.npz"}}
    dw.export(g, tmp_path / "model.py")
    for args in (["check"], ["format", "--check"]):  # the embedded runtime is clean code too
        done = subprocess.run([ruff_bin(), *args, "--isolated", "--no-cache",
                               str(tmp_path / "model.py"), str(tmp_path / "model_train.py")],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    import numpy as np
    np.savez(tmp_path / "d.npz", **{k: np.asarray(v) for k, v in sine_data().items()})
    done = run_clean(["model_train.py", "--out", "w.pt"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    losses = [float(v) for v in re.findall(r"loss ([0-9.eE+-]+)", done.stdout)]
    assert len(losses) >= 2 and losses[-1] < losses[0]


def test_chain_state_round_trips_through_a_weights_only_file(tmp_path):
    chain = "clip_by_global_norm 0.5\ntrace 0.9 nesterov=true\nscale_by_rms\nscale_by_learning_rate"

    def steps(opt, p, n):
        for _ in range(n):
            opt.zero_grad()
            ((p - 3.0) ** 4).sum().backward()
            opt.step()

    p = torch.nn.Parameter(torch.linspace(-1, 1, 5, dtype=torch.float64))
    opt = updates.ChainOptimizer([p], lr=0.01, stages=chain)
    steps(opt, p, 7)
    torch.save({"w": p.detach().clone(), "opt": opt.state_dict()}, tmp_path / "s.pt")
    steps(opt, p, 5)
    saved = torch.load(tmp_path / "s.pt", weights_only=True)
    q = torch.nn.Parameter(saved["w"])
    again = updates.ChainOptimizer([q], lr=0.5, stages="scale -1")  # both come from the file
    again.load_state_dict(saved["opt"])
    assert again.param_groups[0]["lr"] == 0.01 and again.param_groups[0]["stages"][1][0] == "trace"
    steps(again, q, 5)
    assert torch.equal(p.detach(), q.detach())
