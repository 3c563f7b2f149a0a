"""The compiled solve path (``dw.train(..., compile=True)``, diffwire/ode/compiled.py):
the same numbers as the eager path in float64, gradients and Adam updates included, and
an eager fallback with a logged reason where it cannot apply."""

import logging
import os

import pytest
import torch

import diffwire as dw
from diffwire.ode import compiled


def _lv():
    data = dw.ode.lotka_volterra(dtype=torch.float64)
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    return g, data


GEN = {"source": "generator", "name": "lotka_volterra"}
DATA = {"y0": {**GEN, "key": "y0", "batch": False}, "t": {**GEN, "key": "t", "batch": False},
        "y": {**GEN, "key": "y"}}


def _adam_steps(model, data, n):
    """n Adam steps; (losses, gradients of the last step, parameters after)."""
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(n):
        opt.zero_grad()
        loss = ((model(y0=data.y0, t=data.t) - data.y) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        opt.step()
    grads = [p.grad.clone() for p in model.parameters()]
    return losses, grads, [p.detach().clone() for p in model.parameters()]


def _matches(model, g, data, steps=4):
    eager = g.compile(seed=0).double()
    a = _adam_steps(eager, data, steps)
    b = _adam_steps(model, data, steps)
    assert len(b[1]) == len(a[1]) > 0
    for x, y in zip(a[0], b[0]):
        assert abs(x - y) <= 1e-6 * max(1.0, abs(x))
    for ga, gb in zip(a[1], b[1]):
        torch.testing.assert_close(gb, ga, rtol=1e-6, atol=1e-9)
    for pa, pb in zip(a[2], b[2]):
        torch.testing.assert_close(pb, pa, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("step_size", [0.1, 0.04])  # 0.04: 3 substeps per interval
def test_compiled_solve_matches_eager_with_the_traced_graph(monkeypatch, step_size):
    # eager: the traced step and vjp graphs in their forward and adjoint scans, run by
    # torch without code generation (seconds); the AOTInductor test below is the slow one
    monkeypatch.setattr(compiled, "BACKEND", "eager")
    g, data = _lv()
    g.node("solve").params["step_size"] = step_size
    model = g.compile(seed=0).double()
    solve = model.blocks["solve"]
    assert solve.compile_solve() is None
    _matches(model, g, data)
    assert solve.compiled_step.ready and "compile_failure" not in solve.__dict__
    # the compiled solve still counts its evaluations
    assert solve.stats.nfe == 30 * 4 * (1 if step_size == 0.1 else 3)


@pytest.mark.slow
def test_compiled_solve_matches_eager_under_inductor(caplog, monkeypatch, tmp_path):
    # a cache of its own: the first model compiles, whatever ran on this machine before
    monkeypatch.setattr(compiled, "_USER_CACHE", str(tmp_path))
    monkeypatch.setattr(compiled, "_LOADED", {})
    # AOTInductor itself: the C writer (the default, tests/test_cgen.py) covers this field
    monkeypatch.setattr(compiled, "BACKEND", "aoti")
    g, data = _lv()
    model = g.compile(seed=0).double()
    assert model.blocks["solve"].compile_solve() is None
    with caplog.at_level(logging.INFO, logger="diffwire.compile"):
        _matches(model, g, data)
    step = model.blocks["solve"].compiled_step
    assert step.ready
    (progs,) = step.programs.values()
    assert progs.source == "compiled" and len(list(tmp_path.glob("solves/*.pt2"))) == 2
    # the loop's temporaries went on the stack (the fast path), not back to the heap, and
    # the adjoint compiled in a second process beside the forward
    said = [r.getMessage() for r in caplog.records]
    assert not [m for m in said if "on the heap" in m or "in this process" in m
                or "another process failed" in m], said
    # a restarted kernel (nothing loaded in the process) loads the packages from disk
    monkeypatch.setattr(compiled, "_LOADED", {})
    again = g.compile(seed=0).double()
    assert again.blocks["solve"].compile_solve() is None
    _matches(again, g, data, steps=2)
    (progs,) = again.blocks["solve"].compiled_step.programs.values()
    assert progs.source == "cache"
    # a damaged package (a disk that filled up, a copy cut short) is compiled again, not
    # left to send every later run eager
    forward = next(tmp_path.glob("solves/*-forward.pt2"))
    forward.write_bytes(forward.read_bytes()[:3000])
    monkeypatch.setattr(compiled, "_LOADED", {})
    third = g.compile(seed=0).double()
    assert third.blocks["solve"].compile_solve() is None
    with caplog.at_level(logging.WARNING, logger="diffwire.compile"):
        _matches(third, g, data, steps=2)
    (progs,) = third.blocks["solve"].compiled_step.programs.values()
    assert progs.source == "compiled" and "compile_failure" not in third.blocks["solve"].__dict__
    assert any("does not load" in r.getMessage() for r in caplog.records)


def test_the_adjoint_gives_the_initial_states_gradient_for_a_batch(monkeypatch):
    # y0 learned (an upstream node's output) and a batch of starts: the adjoint's
    # gradient of y0, and the parameters', equal backpropagation through the eager steps
    monkeypatch.setattr(compiled, "BACKEND", "eager")
    g, data = _lv()
    y0 = (data.y0 * torch.tensor([[1.0], [0.8], [1.3]], dtype=torch.float64))
    grads = []
    for compile_it in (False, True):
        model = g.compile(seed=0).double()
        if compile_it:
            assert model.blocks["solve"].compile_solve() is None
        start = y0.clone().requires_grad_(True)
        out = model(y0=start, t=data.t)
        assert out.shape == (31, 3, 2)
        ((out - data.y.unsqueeze(1)) ** 2).mean().backward()
        grads.append([start.grad] + [p.grad for p in model.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(b, a, rtol=1e-9, atol=1e-12)


def test_a_compiled_run_updates_adam_in_one_kernel(monkeypatch):
    monkeypatch.setattr(compiled, "BACKEND", "eager")
    g, _ = _lv()
    kw = dict(data=DATA, loss="mse", optimizer=("adam", {"lr": 0.05}), steps=1, out=False,
              start=False)
    assert dw.train(g, compile=True, **kw).optimizer.defaults["fused"]
    assert not dw.train(g, compile=False, **kw).optimizer.defaults["fused"]


def test_dw_train_compile_runs_the_compiled_solve_and_matches(monkeypatch):
    monkeypatch.setattr(compiled, "BACKEND", "eager")
    g, data = _lv()
    kw = dict(data=DATA, loss="mse", optimizer=("adam", {"lr": 0.05}), steps=4, out=False, background=False)
    plain = dw.train(g, compile=False, **kw)  # float32 weights: the float64 check is above
    fast = dw.train(g, compile=True, **kw)
    assert fast.state == "finished", fast.reason
    assert fast.compiled["applied"] and fast.compiled["solves"] == ["solve"]
    assert "failed" not in fast.compiled
    # the on-disk cache that outlives the kernel, not torch's default under /tmp
    assert fast.compiled["cache"] == os.environ["TORCHINDUCTOR_CACHE_DIR"]
    assert fast.compiled["cache"].endswith(os.path.join("diffwire", "inductor"))
    assert fast.model.blocks["solve"].compiled_step.ready
    assert not plain.compiled["applied"]
    for a, b in zip(plain.history, fast.history):
        assert abs(a["loss"] - b["loss"]) <= 1e-5 * max(1.0, a["loss"])
        assert a["solve/nfe"] == b["solve/nfe"] == 120
    for k, v in plain.model.state_dict().items():
        torch.testing.assert_close(fast.model.state_dict()[k], v, rtol=1e-5, atol=1e-6)
    assert any(e["type"] == "compile" and e["applied"] for e in fast.events)


def test_control_flow_falls_back_to_eager_with_a_logged_reason(caplog):
    g = dw.Graph()
    h = g.add("Input", name="h", shape=[None, 2])
    loop = g.add("Loop", id="loop", state=["h"], iterations=3)
    g.connect(h, (loop, "h"))
    g.add_output((loop, "h"), name="y")
    body = loop.body["body"]
    body.remove("h_1")
    lin = body.add("Linear", id="cell", in_features=2, out_features=2)
    body.connect("h", lin)
    body.add_output(lin, name="h")
    X = torch.randn(8, 2)
    with caplog.at_level(logging.WARNING, logger="diffwire.compile"):
        run = dw.train(g, data={"h": X, "y": X}, loss="mse", steps=2, compile=True,
                       out=False, background=False)
    assert run.state == "finished", run.reason
    assert not run.compiled["applied"]
    assert "data-dependent control flow at loop" in run.compiled["reason"]
    assert "nothing to compile" in run.compiled["reason"]
    assert any("control flow" in r.getMessage() for r in caplog.records)


def test_auto_and_false_leave_short_runs_eager():
    g, data = _lv()
    kw = dict(data=DATA, loss="mse", steps=1,
              out=False, start=False)
    auto = dw.train(g, compile="auto", **kw)
    assert not auto.compiled["applied"] and "(< 200)" in auto.compiled["reason"]
    assert "compiled_step" not in auto.model.blocks["solve"].__dict__
    with pytest.raises(dw.ParamError, match="compile"):
        dw.train(g, compile="yes", **kw)


def test_adaptive_solver_says_why_it_stays_eager():
    g, data = _lv()
    g.node("solve").params["method"] = "dopri5"
    model = g.compile(seed=0).double()
    assert "only builtin_rk4 and builtin_euler compile" in model.blocks["solve"].compile_solve()
    assert "compiled_step" not in model.blocks["solve"].__dict__


def test_compile_failure_falls_back_at_the_first_step(monkeypatch, caplog):
    def broken(gm, example_inputs):  # a compiler that fails, as an unsupported op would
        raise RuntimeError("this backend cannot compile anything")

    monkeypatch.setattr(compiled, "BACKEND", broken)
    g, data = _lv()
    with caplog.at_level(logging.WARNING, logger="diffwire.compile"):
        run = dw.train(g, data=DATA, loss="mse", steps=2, compile=True, out=False, background=False)
    assert run.state == "finished", run.reason
    assert run.compiled["failed"] and not run.compiled["applied"]
    assert "cannot compile anything" in run.compiled["failed"][0]
    assert any("compiling the solve failed" in r.getMessage() for r in caplog.records)
    assert len(run.history) == 2


def test_the_section_and_the_command_line_carry_the_option(tmp_path):
    from diffwire import cli

    g, _ = _lv()
    dw.training_config(g, data=DATA, loss="mse", optimizer=("adam", {"lr": 0.05}), steps=2,
                       compile="auto")
    assert g.training["compile"] == "auto"
    path = g.save(tmp_path / "lv.diffwire")
    assert dw.load(path).training["compile"] == "auto"
    assert cli.main(["train", str(path), "--quiet", "--compile", "auto"]) == 0
    run = dw.load_run(next((tmp_path / "lv.runs").iterdir()))
    compiled_events = [e for e in run.events if e["type"] == "compile"]
    assert compiled_events and not compiled_events[0]["applied"]
    assert "2 steps (< 200)" in compiled_events[0]["reason"]
