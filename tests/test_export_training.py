"""The exported training file trains by itself: python model_train.py, and torchrun with
DDP."""

import re
import sys

import numpy as np
import pytest
import torch

import diffwire as dw

from export_util import load_training, run_clean


def regression_graph(**training) -> dw.Graph:
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    m = g.add("MLP", widths=[1, 16, 1], activation="tanh", label="f")
    g.connect(x, m)
    g.add_output(m, name="y")
    g.training = {"data": {"x": {"source": "file", "path": "data.npz"},
                           "y": {"source": "file", "path": "data.npz"}},
                  "loss": "mse", "optimizer": {"kind": "adam", "lr": 0.02}, "steps": 60,
                  "seed": 1, **training}
    return g


def _write_data(folder, n=64):
    x = np.linspace(-2, 2, n, dtype=np.float32)[:, None]
    np.savez(folder / "data.npz", x=x, y=np.sin(x))


def _losses(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"loss ([0-9.eE+-]+)", text)]


def test_script_trains_and_saves_weights_the_compiled_graph_loads(tmp_path):
    g = regression_graph(val_split=0.25)
    dw.export(g, tmp_path / "model.py")
    _write_data(tmp_path)
    done = run_clean(["model_train.py", "--out", "w.pt"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    losses = _losses(done.stdout)
    assert "val_loss" in done.stdout
    assert len(losses) >= 2 and losses[-1] < losses[0]
    state = torch.load(tmp_path / "w.pt", weights_only=True)
    compiled = g.compile()
    compiled.load_state_dict(state)
    x = torch.linspace(-2, 2, 9)[:, None]
    with torch.no_grad():
        assert float(((compiled(x) - torch.sin(x)) ** 2).mean()) < losses[0]


def test_schedule_with_lbfgs_and_a_loss_node(tmp_path):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    t = g.add("Input", name="t", shape=[None, 1])
    m = g.add("MLP", widths=[1, 8, 1])
    loss = g.add("MSE", id="loss")
    g.connect(x, m)
    g.connect(m, (loss, "pred"))
    g.connect(t, (loss, "target"))
    g.add_output(m, name="y")
    g.add("Optimizer", id="opt_adam", kind="adam", lr=0.01) if "Optimizer" in dw.BLOCKS else None
    first = "opt_adam" if "Optimizer" in dw.BLOCKS else {"kind": "adam", "lr": 0.01}
    g.training = {"data": {"x": {"source": "generator", "name": "sine", "kwargs": {"n": 32}},
                           "t": {"source": "generator", "name": "sine", "kwargs": {"n": 32},
                                 "key": "y"}},
                  "loss": {"node": "loss"},
                  "schedule": [{"optimizer": first, "steps": 5},
                               {"optimizer": {"kind": "lbfgs", "lr": 0.5, "max_iter": 5},
                                "steps": 3}],
                  "batch_size": 16}
    src, mod = load_training(g, tmp_path)
    assert "self.taps" in src and "def sine(" in src
    logs = []
    model = mod.train(log=logs.append)
    assert isinstance(model, mod.Model) and logs
    assert "phase 1" in logs[-1]


def test_kernel_data_asks_to_be_passed_in(tmp_path):
    g = regression_graph(data={"x": {"source": "kernel", "name": "X"},
                               "y": {"source": "kernel", "name": "Y"}}, steps=3)
    _, mod = load_training(g, tmp_path)
    with pytest.raises(ValueError, match="pass it in"):
        mod.train()
    x = torch.linspace(-1, 1, 16)[:, None]
    model = mod.train(data={"x": x, "y": x**2}, log=lambda s: None)
    assert model(x).shape == (16, 1)


def test_torchrun_two_processes_end_with_identical_weights(tmp_path):
    g = regression_graph(steps=6, batch_size=8,
                         schedule=[{"optimizer": {"kind": "adam", "lr": 0.02}, "steps": 4},
                                   {"optimizer": {"kind": "lbfgs", "lr": 0.2, "max_iter": 3},
                                    "steps": 2}])
    dw.export(g, tmp_path / "model.py")
    _write_data(tmp_path, n=32)
    done = run_clean(["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                      "model_train.py", "--print-hash", "--out", "w.pt"], cwd=tmp_path, timeout=300,
                     env_extra={"OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    hashes = dict(re.findall(r"rank (\d) weights ([0-9a-f]+)", done.stdout))
    assert sorted(hashes) == ["0", "1"], done.stdout
    assert hashes["0"] == hashes["1"]
    assert done.stdout.count("saved weights") == 1  # only rank 0 saves
    assert (tmp_path / "w.pt").exists()
    assert sys.executable


def test_the_training_file_saves_checkpoints_the_compiled_graph_loads(tmp_path):
    g = regression_graph(steps=4, checkpoint_every=2)
    dw.export(g, tmp_path / "model.py")
    _write_data(tmp_path, n=16)
    done = run_clean(["model_train.py", "--out", "w.pt", "--checkpoints", "ck"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == [
        "step_0000002.pt", "step_0000004.pt"]
    last = torch.load(tmp_path / "ck" / "step_0000004.pt", weights_only=True)
    assert last["step"] == 4 and last["phase"] == 0 and last["optimizer"]["state"]
    g.compile().load_state_dict(last["model"])
    final = torch.load(tmp_path / "w.pt", weights_only=True)
    assert all(torch.equal(final[k], last["model"][k]) for k in final)


@pytest.mark.parametrize("training", [
    {"batch_size": 16, "val_split": 0.25, "steps": 40,
     "optimizer": {"kind": "rmsprop", "lr": 0.01, "momentum": 0.5, "grad_clip": 0.5,
                   "schedule": "step", "step_size": 7}},
    {"batch_size": 24, "steps": 12,
     "schedule": [{"optimizer": {"kind": "adam", "lr": 0.02, "schedule": "cosine"}, "steps": 8},
                  {"optimizer": {"kind": "lbfgs", "lr": 0.3, "max_iter": 4, "grad_clip": 1.0}}]},
], ids=["batches-validation-clipping-schedule", "adam-then-lbfgs"])
def test_the_file_trains_as_dw_train_does_for_the_same_seed(tmp_path, training):
    g = regression_graph(**training)
    _write_data(tmp_path)
    _, mod = load_training(g, tmp_path)
    logs = []
    model = mod.train(log=logs.append)
    run = dw.train(g.save(tmp_path / "model.diffwire"), background=False, progress=False)
    assert run.state == "finished", run.traceback
    library = {r["step"]: r for r in run.history}
    assert len(logs) >= 10
    for line in logs:  # the file logs step s + 1 after the update of library step s
        step, loss = re.search(r"step (\d+)/\d+  loss (\S+)", line).groups()
        assert float(loss) == pytest.approx(library[int(step) - 1]["loss"], rel=1e-5), line
        if "val_loss" in line and "val_loss" in library[int(step) - 1]:
            val = float(re.search(r"val_loss (\S+)", line).group(1))
            assert val == pytest.approx(library[int(step) - 1]["val_loss"], rel=1e-5), line
    for (name, a), b in zip(run.model.state_dict().items(), model.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0, msg=name)
