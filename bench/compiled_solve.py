"""The compiled solve path vs eager vs diffrax on the Lotka-Volterra UDE (2-5-5-5-2 rbf,
float64, 31 points on t in [0, 3], RK4 with dt 0.1): one Adam step (forward, loss,
backward, update) per side.

Reports, in one run:

- per-step time: diffwire eager, diffwire compiled (``compile_solve`` and fused Adam, the
  path of ``dw.train(compile=True)``: the solve's forward and adjoint as one C program,
  ``diffwire/ode/cgen.py``) and diffrax (one ``eqx.filter_jit`` over the whole Adam
  step, float64, Kutta's 3/8 RK4 as a ``diffrax.AbstractERK`` tableau); medians of
  interleaved rounds, and the medians of the per-round ratios;
- compile time: the compiled side's first step in a fresh process with an empty inductor
  cache (cold) and again in a fresh process with that cache (warm); diffrax's jit;
- time to reach loss TARGET with Adam (same start weights, same lr), compile included.

diffrax runs when jax, diffrax, equinox and optax import (``pip install 'diffwire[bench]'``);
otherwise the script says it skipped it. Run under ``flock /tmp/dw-bench.lock``.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))

TARGET = 0.01
LR = 0.01
MAX_STEPS = 3000


def torch_side(compiled: bool):
    """(step function, model, data) of diffwire's LV UDE; `compiled`: compile the solve."""
    import torch

    import diffwire as dw

    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    model = g.compile(seed=0).double()
    data = dw.ode.lotka_volterra(dtype=torch.float64)
    if compiled:
        why = model.blocks["solve"].compile_solve()
        assert why is None, why
    # as dw.train builds it (train/run.py _make_phase): a run with compiled solves updates
    # Adam in one kernel (fused), an eager run with torch's default per-tensor loop
    opt = torch.optim.Adam(model.parameters(), lr=LR, fused=compiled)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = ((model(y0=data.y0, t=data.t) - data.y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    return step, model, data


def child(kind: str) -> None:
    """In a fresh process: seconds of the first compiled step (the compile), and of an
    eager step for scale, as JSON."""
    import torch

    torch.set_num_threads(1)
    eager, _, _ = torch_side(False)
    eager()
    t0 = time.perf_counter()
    eager()
    e = time.perf_counter() - t0
    step, _, _ = torch_side(True)
    t0 = time.perf_counter()
    step()
    print(json.dumps({"kind": kind, "first_step": time.perf_counter() - t0, "eager_step": e}))


def compile_times(cache: str) -> dict:
    out = {}
    env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache, "PYTHONUNBUFFERED": "1"}
    for kind in ("cold", "warm"):
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, __file__, "--child", kind], env=env,
                           capture_output=True, text=True, timeout=1800)
        line = [x for x in r.stdout.splitlines() if x.startswith("{")]
        if not line:
            raise RuntimeError(r.stderr[-2000:])
        out[kind] = {**json.loads(line[-1]), "process": time.perf_counter() - t0}
        print(f"compile, {kind} cache: first step {out[kind]['first_step']:.1f} s (an eager "
              f"step: {out[kind]['eager_step'] * 1e3:.0f} ms); whole process "
              f"{out[kind]['process']:.1f} s", flush=True)
    return out


def diffrax_side(model, data):
    """(jitted Adam step, params, opt state) of the same model in JAX/diffrax, or None."""
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import diffrax
        import equinox as eqx
        import jax.numpy as jnp
        import numpy as np
        import optax
    except ImportError as exc:
        print(f"diffrax peer skipped: {exc} (pip install 'diffwire[bench]')", flush=True)
        return None

    class RK38(diffrax.AbstractERK):
        """Kutta's 3/8 rule, the RK4 of torchdiffeq and of diffwire's builtin_rk4."""

        tableau = diffrax.ButcherTableau(
            c=np.array([1 / 3, 2 / 3, 1.0]), b_sol=np.array([1 / 8, 3 / 8, 3 / 8, 1 / 8]),
            b_error=np.zeros(4),
            a_lower=(np.array([1 / 3]), np.array([-1 / 3, 1.0]), np.array([1.0, -1.0, 1.0])))
        interpolation_cls = diffrax.ThirdOrderHermitePolynomialInterpolation.from_k

        def order(self, terms):
            return 4

    mlp = model.blocks["solve"].field.body.blocks["U"]
    params = [(jnp.asarray(m.weight.detach().numpy()), jnp.asarray(m.bias.detach().numpy()))
              for m in mlp.modules() if type(m).__name__ == "Linear"]
    ts, y0, ys = (jnp.asarray(x.numpy()) for x in (data.t, data.y0, data.y))

    def field(t, y, p):
        h = y
        for i, (w, b) in enumerate(p):
            h = w @ h + b
            if i < len(p) - 1:
                h = jnp.exp(-(h * h))
        return jnp.stack([1.3 * y[0], -1.8 * y[1]]) + h

    def loss_fn(p):
        sol = diffrax.diffeqsolve(diffrax.ODETerm(field), RK38(), t0=ts[0], t1=ts[-1],
                                  dt0=0.1, y0=y0, args=p, saveat=diffrax.SaveAt(ts=ts),
                                  stepsize_controller=diffrax.ConstantStepSize(),
                                  max_steps=64)
        return jnp.mean((sol.ys - ys) ** 2)

    opt = optax.adam(LR)

    @eqx.filter_jit
    def step(p, state):
        loss, grads = eqx.filter_value_and_grad(loss_fn)(p)
        updates, state = opt.update(grads, state, p)
        return optax.apply_updates(p, updates), state, loss

    return step, params, opt.init(params)


def per_step(fns: dict, rounds: int = 5, inner: int = 10) -> dict:
    """Median seconds per step of each side, interleaved rounds; per-round ratios."""
    times = {k: [] for k in fns}
    for r in range(rounds):
        order = list(fns) if r % 2 == 0 else list(fns)[::-1]
        for k in order:
            t0 = time.perf_counter()
            for _ in range(inner):
                fns[k]()
            times[k].append((time.perf_counter() - t0) / inner)
    return times


def to_target(step, compile_s: float, limit: int = MAX_STEPS) -> tuple[float | None, int]:
    """(seconds to loss <= TARGET including `compile_s`, steps), or (None, steps)."""
    t0 = time.perf_counter()
    for i in range(limit):
        if step() <= TARGET:
            return time.perf_counter() - t0 + compile_s, i + 1
    return None, limit



def jax_stepper(jstep, params, state):
    """One Adam step of the diffrax peer per call, carrying its parameters; returns the loss."""
    box = {"p": params, "s": state}

    def step():
        box["p"], box["s"], loss = jstep(box["p"], box["s"])
        return float(loss)

    return step

def main() -> None:
    import torch

    torch.set_num_threads(1)
    print(f"load average {os.getloadavg()}", flush=True)
    cache = tempfile.mkdtemp(prefix="dw-inductor-")
    compile_s = compile_times(cache)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache
    eager, ref, data = torch_side(False)
    comp, _, _ = torch_side(True)
    comp()  # compile (from the warm cache)
    eager()
    fns = {"eager": eager, "compiled": comp}
    peer = diffrax_side(ref, data)
    jit_s = None
    if peer is not None:
        jax_step = jax_stepper(*peer)
        t0 = time.perf_counter()
        jax_step()
        jit_s = time.perf_counter() - t0
        print(f"diffrax: jit of the Adam step {jit_s:.1f} s", flush=True)
        fns["diffrax"] = jax_step
    times = per_step(fns)
    med = {k: statistics.median(v) for k, v in times.items()}
    line = ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in med.items())
    print(f"per Adam step (median of {len(times['eager'])} interleaved rounds): {line}")
    ratio = statistics.median(e / c for e, c in zip(times["eager"], times["compiled"]))
    print(f"compiled vs eager: {ratio:.2f}x faster (median per-round ratio)")
    if "diffrax" in times:
        r = statistics.median(c / j for c, j in zip(times["compiled"], times["diffrax"]))
        r0 = statistics.median(e / j for e, j in zip(times["eager"], times["diffrax"]))
        print(f"per step vs diffrax: compiled {r:.1f}x diffrax's time, eager {r0:.1f}x "
              "(target: compiled <= 2x)")
    print(f"load average {os.getloadavg()}", flush=True)
    if "--steps" in sys.argv:
        return
    # time to the target loss from the same start, compile included
    comp2, _, _ = torch_side(True)
    t0 = time.perf_counter()
    comp2()
    first = time.perf_counter() - t0  # a fresh compile in this process (cache warm)
    t, n = to_target(comp2, first)
    cold = compile_s["cold"]["first_step"]
    if t is None:
        print(f"diffwire compiled: loss {TARGET} not reached in {n} Adam steps (lr {LR})")
    else:
        print(f"diffwire compiled: loss {TARGET} after {n} Adam steps (lr {LR}): {t:.1f} s with "
              f"the cache ({first:.1f} s of it compiling), {t - first + cold:.1f} s with a cold "
              "compile")
    if peer is not None:
        jax_step2 = jax_stepper(*diffrax_side(torch_side(False)[1], data))  # the same start
        t0 = time.perf_counter()
        jax_step2()
        jit2 = time.perf_counter() - t0
        tj, nj = to_target(jax_step2, jit2)
        if tj is None:
            print(f"diffrax: loss {TARGET} not reached in {nj} Adam steps")
        else:
            print(f"diffrax: loss {TARGET} after {nj} Adam steps: {tj:.1f} s ({jit2:.1f} s of "
                  "it jit)")
        if t is not None and tj is not None:
            print(f"time to loss {TARGET}, compile included: diffwire {t:.1f} s (cache) / "
                  f"{t - first + cold:.1f} s (cold) vs diffrax {tj:.1f} s")
    print(f"load average {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(sys.argv[sys.argv.index("--child") + 1])
    else:
        main()
        shutil.rmtree(os.environ["TORCHINDUCTOR_CACHE_DIR"], ignore_errors=True)  # ours
