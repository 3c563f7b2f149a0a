"""dw.sweep: space checks and expansion, trials as kept runs, failures, the figure."""

import math
import os

import pytest
import torch

import diffwire as dw
from diffwire import threads
from diffwire.sweep import space as spaces


def mlp_graph(widths=(1, 8, 1)):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    h = g.add("MLP", id="mlp", widths=list(widths), activation="tanh")
    g.connect(x, h)
    g.add_output(h, name="y")
    return g


DATA = {"x": torch.linspace(-2, 2, 32)[:, None], "y": torch.sin(torch.linspace(-2, 2, 32))[:, None]}


# -- the space ------------------------------------------------------------------------------

def test_grid_is_the_product_in_order():
    space = spaces.check(mlp_graph(), {"lr": [1e-3, 1e-2], "mlp.widths": [[1, 4, 1], [1, 8, 1]],
                                       "seed": [0, 1, 2]})
    trials = spaces.expand(space)
    assert len(trials) == 12
    assert trials[0] == {"lr": 1e-3, "mlp.widths": [1, 4, 1], "seed": 0}
    assert trials[-1] == {"lr": 1e-2, "mlp.widths": [1, 8, 1], "seed": 2}
    assert len({repr(t) for t in trials}) == 12


def test_random_space_is_seeded_and_in_range():
    raw = {"lr": dw.sweep.log_uniform(1e-4, 1e-1), "steps": dw.sweep.int_uniform(10, 20),
           "mlp.init_std": dw.sweep.uniform(0.1, 0.5), "optimizer": ["adam", "sgd"],
           "seed": dw.sweep.choice([3, 4])}
    space = spaces.check(mlp_graph(), raw, samples=40)
    a, b = spaces.expand(space, 40, seed=7), spaces.expand(space, 40, seed=7)
    assert a == b and a != spaces.expand(space, 40, seed=8)
    for t in a:
        assert 1e-4 <= t["lr"] <= 1e-1 and isinstance(t["steps"], int) and 10 <= t["steps"] <= 20
        assert 0.1 <= t["mlp.init_std"] <= 0.5 and t["optimizer"] in ("adam", "sgd")
        assert t["seed"] in (3, 4)
    logs = sorted(math.log10(t["lr"]) for t in a)  # log-uniform: spread over the decades
    assert logs[0] < -3 and logs[-1] > -2


def test_paths_reach_into_bodies():
    g = dw.ode.lotka_volterra_ude()
    node, param = spaces.find_param(g, "solve.field.U.widths")
    assert node.id == "U" and param == "widths"
    with pytest.raises(dw.GraphError, match="has no body 'flux'") as e:
        spaces.find_param(g, "solve.flux.U.widths")
    assert e.value.node == "solve" and "field" in str(e.value)


@pytest.mark.parametrize("space, match, port", [
    ({}, "the sweep space is empty", "space"),
    ({"mlpp.widths": [[1, 4, 1]]}, "no node 'mlpp' in the graph", "space.mlpp.widths"),
    ({"mlp.width": [[1, 4, 1]]}, "MLP node 'mlp' has no parameter 'width'", "space.mlp.width"),
    ({"learning_rate": [0.1]}, "unknown sweep name 'learning_rate'", "space.learning_rate"),
    ({"lr": []}, "an empty list of values", "space.lr"),
    ({"lr": 0.1}, "a list of values or a distribution", "space.lr"),
    ({"lr": {"log_uniform": [1e-3, 1e-1]}}, "needs a random search", "space.lr"),
    ({"lr": {"normal": [0, 1]}}, "unknown distribution 'normal'", "space.lr"),
])
def test_bad_spaces_name_the_place(space, match, port):
    with pytest.raises(dw.GraphError, match=match) as e:
        spaces.check(mlp_graph(), space)
    assert e.value.port == port


def test_bad_bounds_and_counts():
    g = mlp_graph()
    with pytest.raises(dw.GraphError, match="bad log_uniform bounds"):
        spaces.check(g, {"lr": {"log_uniform": [0, 1]}}, samples=3)
    with pytest.raises(dw.GraphError, match="bad uniform bounds"):
        spaces.check(g, {"lr": {"uniform": [1, 0]}}, samples=3)
    with pytest.raises(dw.GraphError, match="samples is the number"):
        spaces.check(g, {"lr": [0.1]}, samples=0)
    with pytest.raises(dw.GraphError, match="the grid has 160000 trials"):
        spaces.check(g, {"lr": list(range(400)), "seed": list(range(400))})


def test_sweep_refuses_bad_input_before_training(tmp_path):
    g = mlp_graph()
    with pytest.raises(dw.GraphError, match="no node 'mlq'"):
        dw.sweep(g, {"mlq.widths": [[1, 4, 1]]}, data=DATA, out=tmp_path / "r")
    with pytest.raises(dw.GraphError, match="unknown backend"):
        dw.sweep(g, {"lr": [0.1]}, data=DATA, out=tmp_path / "r", backend="slurm")
    with pytest.raises(dw.GraphError, match="needs a runs folder"):
        dw.sweep(g, {"lr": [0.1]}, data=DATA)
    two = dict(schedule=[{"optimizer": "adam", "steps": 2}, {"optimizer": "lbfgs", "steps": 2}])
    with pytest.raises(dw.GraphError, match="2 optimizer phases") as e:
        dw.sweep(g, {"lr": [0.1]}, data=DATA, out=tmp_path / "r", **two)
    assert e.value.port == "space.lr"
    assert not (tmp_path / "r").exists() or not dw.runs(tmp_path / "r")


# -- trials as kept runs ---------------------------------------------------------------------

def test_sweep_trials_are_kept_runs_and_failures_are_rows(tmp_path):
    g = mlp_graph()
    g.add("Optimizer", id="optim", kind="adam", lr=1e-2)  # the phase the lr goes to
    g.training = {"optimizer": "optim"}
    res = dw.sweep(g, {"lr": [1e-2, 5e-2], "mlp.widths": [[1, 8, 1], [3, 8, 1]]},
                   data=DATA, loss="mse", steps=15, out=tmp_path / "m.runs", workers=1)
    assert len(res.rows) == 4 and [r["trial"] for r in res.rows] == [0, 1, 2, 3]
    ok, bad = res.finished, res.failed
    assert [r["values"]["mlp.widths"] for r in ok] == [[1, 8, 1]] * 2
    assert len(bad) == 2  # widths[0] = 3 does not fit the 1-wide input
    for r in bad:
        assert r["state"] == "failed" and "mlp" in r["reason"] and math.isnan(r["loss"])
    runs = dw.runs(tmp_path / "m.runs")
    assert {r["id"] for r in runs} == {r["run"] for r in ok}
    for rec in runs:
        assert rec["tags"]["sweep"] == res.id and rec["state"] == "finished"
        assert rec["name"].startswith(f"sweep {res.id} #") and "lr=" in rec["name"]
        trial = next(r for r in ok if r["run"] == rec["id"])
        assert rec["tags"]["hyperparameters"] == trial["values"]
        assert rec["best_loss"] == pytest.approx(trial["best_loss"])
        kept = dw.load_run(rec["path"])  # the lr went into the document's Optimizer node
        assert kept.graph.nodes["optim"].params["lr"] == trial["values"]["lr"]
        assert kept.model(x=DATA["x"]).shape == (32, 1)
    # the two finished trials differ only in lr: a higher lr moves the weights further
    assert ok[0]["loss"] != ok[1]["loss"]
    assert res.best in ok and "failed: " in res.to_markdown()
    again = dw.load_sweep(res.path)
    assert again.id == res.id and [r["run"] for r in again.rows] == [r["run"] for r in res.rows]


def test_same_trial_same_numbers_as_dw_train(tmp_path):
    g = mlp_graph()
    res = dw.sweep(g, {"seed": [3]}, data=DATA, loss="mse", steps=12,
                   optimizer=("adam", {"lr": 2e-2}), out=tmp_path / "r", workers=1)
    run = dw.train(mlp_graph(), data=DATA, loss="mse", steps=12, seed=3,
                   optimizer=("adam", {"lr": 2e-2}), background=False, progress=False)
    assert res.rows[0]["loss"] == run.loss


def test_local_backend_runs_trials_in_processes(tmp_path):
    res = dw.sweep(mlp_graph(), {"seed": [0, 1]}, data=DATA, loss="mse", steps=10,
                   out=tmp_path / "r", workers=2)
    seq = dw.sweep(mlp_graph(), {"seed": [0, 1]}, data=DATA, loss="mse", steps=10,
                   out=tmp_path / "s", workers=1)
    assert [r["loss"] for r in res.rows] == [r["loss"] for r in seq.rows]
    pids = {dw.load_run(r["path"]).record["pid"] for r in res.rows}
    if threads.workers(2, 2) == 2:  # one core free: they ran in turn, here
        assert os.getpid() not in pids
        assert all(dw.load_run(r["path"]).record["threads"]["intra_op"] == 1 for r in res.rows)


def test_nan_trial_is_failed_and_the_sweep_goes_on(tmp_path):
    res = dw.sweep(mlp_graph(), {"lr": [1e-2, 1e30]}, data=DATA, loss="mse", steps=20,
                   optimizer="sgd", out=tmp_path / "r", workers=1)
    good, blown = res.rows
    assert good["state"] == "finished"
    assert blown["state"] == "failed" and blown["reason"]


# -- the figure --------------------------------------------------------------------------------

def test_parallel_coordinates_figure(tmp_path):
    res = dw.sweep(mlp_graph(), {"lr": dw.sweep.log_uniform(1e-3, 1e-1),
                                 "optimizer": ["adam", "sgd"], "mlp.widths": [[1, 4, 1], [1, 9, 1]]},
                   samples=5, search_seed=1, data=DATA, loss="mse", steps=8,
                   out=tmp_path / "r", workers=1)
    fig = res.figure()
    (trace,) = fig.data
    assert trace.type == "parcoords"
    labels = [d["label"] for d in trace.dimensions]
    assert labels[1:3] == ["optimizer", "mlp.widths"]
    assert labels[0] in ("lr", "lr (log)") and labels[-2:] == ["final loss (log)", "best loss (log)"] \
        or labels[-2:] == ["final loss", "best loss"]
    n = len(res.finished)
    assert all(len(d["values"]) == n for d in trace.dimensions)
    kinds = trace.dimensions[1]
    assert set(kinds["ticktext"]) <= {"adam", "sgd"} and list(kinds["tickvals"]) == list(range(len(kinds["ticktext"])))
    assert len(trace.line.color) == n and trace.line.showscale
    assert "Sweep" in fig.layout.title.text and fig.layout.template.layout.paper_bgcolor == "white"
