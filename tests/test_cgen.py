"""The compiled solve written as C (diffwire/ode/cgen.py, built by diffwire/ode/native.py):
the same states and gradients as backpropagating through the eager steps, for the fields
the library builds (every activation, known terms as Expressions, batches, float32), a
cache that survives the process and a damaged library, and AOTInductor with a logged
reason where the C writer does not apply."""

import logging
import os
import subprocess
import sys

import pytest
import torch
from torch.fx.experimental.proxy_tensor import make_fx

import diffwire as dw
from diffwire.blocks.activations import ACTIVATION_NAMES
from diffwire.ode import cgen, compiled


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """A cache folder of this test's own and nothing loaded in the process: the first
    model builds its library."""
    monkeypatch.setattr(compiled, "_USER_CACHE", str(tmp_path))
    monkeypatch.setattr(compiled, "_LOADED", {})
    monkeypatch.setattr(compiled, "BACKEND", "native")

    def no_aoti(*a):  # the C writer must cover these fields: fail fast, not in 40 s
        raise AssertionError("the solve fell back to AOTInductor")

    monkeypatch.setattr(compiled.aoti, "programs", no_aoti)
    return tmp_path


def _grads(g, y0, t, target, dtype, compile_it: bool):
    """(states, gradient of y0, gradients of the parameters) of one loss and backward."""
    model = g.compile(seed=0).to(dtype)
    if compile_it:
        assert model.blocks["solve"].compile_solve() is None
    start = y0.to(dtype).clone().requires_grad_(True)
    out = model(y0=start, t=t.to(dtype))
    ((out - target.to(dtype)) ** 2).mean().backward()
    return out.detach(), [start.grad] + [p.grad for p in model.parameters()], model


def _same_as_eager(g, y0, t, target, dtype=torch.float64, tol=1e-9):
    eager = _grads(g, y0, t, target, dtype, False)
    fast = _grads(g, y0, t, target, dtype, True)
    progs = list(fast[2].blocks["solve"].compiled_step.programs.values())
    assert [p.source for p in progs] in (["compiled"], ["cache"]), progs
    torch.testing.assert_close(fast[0], eager[0], rtol=tol, atol=tol)
    assert len(fast[1]) == len(eager[1]) > 1
    for a, b in zip(eager[1], fast[1]):
        torch.testing.assert_close(b, a, rtol=tol, atol=tol)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_every_activation_gives_eagers_states_and_gradients(cache, caplog, activation):
    data = dw.ode.lotka_volterra(dtype=torch.float64)
    # one hidden layer for exp: exp of exp overflows float64 within the first steps
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1, activation=activation,
                                  hidden=(4,) if activation == "exp" else (6, 4))
    with caplog.at_level(logging.INFO, logger="diffwire.compile"):
        # t in [0, 1]: the exp network's field leaves float64 before t = 3
        _same_as_eager(g, data.y0, data.t[:11], data.y[:11])
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "(C)" in said and "AOTInductor" not in said, said
    assert len(list(cache.glob("solves/*-native*.so"))) == 1
    assert not list(cache.glob("solves/*.pt2"))


@pytest.mark.parametrize("make, dim", [(dw.ode.pendulum_ude, 2), (dw.ode.sir_ude, 3)])
def test_known_terms_substeps_and_a_batch_of_starts(cache, make, dim):
    # Expression blocks (sin, constants, indexing), 3 substeps per interval, a batch of
    # four initial states whose gradient flows back
    g = make(method="builtin_rk4", step_size=0.05)
    gen = torch.Generator().manual_seed(0)
    y0 = torch.rand(4, dim, generator=gen, dtype=torch.float64)
    t = torch.linspace(0, 1.5, 11, dtype=torch.float64)
    target = torch.rand(11, 4, dim, generator=gen, dtype=torch.float64)
    _same_as_eager(g, y0, t, target)


def test_euler_and_float32(cache):
    data = dw.ode.lotka_volterra(dtype=torch.float64)
    g = dw.ode.lotka_volterra_ude(method="builtin_euler", step_size=0.05, activation="tanh")
    _same_as_eager(g, data.y0, data.t, data.y)
    _same_as_eager(g, data.y0, data.t, data.y, dtype=torch.float32, tol=1e-5)


def test_a_nan_start_reaches_the_runs_nan_check(cache):
    # no -ffast-math: NaN goes through the C arithmetic as through torch's, so the solve's
    # NaN check raises the same error on the compiled path
    data = dw.ode.lotka_volterra(dtype=torch.float64)
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1, activation="relu")
    y0 = data.y0.clone()
    y0[0] = float("nan")
    for compile_it in (False, True):
        with pytest.raises(dw.GraphError, match="NaN or inf"):
            _grads(g, y0, data.t, data.y, torch.float64, compile_it)
    model = _grads(g, data.y0, data.t, data.y, torch.float64, True)[2]
    (progs,) = model.blocks["solve"].compiled_step.programs.values()
    theta = torch.cat([p.detach().reshape(-1) for p in model.blocks["solve"].parameters()])
    ys = progs.forward(y0, theta, torch.full((30,), 0.1, dtype=torch.float64))
    assert torch.isnan(ys).all()  # relu(NaN) is NaN in torch, not 0


_FRESH = """
import logging, torch, diffwire as dw
logging.basicConfig(level=logging.WARNING, format="%(message)s")
d = dw.ode.lotka_volterra(dtype=torch.float64)
g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
grads = []
for compile_it in (False, True):
    m = g.compile(seed=0).double()
    if compile_it:
        assert m.blocks["solve"].compile_solve() is None
    ((m(y0=d.y0, t=d.t) - d.y) ** 2).mean().backward()
    grads.append([p.grad for p in m.parameters()])
for a, b in zip(*grads):
    torch.testing.assert_close(b, a, rtol=1e-9, atol=1e-9)
print([p.source for p in m.blocks["solve"].compiled_step.programs.values()])
"""


def test_a_new_process_loads_the_library_and_a_damaged_one_is_built_again(cache):
    # processes of their own: a library loaded in a process stays loaded under its name
    def fresh():
        env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": str(cache)}
        done = subprocess.run([sys.executable, "-c", _FRESH], capture_output=True,
                              text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip(), done.stderr

    assert fresh()[0] == "['compiled']"
    (lib,) = cache.glob("solves/*-native*.so")
    assert lib.with_suffix(".c").read_text().count("dw_adjoint") == 1  # the source is kept
    assert fresh() == ("['cache']", "")  # found, nothing compiled, nothing to say
    digest = lib.with_suffix(".sha256").read_text()
    # a library cut short (a full disk, a copy interrupted) is said, removed, built again
    damaged = lib.with_name("damaged")
    damaged.write_bytes(lib.read_bytes()[:2000])
    os.replace(damaged, lib)
    out, said = fresh()
    assert out == "['compiled']" and "does not load" in said
    assert lib.stat().st_size > 2000
    # the same code builds the same bytes: two kernels building one key at once agree
    assert lib.with_suffix(".sha256").read_text() == digest
    assert sorted(p.name for p in cache.glob("solves/*")) == sorted(
        lib.with_suffix(s).name for s in (".c", ".sha256", ".so"))  # no temporaries left


def test_an_op_the_writer_does_not_cover_is_named():
    def step(y, theta, dt):
        return y + dt * torch.cumsum(y * theta[:2], 0)

    def vjp(y, lam, theta, dt):
        _, pull = torch.func.vjp(lambda a, b: step(a, b, dt), y, theta)
        return pull(lam)

    y, theta, dt = torch.ones(2), torch.ones(3), torch.tensor(0.1)
    graphs = make_fx(step)(y, theta, dt), make_fx(vjp)(y.clone(), y.clone(), theta, dt)
    with pytest.raises(cgen.Unsupported, match="cumsum"):
        cgen.source(*graphs, torch.float32, 2, 3)


def test_without_a_c_compiler_the_solve_uses_aotinductor_and_says_why(cache, caplog,
                                                                      monkeypatch):
    # the C writer's fallback, with AOTInductor replaced by the traced scans run by torch
    # (the real AOTInductor compile is tests/test_compiled_step.py's slow test)
    monkeypatch.setenv("PATH", str(cache))
    monkeypatch.delenv("CC", raising=False)
    ran = []

    def aoti_programs(key, jobs, folder):
        ran.append(key)
        runs = {name: module for name, module, _ in jobs}
        forward = runs["forward"]
        return {"forward": lambda *a: (forward(*a),), "adjoint": runs["adjoint"]}, "compiled"

    monkeypatch.setattr(compiled.aoti, "programs", aoti_programs)
    data = dw.ode.lotka_volterra(dtype=torch.float64)
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    with caplog.at_level(logging.INFO, logger="diffwire.compile"):
        _same_as_eager(g, data.y0, data.t, data.y)
    assert ran
    assert any("no C compiler" in r.getMessage() and "AOTInductor" in r.getMessage()
               for r in caplog.records)


GEN = {"source": "generator", "name": "lotka_volterra"}
DATA = {"y0": {**GEN, "key": "y0", "batch": False}, "t": {**GEN, "key": "t", "batch": False},
        "y": {**GEN, "key": "y"}}


def test_auto_compiles_a_200_step_run_in_c_and_never_waits_for_aotinductor(cache,
                                                                          monkeypatch):
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    kw = dict(data=DATA, loss="mse", optimizer=("adam", {"lr": 0.01}), steps=200, out=False,
              background=False, compile="auto")
    run = dw.train(g, **kw)
    assert run.state == "finished", run.reason
    assert run.compiled["applied"] and not run.compiled.get("failed")
    assert run.model.blocks["solve"].compiled_step.ready
    assert len(list(cache.glob("solves/*-native*.so"))) == 1
    # a field the C writer does not cover: a run this short stays eager (and says why)
    # rather than wait ~35 s for AOTInductor (the fixture fails any call to it)
    monkeypatch.setattr(compiled, "_LOADED", {})

    def refuses(*a):
        raise cgen.Unsupported("aten.cumsum.default")

    monkeypatch.setattr(cgen, "source", refuses)
    short = dw.train(g, **kw)
    assert short.state == "finished", short.reason
    assert "would not pay for itself" in short.compiled["failed"][0]
    assert len(short.history) == 200


def test_a_field_of_big_ops_is_left_to_torchs_kernels(cache, caplog):
    # a batch of 64 through 64-wide layers: the arithmetic, not the dispatch, is the time
    # there and plain C loops would not beat torch's kernels (bench/compiled_sizes.py), so
    # the writer declines and says so (the fixture stands in for AOTInductor and fails,
    # so the solve runs eager)
    g = dw.ode.neural_ode(2, hidden=(64, 64), method="builtin_rk4", step_size=0.1)
    model = g.compile(seed=0).double()
    assert model.blocks["solve"].compile_solve() is None
    t = torch.linspace(0, 0.3, 4, dtype=torch.float64)
    with caplog.at_level(logging.INFO, logger="diffwire.compile"):
        model(y0=torch.ones(64, 2, dtype=torch.float64), t=t)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "on average (more than 12000)" in said and "using AOTInductor" in said, said
    assert "fell back to AOTInductor" in model.blocks["solve"].compile_failure


def test_the_library_refuses_inputs_of_another_size(cache):
    # the C code indexes by the traced shapes: a wrong size must be an error, not a read
    # past a buffer that takes the kernel down
    data = dw.ode.lotka_volterra(dtype=torch.float64)
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    model = _grads(g, data.y0, data.t, data.y, torch.float64, True)[2]
    (progs,) = model.blocks["solve"].compiled_step.programs.values()
    theta = torch.cat([p.detach().reshape(-1) for p in model.blocks["solve"].parameters()])
    dts = torch.full((30,), 0.1, dtype=torch.float64)
    with pytest.raises(ValueError, match="a state of 2 elements"):
        progs.forward(torch.ones(3, dtype=torch.float64), theta, dts)
    with pytest.raises(ValueError, match="theta of"):
        progs.adjoint(torch.ones(30, 2, dtype=torch.float64), torch.ones(30, 2, dtype=torch.float64),
                      theta[:-1], dts)


def _against_eager(step, y, theta, tmp_path, n=3, dt=0.1):
    """Build `step`'s C program and compare its states and adjoint with eager autograd."""
    from diffwire.ode import native

    dtt = torch.tensor(dt, dtype=y.dtype)

    def vjp(y, lam, theta, dt):
        _, pull = torch.func.vjp(lambda a, b: step(a, b, dt), y, theta)
        return pull(lam)

    code = cgen.source(make_fx(step)(y, theta, dtt), make_fx(vjp)(y.clone(), y.clone(), theta, dtt),
                       y.dtype, y.numel(), theta.numel())
    lib, _ = native.load(tmp_path / "x.so", code, tuple(y.shape), theta.numel(), y.dtype)
    dts = torch.full((n,), dt, dtype=y.dtype)
    ys = lib.forward(y, theta, dts)
    yy, tt = y.clone().requires_grad_(), theta.clone().requires_grad_()
    cur, outs = yy, []
    for i in range(n):
        cur = step(cur, tt, dts[i])
        outs.append(cur)
    eager = torch.stack(outs)
    g = torch.linspace(-1, 1, eager.numel(), dtype=y.dtype).reshape(eager.shape)
    (eager * g).sum().backward()
    g_y, g_t = lib.adjoint(torch.cat([y.unsqueeze(0), ys[:-1]]), g, theta, dts)
    for got, want in ((ys, eager.detach()), (g_y, yy.grad), (g_t, tt.grad)):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name, step", [
    # F.softplus(x): the dispatcher drops beta=1 and threshold=20 (before: IndexError)
    ("softplus defaults", lambda y, th, dt: y + dt * torch.nn.functional.softplus(y * th[:2])),
    # a negative beta and an infinite exponent (before: C that did not compile, "--1.5")
    ("softplus beta -1.5", lambda y, th, dt: y + dt * torch.nn.functional.softplus(
        y * th[:2], beta=-1.5)),
    ("pow inf", lambda y, th, dt: y + dt * (th[:2] * y.abs()) ** float("inf")),
])
def test_scalars_and_dropped_defaults(tmp_path, name, step):
    y = torch.tensor([0.3, -0.5], dtype=torch.float64)
    theta = torch.tensor([0.8, 1.2, 3.0], dtype=torch.float64)
    _against_eager(step, y, theta, tmp_path)


def test_an_in_place_write_through_an_alias_is_refused():
    # detach shares memory with its input in torch: writing into it changes `z`, which a
    # copy would not (before: forward off by 0.2)
    def step(y, theta, dt):
        z = y * theta[:2]
        z.detach().mul_(3.0)
        return y + dt * z

    def vjp(y, lam, theta, dt):
        _, pull = torch.func.vjp(lambda a, b: step(a, b, dt), y, theta)
        return pull(lam)

    y, theta, dt = torch.tensor([0.3, -0.5]), torch.ones(3), torch.tensor(0.1)
    with pytest.raises(cgen.Unsupported, match="read elsewhere"):
        cgen.source(make_fx(step)(y, theta, dt), make_fx(vjp)(y.clone(), y.clone(), theta, dt),
                    torch.float32, 2, 3)
