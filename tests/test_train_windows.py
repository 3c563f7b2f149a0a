"""Random windows of a trajectory as a run's batches (torchdiffeq's ode_demo training)."""

import pytest
import torch

import diffwire as dw
from diffwire.train.windows import WindowSampler


def spiral_graph(init_std=0.1, method="rk4"):
    return dw.ode.spiral_neural_ode(init_std=init_std, method=method)


def windows(t, traj, length=10, batch_size=20, **extra):
    spec = {"length": length, "batch_size": batch_size, "time": "t", "start": "y0", **extra}
    return {"y": {"source": "kernel", "value": traj, "window": spec},
            "t": {"source": "kernel", "value": t, "batch": False}}


def sampler(t, traj, seed=0, **kw):
    data = windows(t, traj, **kw)
    return WindowSampler({"y": traj, "t": t}, data, "y", spiral_graph(), seed, "cpu")


def test_a_window_batch_is_time_first_and_starts_where_its_targets_start():
    t = torch.linspace(0, 5, 50)
    traj = torch.stack([t, -t], -1) * 10  # state k at time index i: (10 t_i, -10 t_i)
    s = sampler(t, traj)
    b = s.batch(7)
    assert b["y0"].shape == (20, 2) and b["t"].shape == (10,) and b["y"].shape == (10, 20, 2)
    torch.testing.assert_close(b["t"], t[:10])
    torch.testing.assert_close(b["y"][0], b["y0"])  # each window starts at its y0
    starts = s.starts(7)
    assert len(set(starts.tolist())) == 20 and int(starts.max()) <= 50 - 10
    for i in range(10):
        torch.testing.assert_close(b["y"][i], traj[starts + i])
    # fresh every step, yet a function of (seed, step): a resumed run sees the same windows
    assert not torch.equal(s.starts(7), s.starts(8))
    assert torch.equal(sampler(t, traj).starts(7), starts)
    assert not torch.equal(sampler(t, traj, seed=1).starts(7), starts)
    full = s.full()
    assert full["y0"].shape == (2,) and torch.equal(full["y"], traj) and torch.equal(full["t"], t)


def test_dw_train_learns_the_spiral_from_windows():
    tr = dw.ode.spiral(n=200, t_end=5.0)
    g = spiral_graph()
    run = dw.train(g, data=windows(tr.t, tr.y, batch_size=16), loss="l1",
                   optimizer=("adam", {"lr": 0.01}), steps=40, seed=0, background=False,
                   progress=False)
    assert run.state == "finished", run.reason
    model0 = g.compile(seed=0)
    with torch.no_grad():
        before = (model0(y0=tr.y0, t=tr.t) - tr.y).abs().mean().item()
        after = (run.model(y0=tr.y0, t=tr.t) - tr.y).abs().mean().item()
    print(f"full-trajectory L1 {before:.3f} -> {after:.3f}")
    assert after < 0.85 * before
    snap = run.snapshot()  # the whole trajectory, not a window, is what the plots get
    assert snap is not None


@pytest.mark.parametrize("kw, port, match", [
    ({"length": 60}, "training.data.y.window.length", "longer than the trajectory"),
    ({"batch_size": 45}, "training.data.y.window.batch_size", "distinct windows"),
    ({"length": 1}, "training.data.y.window.length", ">= 2"),
    ({"time": "tt"}, "training.data.y.window.time", "no data binding 'tt'"),
])
def test_bad_windows_name_the_node_and_parameter(kw, port, match):
    t = torch.linspace(0, 5, 50)
    traj = torch.randn(50, 2)
    with pytest.raises(dw.GraphError, match=match) as e:
        dw.train(spiral_graph(), data=windows(t, traj, **kw), loss="l1", steps=1,
                 background=False, progress=False)
    assert e.value.node == "solve" and e.value.port == port
    assert "solve" in str(e.value) and port in str(e.value)


def test_windows_need_a_uniform_grid_and_no_other_batched_data():
    t = torch.linspace(0, 5, 50) ** 2
    with pytest.raises(dw.GraphError, match="uniform") as e:
        dw.train(spiral_graph(), data=windows(t, torch.randn(50, 2)), loss="l1", steps=1,
                 background=False, progress=False)
    assert e.value.port == "training.data.y.window.time"
    t = torch.linspace(0, 5, 50)
    data = {**windows(t, torch.randn(50, 2)), "w": torch.randn(50, 2)}
    with pytest.raises(dw.GraphError, match="fixed arrays") as e:
        dw.train(spiral_graph(), data=data, loss={"output": "y", "target": "y", "fn": "l1"},
                 steps=1, background=False, progress=False)
    assert e.value.port == "training.data.w"


def test_mlp_init_std_draws_small_normal_weights_and_exports_them(tmp_path):
    from export_util import load_source

    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    m = g.add("MLP", id="net", widths=[2, 400, 2], activation="tanh", init_std=0.1)
    g.connect(x, m)
    g.add_output(m, name="out")
    for model in (g.compile(seed=0), load_source(dw.export(g), tmp_path).Model()):
        w = dict(model.named_parameters())
        first = next(v for k, v in w.items() if k.endswith("0.weight"))
        assert abs(first.std().item() - 0.1) < 0.01
        assert all(torch.all(v == 0) for k, v in w.items() if k.endswith("bias"))
    g.node("net").params["init_std"] = 0.0  # torch's default: uniform, bound 1/sqrt(fan_in)
    first = next(v for k, v in g.compile(seed=0).named_parameters() if k.endswith("0.weight"))
    assert first.abs().max().item() > 0.5
