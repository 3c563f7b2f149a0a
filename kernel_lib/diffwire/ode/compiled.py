"""A compiled fixed-step solve: the grid's RK4 (or Euler) steps as two programs of native
code, built once per structure and kept on disk.

- **forward**: every state after the first, the step applied over the grid;
- **backward**: the discrete adjoint, a reverse loop over the saved states whose body is
  the step's vector-Jacobian product (``torch.func.vjp``), returning the gradient of the
  initial state and of the field's parameters (flattened into one vector).

An ``autograd.Function`` (:class:`_Solve`) joins them, so the rest of the training step
(loss, optimizer, checks, LBFGS) is unchanged. The gradient is the exact gradient of the
discretised solve, the same numbers as backpropagating through the eager steps.

The two step functions are traced to plain aten graphs with ``make_fx`` (the vjp included).
By default (:data:`BACKEND` ``"native"``) both graphs are written out as one C program
(:mod:`diffwire.ode.cgen`: fixed shapes, views as strides, the two loops in C) and built
with the system's C compiler (:mod:`diffwire.ode.native`): about 2 s cold for the LV UDE,
whose Adam step then takes ~0.7 ms against ~30 ms eager. A field the C writer does not
cover goes to AOTInductor (:mod:`diffwire.ode.aoti`): each loop exported as a ``scan`` and
compiled with its temporaries on the stack, about 35 s cold on a 2-core machine, ~1.1 ms a
step.

Why this shape: the LV UDE's eager step costs ~40 ms of dispatch over 30 steps x 4 stages
of a 2-5-5-5-2 network. ``torch.compile`` of the scan (forward and AOTAutograd's backward
of it) ran a training step in 6-8 ms: the backward scan sliced its saved activations one
by one (480 copies a step) and every kernel was launched from Python. Here the loops and
every op stay in native code.

Programs are keyed by a hash of the traced graphs (code and constants), the shapes and
dtypes, the number of steps, torch's version and the CPU's instruction sets, and stored
under :func:`cache_dir`: a restarted kernel traces the step (well under a second) and
loads the program in milliseconds instead of compiling. The step sizes are an argument, so
another grid of the same length does not recompile.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pathlib
import subprocess
import threading
import time

import torch
from torch import nn

from . import aoti, cgen, native

log = logging.getLogger("diffwire.compile")

#: how the traced solve programs run: "native" (one C program from :mod:`diffwire.ode.cgen`,
#: AOTInductor where that cannot write the graphs), "aoti" (AOTInductor: native code,
#: cached on disk) or "eager" (the same traced graphs and scans run by torch, no code
#: generation: tests); or a callable ``(module, example_args) -> callable`` (tests give one
#: that fails)
BACKEND = "native"

#: bumped when the programs' shape changes, so old packages in the cache are not loaded
_FORMAT = "diffwire-solve-3"


# read at import: torch writes its own default (/tmp/torchinductor_<user>) into the variable
# once inductor is imported, so only a value present before that is the user's choice
_USER_CACHE = os.environ.get("TORCHINDUCTOR_CACHE_DIR")


def cache_dir() -> pathlib.Path:
    """Where compiled code is kept: ``$TORCHINDUCTOR_CACHE_DIR`` when the user set it, else
    ``$DIFFWIRE_CACHE_DIR/inductor``, else ``$XDG_CACHE_HOME/diffwire/inductor`` (by default
    ``~/.cache/diffwire/inductor``). It survives kernel restarts and reboots, unlike torch's
    default under /tmp. Sets the variable torch reads."""
    if _USER_CACHE:
        return pathlib.Path(_USER_CACHE)
    root = os.environ.get("DIFFWIRE_CACHE_DIR")
    if root:
        path = pathlib.Path(root) / "inductor"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
        path = pathlib.Path(base) / "diffwire" / "inductor"
    path.mkdir(parents=True, exist_ok=True)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(path)
    return path


def step_function(run, dy: int, method: str):
    """``step(y, dt) -> y_next`` of a field body's straight-line function `run` (returns
    the body's outputs; `dy` indexes the derivative). The same arithmetic as the runtime's
    :func:`~diffwire.runtime.solvers.rk4_step` (Kutta's 3/8 rule) with `dt` a tensor."""

    def f(y):
        return run(y)[dy]

    if method == "builtin_euler":
        def step(y, dt):
            return y + dt * f(y)
    else:
        def step(y, dt):
            k1 = f(y)
            k2 = f(y + dt * k1 / 3)
            k3 = f(y + dt * (k2 - k1 / 3))
            k4 = f(y + dt * (k1 - k2 + k3))
            return y + (k1 + 3 * (k2 + k3) + k4) * dt * 0.125
    return step


class _Stepper(nn.Module):
    """The body as a submodule and the step as forward, so ``functional_call`` can run the
    step with the parameters as tensors (a slice of one flat vector each)."""

    def __init__(self, body: nn.Module, step):
        super().__init__()
        self.body = body
        self.step = step

    def forward(self, y, dt):
        return self.step(y, dt)


class _Forward(nn.Module):
    """All states after the first: ``ys[i] = step(ys[i-1], theta, dts[i])``."""

    def __init__(self, step_graph):
        super().__init__()
        self.step_graph = step_graph

    def forward(self, y0, theta, dts):
        from torch._higher_order_ops.scan import scan

        def body(y, dt):
            y = self.step_graph(y, theta, dt)
            return y, y.clone()  # a scan may not return its carry as its output too

        return scan(body, y0, dts)[1]


class _Adjoint(nn.Module):
    """The discrete adjoint: from the states before each step (`ys_prev`) and the loss's
    gradient at the states after it (`g_after`), the gradients of y0 and of theta."""

    def __init__(self, vjp_graph):
        super().__init__()
        self.vjp_graph = vjp_graph

    def forward(self, ys_prev, g_after, theta, dts):
        from torch._higher_order_ops.scan import scan

        def body(carry, xs):
            lam, g_theta = carry
            y, g, dt = xs
            g_y, g_t = self.vjp_graph(y, lam + g, theta, dt)
            return (g_y, g_theta + g_t), g_y.clone()

        start = (torch.zeros_like(g_after[0]), torch.zeros_like(theta))
        (g_y0, g_theta), _ = scan(body, start, (ys_prev, g_after, dts), reverse=True)
        return g_y0, g_theta


class _Solve(torch.autograd.Function):
    """``[y0, y1, ..., yN]`` by the forward program; the adjoint program in backward."""

    @staticmethod
    def forward(ctx, programs, y0, dts, theta):
        ys = programs.forward(y0, theta, dts)
        ctx.programs = programs
        ctx.save_for_backward(y0, ys, dts, theta)
        return torch.cat([y0.unsqueeze(0), ys])

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        y0, ys, dts, theta = ctx.saved_tensors
        prev = torch.cat([y0.unsqueeze(0), ys[:-1]])
        g_y0, g_theta = ctx.programs.adjoint(prev, g[1:].contiguous(), theta, dts)
        return None, g_y0 + g[0], None, g_theta


class _Programs:
    __slots__ = ("forward", "adjoint", "key", "source")

    def __init__(self, forward, adjoint, key, source):
        self.forward, self.adjoint, self.key, self.source = forward, adjoint, key, source


# programs already loaded in this process, by key: a second model of the same structure
# (a copy, an ensemble member, a restarted run) shares them
_LOADED: dict[tuple, _Programs] = {}
_LOCK = threading.Lock()


def _graph_key(*graphs) -> hashlib.sha256:
    """The traced graphs' code and the values of the constants they hold."""
    h = hashlib.sha256()
    for gm in graphs:
        h.update(gm.code.encode())
        for name, value in sorted(gm.state_dict().items()):
            h.update(name.encode())
            h.update(str((value.dtype, tuple(value.shape))).encode())
            h.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy())
    return h


class CompiledStep:
    """What an ODESolve keeps when its solve is compiled: the eager step, and per input
    signature (shape, dtype, number of steps) the forward and adjoint programs."""

    def __init__(self, body: nn.Module, run, dy: int, method: str, aoti: bool = True):
        cache_dir()
        self.method = method
        self.aoti = aoti  # False: where the C writer does not apply, fail (run eager)
        self.eager = step_function(run, dy, method)
        self.stepper = _Stepper(body, self.eager)
        self.programs: dict[tuple, _Programs] = {}
        self.warm = False
        self.ready = False  # set after the first compiled call succeeded
        self._owners: list[tuple[str, nn.Module, str]] | None = None
        self._grids: dict[tuple, tuple] = {}

    def parameters(self) -> tuple[list[str], list[torch.Tensor]]:
        """(names, tensors) of the body's parameters. Walking the modules costs 0.1 ms, a
        tenth of a compiled LV step, so it is done once; each parameter is still read from
        its module on every call, so a conversion that replaces one (``.to()`` under
        torch's overwrite flag, an assignment) is seen."""
        if self._owners is None:
            body = self.stepper.body
            owners = []
            for name, _ in body.named_parameters():
                path, _, attr = name.rpartition(".")
                owners.append((f"body.{name}", body.get_submodule(path), attr))
            self._owners = owners
        return ([n for n, _, _ in self._owners],
                [m._parameters[a] for _, m, a in self._owners])

    def grid(self, times: list[float], n_sub: list[int] | None, like: torch.Tensor):
        """(step sizes, rows of the grid's points or None) of a float grid, kept per grid:
        a training run solves on the same grid every step."""
        key = (tuple(times), None if n_sub is None else tuple(n_sub), like.dtype,
               like.device)
        found = self._grids.get(key)
        if found is None:
            dts: list[float] = []
            keep = [0]
            for i in range(len(times) - 1):
                n = 1 if n_sub is None else n_sub[i]
                dts += [(times[i + 1] - times[i]) / n] * n
                keep.append(len(dts))
            idx = (None if len(keep) == len(dts) + 1
                   else torch.tensor(keep, device=like.device))
            if len(self._grids) > 64:  # grids that change every call: keep a few
                self._grids.clear()
            found = self._grids[key] = (torch.tensor(dts, dtype=like.dtype,
                                                     device=like.device), idx)
        return found

    def _trace(self, y0, theta, dt, names, shapes):
        """(step graph, vjp graph): plain aten graphs of the step and of its vjp, with the
        parameters cut from `theta`."""
        from torch.fx.experimental.proxy_tensor import make_fx

        sizes = [s.numel() for s in shapes]

        def step(y, theta, dt):
            parts = theta.split(sizes) if sizes else []
            params = {n: t.view(s) for n, t, s in zip(names, parts, shapes)}
            return torch.func.functional_call(self.stepper, params, (y, dt))

        def vjp(y, lam, theta, dt):
            _, pull = torch.func.vjp(lambda yy, tt: step(yy, tt, dt), y, theta)
            return pull(lam)

        # distinct example tensors: make_fx maps each input by identity
        step_graph = make_fx(step)(y0, theta, dt)
        vjp_graph = make_fx(vjp)(y0.clone(), y0.clone(), theta, dt)
        return step_graph, vjp_graph

    def _build(self, y0, theta, dts, names, shapes) -> _Programs:
        step_graph, vjp_graph = self._trace(y0, theta, dts[0], names, shapes)
        h = _graph_key(step_graph, vjp_graph)
        h.update(repr((_FORMAT, torch.__version__, aoti.machine(), self.method,
                       str(y0.device), y0.dtype, tuple(y0.shape), theta.dtype, theta.numel(),
                       dts.shape[0])).encode())
        key = h.hexdigest()[:32]
        memo = (key, BACKEND if isinstance(BACKEND, str) else id(BACKEND))
        with _LOCK:
            if memo in _LOADED:
                return _LOADED[memo]
            t0 = time.perf_counter()
            progs = self._native(key, step_graph, vjp_graph, y0, theta) \
                if BACKEND == "native" else None
            if progs is not None:
                log.info("compiled solve %s: %s (C) in %.1f s", key, progs.source,
                         time.perf_counter() - t0)
                _LOADED[memo] = progs
                return progs
            # the scans as modules, for torch (eager, a test's callable) or AOTInductor
            fwd_mod, adj_mod = _Forward(step_graph), _Adjoint(vjp_graph)
            n = dts.shape[0]
            fwd_args = (y0, theta, dts)
            adj_args = (y0.unsqueeze(0).expand(n, *y0.shape).contiguous(),
                        torch.zeros(n, *y0.shape, dtype=y0.dtype, device=y0.device),
                        theta, dts)
            if BACKEND == "eager":
                progs = _Programs(fwd_mod, adj_mod, key, "eager")
            elif callable(BACKEND):
                progs = _Programs(BACKEND(fwd_mod, fwd_args), BACKEND(adj_mod, adj_args),
                                  key, "custom")
            else:
                if not self.aoti:
                    raise RuntimeError("the C writer does not cover this field, and an "
                                       "AOTInductor compile (about 35 s) would not pay for "
                                       "itself in this run (compile='auto'): see the log")
                runs, source = aoti.programs(key, [("forward", fwd_mod, fwd_args),
                                                   ("adjoint", adj_mod, adj_args)],
                                             cache_dir() / "solves")
                fwd, adj = runs["forward"], runs["adjoint"]
                progs = _Programs(lambda *a: fwd(*a)[0], lambda *a: tuple(adj(*a)), key,
                                  source)
                log.info("compiled solve %s: %s in %.1f s", key, progs.source,
                         time.perf_counter() - t0)
            _LOADED[memo] = progs
            return progs

    def _native(self, key, step_graph, vjp_graph, y0, theta) -> _Programs | None:
        """The solve as one C program (:mod:`diffwire.ode.cgen`), or None with the reason
        logged when the graphs hold something it does not write or no C compiler works;
        the caller then uses AOTInductor."""
        if y0.device.type != "cpu":
            log.info("compiled solve %s: the state is on %s; using AOTInductor", key,
                     y0.device)
            return None
        try:
            code = cgen.source(step_graph, vjp_graph, y0.dtype, y0.numel(), theta.numel())
        except cgen.Unsupported as e:
            log.info("compiled solve %s: the C writer does not cover %s; using AOTInductor",
                     key, e)
            return None
        except Exception as e:  # noqa: BLE001 - a gap in the writer: the fallback still runs
            log.warning("compiled solve %s: the C writer failed (%s: %s); using AOTInductor",
                        key, type(e).__name__, e)
            return None
        path = cache_dir() / "solves" / f"{key}-native{cgen.VERSION}.so"
        try:
            lib, source = native.load(path, code, tuple(y0.shape), theta.numel(), y0.dtype)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            log.warning("compiled solve %s: %s; using AOTInductor", key, e)
            return None
        return _Programs(lib.forward, lib.adjoint, key, source)

    def __call__(self, y0, dts, idx):
        names, params = self.parameters()
        dtypes = {p.dtype for p in params}
        if dtypes - {y0.dtype}:
            raise TypeError(f"the field's parameters are {sorted(map(str, dtypes))} and the "
                            f"state {y0.dtype}: the compiled solve needs one dtype")
        theta = (torch.cat([p.reshape(-1) for p in params]) if params
                 else y0.new_zeros(0))
        sig = (tuple(y0.shape), y0.dtype, str(y0.device), dts.shape[0],
               tuple(tuple(p.shape) for p in params))
        progs = self.programs.get(sig)
        if progs is None:
            with torch.no_grad():
                progs = self._build(y0.detach(), theta.detach(), dts, names,
                                    [p.shape for p in params])
            self.programs[sig] = progs
        out = _Solve.apply(progs, y0, dts, theta)
        return out if idx is None else out.index_select(0, idx)


def solve(step: CompiledStep, y0: torch.Tensor, times: list[float],
          n_sub: list[int] | None) -> torch.Tensor:
    """Integrate with the :class:`CompiledStep` `step` over the float grid `times` (n_sub:
    substeps per interval); returns ``[len(times), *y0.shape]``."""
    dt, idx = step.grid(times, n_sub, y0)
    if not step.warm:
        # blocks that prepare something on their first call (an Expression's closures)
        # must do it outside the traced step, which may not change outside state
        with torch.no_grad():
            step.eager(y0, dt[0])
        step.warm = True
    return step(y0, dt, idx)


def compilable(module) -> str | None:
    """Why an ODESolve module's solve cannot be compiled, or None when it can."""
    if module.method not in ("builtin_rk4", "builtin_euler"):
        return (f"ODESolve method {module.method} adapts its steps to the data (torchdiffeq);"
                " only builtin_rk4 and builtin_euler compile")
    if "t" in module.field.order:
        return "the vector field reads t (only fields of y alone compile so far)"
    if not getattr(module.field.body, "static", True):
        return "the vector field has data-dependent control flow (a Loop or Conditional)"
    return None
