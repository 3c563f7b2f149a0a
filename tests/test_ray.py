"""A real local Ray instance on 127.0.0.1: the ablation and a sweep through backend="ray"
give the same numbers as the local backends (same seeds), and the sweep's runs land in
the runs folder. One instance for the module (starting Ray is the slow part)."""

import math

import pytest
import torch

import diffwire as dw
from diffwire import ray_session
from diffwire.ode import ablate

TINY = {"adam": 2, "lr": 0.05}
# not slow: it runs in `make test`; the timeout ends a Ray that never comes up
pytestmark = [pytest.mark.ray, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def ray_cluster():
    info = dw.connect_ray(num_cpus=2)  # a private head: loopback, 100 MB object store
    yield info
    ray_session.shutdown()


def test_local_instance_is_on_loopback(ray_cluster):
    import ray

    assert ray_cluster["local"] and ray_cluster["address"].startswith("127.0.0.1:")
    assert ray_cluster["cpus"] == 2
    nodes = [n for n in ray.nodes() if n["Alive"]]
    assert [n["NodeManagerAddress"] for n in nodes] == ["127.0.0.1"]
    assert nodes[0]["Resources"].get("object_store_memory", 0) <= 110 * 2**20


def test_ablation_on_ray_matches_inline(ray_cluster):
    kw = dict(terms=["-delta*y"], seeds=[0, 1], budget=TINY, horizons=(2,),
              problem_kwargs={"n": 8, "t_end": 0.7})
    on_ray = ablate("lotka_volterra", backend="ray", **kw)
    here = ablate("lotka_volterra", backend="inline", **kw)
    assert len(on_ray.rows) == len(here.rows) == 4 * 2
    for a, b in zip(on_ray.rows, here.rows):
        assert (a["variant"], a["seed"]) == (b["variant"], b["seed"])
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-9)
        assert a["interp_rmse"] == pytest.approx(b["interp_rmse"], rel=1e-9)
        assert a["threads"] == 1


def test_sweep_on_ray_keeps_runs_like_local(ray_cluster, tmp_path):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    h = g.add("MLP", id="mlp", widths=[1, 8, 1], activation="tanh")
    g.connect(x, h)
    g.add_output(h, name="y")
    X = torch.linspace(-2, 2, 32)[:, None]
    data = {"x": X, "y": torch.sin(X)}
    space = {"lr": [1e-2, 3e-2], "mlp.widths": [[1, 8, 1], [2, 8, 1]]}  # widths[0]=2 fails
    kw = dict(data=data, loss="mse", steps=12)
    on_ray = dw.sweep(g, space, backend="ray", out=tmp_path / "ray.runs", **kw)
    local = dw.sweep(g, space, backend="local", workers=1, out=tmp_path / "local.runs", **kw)
    assert [r["state"] for r in on_ray.rows] == ["finished", "failed", "finished", "failed"]
    for a, b in zip(on_ray.rows, local.rows):
        assert a["values"] == b["values"] and a["state"] == b["state"]
        if a["state"] == "finished":
            assert a["loss"] == b["loss"] and a["best_loss"] == b["best_loss"]
        else:
            assert "mlp" in a["reason"] and math.isnan(a["loss"])
    runs = dw.runs(tmp_path / "ray.runs")  # packed on the worker, unpacked here
    assert sorted(r["id"] for r in runs) == sorted(r["run"] for r in on_ray.finished)
    for rec in runs:
        assert rec["tags"]["sweep"] == on_ray.id and rec["state"] == "finished"
        kept = dw.load_run(rec["path"])
        assert len(kept.history) == 12 and kept.model(x=X).shape == (32, 1)
    assert on_ray.figure().data[0].type == "parcoords"
