"""A training run: a background thread with a state machine and a command queue.

States: ``idle -> running <-> paused -> stopped | finished | failed``. Commands (pause,
resume, stop, set, rebuild, snapshot) are queued and applied by the training thread
between two steps, so each takes effect within one step; the calling thread waits for the
acknowledgement (except from inside a callback, where it cannot).
"""

from __future__ import annotations

import math
import pathlib
import queue
import threading
import traceback
import warnings
from typing import Any

import torch

from ..compile import RUNNING
from ..document import Graph
from ..errors import GraphError, GraphErrors, ParamError, RuntimeGraphError
from . import checkpoint as ckpt
from . import optim, outputs
from .callbacks import Callback, Stream
from .config import SCALARS, TrainConfig, phase_spec
from .data import Dataset
from .data import resolve as resolve_data
from .losses import LossFn, normalize_loss
from .rebuild import transfer, transfer_optimizer
from .step import NonFinite, train_step
from .windows import WindowSampler, provided, window_name

STATES = ("idle", "running", "paused", "stopped", "finished", "failed")
TERMINAL = ("stopped", "finished", "failed")
SETTABLE = (set(optim.DEFAULTS) - optim.REBUILD_KEYS) | {"eval_every", "stats_every",
                                                          "checkpoint_every", "step_timeout"}


def default_device(device=None) -> torch.device:
    """`device` when given, else CUDA when available, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ParamError(f"not a device: {exc}", port="device", expected="cpu, cuda, cuda:N",
                         found=repr(device)) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ParamError("CUDA is not available on this machine", port="device",
                         expected="cpu", found=str(dev))
    return dev


class StepTimeout(RuntimeGraphError):
    """A step ran past the run's ``step_timeout``; `node` is where it was stuck, if known."""

    code = "step_timeout"


class _Command:
    def __init__(self, name: str, kwargs: dict):
        self.name, self.kwargs = name, kwargs
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class Run:
    """A training run of a graph. Create it with :func:`diffwire.train`.

    **Attributes:**

    - `state`: one of idle, running, paused, stopped, finished, failed; `reason` says why
      it paused, stopped or failed, `traceback` holds the failure's traceback.
    - `step`: steps completed. `history`: a list of dicts, one per step, with keys
      ``step`` (0-based), ``loss``, ``grad_norm``, ``lr``, ``time`` (seconds), ``phase``,
      plus ``val_loss`` at evaluation steps and ``nodes`` (per-node mean/std/shape) every
      `stats_every` steps.
    - `events`: pauses, sets, rebuilds, phase switches, checks, checkpoints, in order.
    - `grad_check`: the gradient-flow report after the first backward. `nonfinite`: where
      and when a NaN/inf appeared. `model`, `optimizer`: the live module and optimizer.

    An exception raised in a step fails the run, unless it (or an exception in its cause
    chain) has a true ``pauses_run`` attribute: then the run pauses with its message, so a
    block can report a fixable problem (a solver out of steps) without ending the run.
    """

    def __init__(self, graph: Graph, config: TrainConfig, *, device=None, callbacks=(),
                 out=None, data_root=None, stream_hz: float = 4.0):
        self.graph = graph
        self.config = config
        self.device = default_device(device)
        self.callbacks: list[Callback] = list(callbacks)
        self.out = pathlib.Path(out) if out is not None else None
        self.state = "idle"
        self.reason: str | None = None
        self.traceback: str | None = None
        self.step = 0
        self.history: list[dict] = []
        self.events: list[dict] = []
        self.grad_check: dict | None = None
        self.nonfinite: dict | None = None
        self.last_snapshot: dict | None = None
        self.last_checkpoint: pathlib.Path | None = None
        self.abandoned: list[threading.Thread] = []  # steps that ran past step_timeout
        self._cmds: queue.Queue = queue.Queue()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._foreground = False
        self._auto_paused = False
        self._stop_requested = False
        self._closed = False  # the run ended and every listener has heard so
        self._fresh = True
        self._rng: dict | None = None
        self._stream_hz = stream_hz

        _check_inputs(graph, config)
        tensors = resolve_data(config.bindings, data_root)
        for n in graph.inputs():  # a float Input gets data of its dtype (integer data too)
            t = tensors.get(n.params["name"])
            want = {"float32": torch.float32, "float64": torch.float64}.get(
                n.params.get("dtype", "float32"))
            if t is None or want is None or t.is_complex():
                continue
            if n.params.get("dtype") == "float64" and t.is_floating_point():
                tensors[n.params["name"]] = t.double()
            elif not t.is_floating_point():
                tensors[n.params["name"]] = t.to(want)
        whole = {k for k, b in config.bindings.items() if b.get("batch") is False}
        windowed = window_name(config.bindings)
        self.dataset = (Dataset(tensors, whole, config.batch_size, config.val_split, config.seed,
                                self.device) if windowed is None else
                        WindowSampler(tensors, config.bindings, windowed, graph, config.seed,
                                      self.device, config.val_split))
        self.model = graph.compile(seed=config.seed).to(self.device)
        self._set_built(graph)
        self.loss_fn = LossFn(config.loss, graph)
        self.phase = -1
        self.optimizer = None
        self.scheduler = None
        self.spec: dict = {}
        self._setup_phase(config.phase_index(0))

    # -- public control -------------------------------------------------------------

    def start(self, background: bool = True) -> Run:
        """Start (or continue) training; in a background thread unless `background` is False,
        in which case it returns when the run ends or pauses itself."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop_requested = False
        self._auto_paused = False
        self._closed = False
        if background:
            self._foreground = False
            self._set_state("running")  # before the thread exists, so wait() cannot race it
            self._thread = threading.Thread(target=self._main, name="diffwire-train", daemon=True)
            self._thread.start()
        else:
            self._foreground = True
            self._main()
        return self

    def wait(self, timeout: float | None = None) -> Run:
        """Block until the run ends (stopped, finished, failed) or pauses on its own (a
        non-finite value). Returns the run."""
        with self._cond:
            self._cond.wait_for(self._settled, timeout)
        return self

    def pause(self, wait: bool = True) -> Run:
        """Pause after the current step."""
        self._command("pause", wait)
        return self

    def resume(self, wait: bool = True) -> Run:
        """Continue a paused run."""
        if self.state == "paused" and not self.alive:
            return self.start(background=True)
        self._command("resume", wait)
        return self

    def stop(self, wait: bool = True) -> Run:
        """Stop after the current step (a checkpoint is written when `out` was given)."""
        self._command("stop", wait)
        if wait and self._thread is not None and self._may_block():
            self._thread.join(timeout=30)
        return self

    def set(self, wait: bool = True, **values: Any) -> Run:
        """Change hyperparameters live: any optimizer option (lr, momentum, nesterov, betas,
        weight_decay, grad_clip, the schedule's gamma/step_size/t_max/eta_min, LBFGS
        max_iter/history_size) and eval_every, stats_every, checkpoint_every. The phase's
        Optimizer node is updated too, so the document shows the values in use. Changing
        the optimizer's kind, schedule or node list means editing the node and rebuilding."""
        bad = set(values) - SETTABLE
        if set(values) & optim.REBUILD_KEYS:
            raise ParamError(f"{sorted(set(values) & optim.REBUILD_KEYS)} need a new optimizer",
                             hint="edit the Optimizer node's params, then run.rebuild()")
        if bad:
            raise ParamError(f"cannot set {sorted(bad)} on a run", expected=sorted(SETTABLE),
                             found=sorted(bad))
        self._command("set", wait, **values)
        return self

    def rebuild(self, graph: Graph | None = None, wait: bool = True) -> dict | None:
        """Recompile the (edited) graph, or `graph` when given.

        Every node holding weights whose block type and tensor shapes did not change keeps
        its weights and optimizer state; the others start afresh. Returns
        ``{"kept": [...], "reset": [...], "removed": [...], "step": N}`` (node ids; plus
        ``"optimizer_reset": True`` when the optimizer's kind changed). An invalid graph
        raises its errors here and the run carries on with the old model."""
        return self._command("rebuild", wait, graph=graph)

    def snapshot(self, wait: bool = True) -> dict | None:
        """Predictions of the current model on the training data: ``{"step", "outputs"}``."""
        return self._command("snapshot", wait)

    def save_checkpoint(self, path=None) -> pathlib.Path:
        """Write a checkpoint now (from the training thread when the run is live)."""
        return self._command("checkpoint", True, path=path)

    @property
    def alive(self) -> bool:
        """Whether the training thread is running."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def loss(self) -> float | None:
        """The last recorded training loss."""
        return self.history[-1]["loss"] if self.history else None

    @property
    def graph_built(self) -> Graph:
        """The graph as it was when the model was last built (what the weights belong to)."""
        return self.built

    @property
    def stale(self) -> bool:
        """Whether `graph` was edited since the last build (positions and labels aside):
        the editor shows a Rebuild button while this is true."""
        return _structure(self.graph) != _structure(self.built)

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """``(steps, values)`` of one metric (``loss``, ``val_loss``, ``lr``...)."""
        pts = [(r["step"], r[key]) for r in self.history if key in r]
        return [p[0] for p in pts], [p[1] for p in pts]

    def __repr__(self) -> str:
        loss = f" loss={self.loss:.4g}" if self.loss is not None else ""
        why = f" ({self.reason})" if self.reason and self.state in ("paused", "failed", "stopped") else ""
        return f"<Run {self.state} step {self.step}/{self.config.steps}{loss}{why}>"

    # -- commands -------------------------------------------------------------------

    def _command(self, name: str, wait: bool, **kwargs):
        cmd = _Command(name, kwargs)
        in_loop = threading.current_thread() is self._thread
        wait = wait and self._may_block()
        if not self.alive or in_loop:
            self._handle(cmd)
        else:
            self._cmds.put(cmd)
            if not wait:
                return None
            while not cmd.done.wait(0.05):
                if not self.alive:  # the thread ended before taking it
                    self._drain()
        if cmd.error is not None:
            raise cmd.error
        return cmd.result

    def _may_block(self) -> bool:
        """False in the run's own threads: the training thread cannot wait for itself, and
        it may be waiting for the stream thread's delivery to finish."""
        here = threading.current_thread()
        stream = getattr(self, "_stream", None)
        return here is not self._thread and (stream is None or here is not stream.thread)

    def _drain(self) -> None:
        while True:
            try:
                cmd = self._cmds.get_nowait()
            except queue.Empty:
                return
            self._handle(cmd)

    def _handle(self, cmd: _Command) -> None:
        try:
            cmd.result = getattr(self, f"_do_{cmd.name}")(**cmd.kwargs)
        except BaseException as exc:  # handed back to the caller (and logged: it may not wait)
            cmd.error = exc
            self._event("command_error", command=cmd.name, error=f"{type(exc).__name__}: {exc}")
        finally:
            cmd.done.set()

    def _do_pause(self, reason: str = "paused by request") -> None:
        if self.state == "running":
            self._pause(reason, auto=False)

    def _do_resume(self) -> None:
        if self.state == "paused":
            self._auto_paused = False
            self.reason = None
            self._set_state("running")
            self._event("resume")
            self._emit("on_resume")

    def _do_stop(self) -> None:
        self._stop_requested = True
        if not self.alive and self.state in ("idle", "paused"):
            self._finish("stopped", "stopped by request")
            self._emit("on_run_end")
            self._close()

    def _do_set(self, **values) -> None:
        for k, v in values.items():
            if k in SCALARS:
                setattr(self.config, k, v)
                continue
            self.spec[k] = v
            if (k in optim.LIVE_KEYS or k in optim.SCHEDULE_KEYS) and self.optimizer is not None:
                optim.apply_live(self.optimizer, self.scheduler, k, v)
            node = self.config.phases[self.phase].node
            for g in (self.graph, self.built):
                if node is not None and node in g.nodes:
                    g.nodes[node].params[k] = list(v) if isinstance(v, tuple) else v
            if node is None:
                self.config.phases[self.phase].spec[k] = v
        self._event("set", **values)

    def _do_snapshot(self) -> dict:
        with torch.no_grad():
            batch = self.dataset.full()
            outs = self.model.run(*[batch[k] for k in self.model.input_names])
        snap = {"step": self.step,
                "outputs": {n: o.detach().cpu() for n, o in zip(self.model.output_names, outs)
                            if isinstance(o, torch.Tensor)}}
        self.last_snapshot = snap
        self._emit("on_snapshot", snap)
        return snap

    def _do_checkpoint(self, path=None) -> pathlib.Path:
        if path is None:
            if self.out is None:
                raise GraphError("no checkpoint path and no out= folder for the run")
            path = self.out / "checkpoints" / f"step_{self.step:07d}.pt"
        p = ckpt.save(path, self._payload())
        self.last_checkpoint = p
        self._event("checkpoint", path=str(p))
        return p

    def _do_rebuild(self, graph: Graph | None = None) -> dict:
        g = graph if graph is not None else self.graph
        errors = [e for e in g.validate() if e.severity == "error"]
        if errors:
            raise errors[0] if len(errors) == 1 else GraphErrors(errors)
        _check_inputs(g, self.config)
        self.config.loss = normalize_loss(g, self.config.loss, self.config.bindings)
        for i, ph in enumerate(self.config.phases):
            if ph.node is not None and ph.node not in g.nodes:
                raise GraphError(f"the schedule's optimizer node '{ph.node}' is gone",
                                 node=ph.node, port=f"training.schedule.{i}")
        new = g.compile(seed=self.config.seed + self.step + 1).to(self.device)
        report = transfer(self._types, self.model, g, new)
        pairs = report.pop("pairs")
        spec, opt, sched = self._make_phase(self.phase, g, new)  # may raise: nothing changed yet
        old_opt, old_sched, old_spec = self.optimizer, self.scheduler, dict(self.spec)
        self.model, self.graph = new, g
        self._set_built(g)
        self.loss_fn = LossFn(self.config.loss, g)
        self.spec, self.optimizer, self.scheduler = spec, opt, sched
        if self.spec["kind"] == old_spec.get("kind"):
            transfer_optimizer(old_opt, self.optimizer, pairs)
            for group, og in zip(self.optimizer.param_groups, old_opt.param_groups):
                for k in optim.LIVE_KEYS:
                    if k in group and _same(self.spec.get(k), old_spec.get(k)):
                        group[k] = og[k]
            if self.scheduler is not None and type(old_sched) is type(self.scheduler):
                self.scheduler.load_state_dict(old_sched.state_dict())
        else:
            report["optimizer_reset"] = True
        self.grad_check = None  # check the gradient flow of the new wiring
        report["step"] = self.step
        self._event("rebuild", **report)
        self._emit("on_rebuild", report)
        return report

    # -- the loop -------------------------------------------------------------------

    def _settled(self) -> bool:
        return ((self.state in TERMINAL and self._closed) or self.state == "idle"
                or (self.state == "paused" and (self._auto_paused or not self.alive)))

    def _main(self) -> None:
        stream = Stream(self, self.callbacks, self._stream_hz)
        self._stream = stream
        try:
            if self._fresh:
                torch.manual_seed(self.config.seed)
                self._fresh = False
            if self._rng is not None:
                ckpt.set_rng_state(self._rng)
                self._rng = None
            self._set_state("running")
            stream.start()
            self._emit("on_run_start")
            self._loop(stream)
        except KeyboardInterrupt:
            self._finish("stopped", "interrupted")
        except BaseException as exc:  # any failure becomes a state, never a silent dead thread
            self.traceback = traceback.format_exc()
            self._finish("failed", f"{type(exc).__name__}: {exc}", exc=exc)
        finally:
            stream.close()
            if self.state in TERMINAL:
                self._emit("on_run_end")
                self._close()
            self._drain()

    def _close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _loop(self, stream: Stream) -> None:
        cfg = self.config
        while True:
            self._drain()
            if self._stop_requested:
                self._end_checkpoint()
                self._finish("stopped", "stopped by request")
                return
            if self.state == "paused":
                if self._foreground:
                    return
                stream.flush()
                self._handle(self._cmds.get())
                continue
            if self.step >= cfg.steps:
                self._end_checkpoint()
                self._finish("finished", None)
                return
            self._one_step(stream)

    def _one_step(self, stream: Stream) -> None:
        s, cfg = self.step, self.config
        i = cfg.phase_index(s)
        if i != self.phase:
            self._setup_phase(i)
            self._event("phase", phase=i, kind=self.spec["kind"])
        try:
            record = self._timed_step(s)
        except NonFinite as nf:
            self.nonfinite = {"step": s, "what": nf.what, "value": nf.value, "node": nf.node}
            where = f": first non-finite output at node '{nf.node}'" if nf.node else ""
            if nf.what == "gradient" and nf.node:
                where = f": gradient of node '{nf.node}'"
            self._event("nonfinite", **self.nonfinite)
            self._pause(f"non-finite {nf.what} ({nf.value}) at step {s}{where}", auto=True)
            return
        except Exception as exc:
            cause = _pausing(exc)
            if cause is None:
                raise
            # A block said this is worth fixing, not fatal (a solver out of steps): pause.
            node = getattr(exc, "node", None) or getattr(cause, "node", None)
            self._event("step_error", node=node, error=f"{type(cause).__name__}: {cause}")
            self._pause(f"step {s} stopped at node '{node}': {cause}" if node
                        else f"step {s}: {cause}", auto=True)
            return
        self.step = s + 1
        for nid, module in self._reporters:
            for k, v in module.metrics().items():
                record[f"{nid}/{k}"] = v
        val = self.dataset.validation()
        if val is not None and cfg.eval_every and (self.step % cfg.eval_every == 0
                                                   or self.step == cfg.steps):
            with torch.no_grad():
                record["val_loss"] = self.loss_fn(self.model, val).item()
            self._emit("on_eval", {"step": s, "val_loss": record["val_loss"]})
        self.history.append(record)
        stream.push(record)
        self._emit("on_step_end", record)
        if "nodes" in record:
            self._emit("on_node_stats", {"step": s, "stats": record["nodes"]})
        if self.out is not None and cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
            self._do_checkpoint()

    def _timed_step(self, s: int) -> dict:
        """`train_step` under the run's ``step_timeout``. Python cannot kill a thread, so a
        step that runs past the limit is left to itself in a daemon thread (it may still
        finish and touch the model later) and the run fails, naming the node it was in."""
        limit = self.config.step_timeout
        if not limit:
            return train_step(self, s)
        box: dict[str, Any] = {}

        def work():
            RUNNING.pop(threading.get_ident(), None)  # idents are reused: no stale node
            try:
                box["record"] = train_step(self, s)
            except BaseException as exc:  # handed to the training thread below
                box["error"] = exc

        t = threading.Thread(target=work, name=f"diffwire-step-{s}", daemon=True)
        t.start()
        t.join(limit)
        if t.is_alive():
            node = RUNNING.get(t.ident)
            self.abandoned.append(t)
            self._event("step_timeout", node=node, limit=limit, thread=t.name)
            where = "" if node else " (after the forward pass: loss, backward or update)"
            raise StepTimeout(f"step {s} ran past the step_timeout of {limit} s{where}; its "
                              "thread is abandoned", node=node, expected=f"<= {limit} s")
        if "error" in box:
            raise box["error"]
        return box["record"]

    def _end_checkpoint(self) -> None:
        if self.out is not None:
            self._do_checkpoint()

    # -- helpers --------------------------------------------------------------------

    def _setup_phase(self, i: int) -> None:
        self.spec, self.optimizer, self.scheduler = self._make_phase(i, self.graph, self.model)
        self.phase = i

    def _make_phase(self, i: int, graph: Graph, model: torch.nn.Module) -> tuple:
        """(spec, optimizer, scheduler) of phase `i` over `model`'s parameters."""
        ph = self.config.phases[i]
        if ph.node is not None:
            spec, _ = phase_spec(graph, ph.node)
        else:
            spec = optim.normalize(ph.spec)
        params = optim.select_params(model, spec["nodes"])
        if not params:
            raise GraphError("nothing to train: the graph has no learnable parameters"
                             + (f" in nodes {spec['nodes']}" if spec["nodes"] else ""),
                             node=ph.node, port="nodes" if spec["nodes"] else None)
        opt = optim.make_optimizer(spec, params)
        return spec, opt, optim.make_scheduler(spec, opt, self.config.phase_length(i))

    def _set_built(self, g: Graph) -> None:
        self.built = g.copy()
        self.built.training = self.config.to_section()
        self._types = {nid: n.type for nid, n in g.nodes.items()}
        # Blocks may report their own numbers (an ODE solve: function evaluations) through
        # a `metrics() -> dict` method on their module; they join each step's record.
        self._reporters = [(nid, m) for nid in self.model.blocks.keys()
                           if callable(getattr(m := self.model.blocks[nid], "metrics", None))]

    def _grad_checked(self, report: dict) -> None:
        self.grad_check = report
        self._event("grad_check", **report)
        if report["no_grad"] or report["detached"]:
            warnings.warn(f"gradient flow: parameters without gradient {report['no_grad']}, "
                          f"detached edges {report['detached']}", stacklevel=2)
        self._emit("on_grad_check", report)

    def _payload(self) -> dict:
        return {
            "step": self.step,
            "phase": self.phase,
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else {},
            "document": self.built.to_json(),
            "rng": ckpt.rng_state(),
            "history": [{k: v for k, v in r.items() if k != "nodes"} for r in self.history],
        }

    def load_state(self, ck: dict) -> None:
        """Restore weights, optimizer, schedule, step, history and RNG from a checkpoint."""
        self.model.load_state_dict(ck["model"])
        self.step = int(ck["step"])
        self._setup_phase(int(ck["phase"]))
        self.optimizer.load_state_dict(ck["optimizer"])
        if self.scheduler is not None and ck.get("scheduler"):
            self.scheduler.load_state_dict(ck["scheduler"])
        self.history = [dict(r) for r in ck.get("history", [])]
        self._rng = ck["rng"]
        self._fresh = False

    def _pause(self, reason: str, auto: bool) -> None:
        self.reason = reason
        self._auto_paused = auto
        self._set_state("paused")
        self._event("pause", reason=reason)
        self._emit("on_pause", reason)

    def _finish(self, state: str, reason: str | None, exc: BaseException | None = None) -> None:
        self.reason = reason
        self._set_state(state)
        if self.out is not None:
            try:
                outputs.write(self, self.out)
            except Exception as e:  # the run's own state matters more than its files
                self._event("output_error", error=f"{type(e).__name__}: {e}")

    def _set_state(self, new: str) -> None:
        old = self.state
        with self._cond:
            self.state = new
            self._cond.notify_all()
        if old != new:
            self._emit("on_state_change", old, new)

    def _event(self, event: str, **info) -> None:
        self.events.append({"type": event, "step": self.step, **info})

    def _emit(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            try:
                getattr(cb, hook)(self, *args)
            except Exception as exc:  # a broken listener must not kill the run
                self._event("callback_error", hook=hook, error=f"{type(exc).__name__}: {exc}")


def _pausing(exc: BaseException | None) -> BaseException | None:
    """The exception in `exc`'s cause chain that asks to pause the run (``pauses_run``)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if getattr(exc, "pauses_run", False):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def _check_inputs(graph: Graph, config: TrainConfig) -> None:
    for n in graph.inputs():
        name = n.params["name"]
        if name not in config.bindings and name not in provided(config.bindings):
            raise GraphError(f"the graph input '{name}' has no data", node=n.id,
                             port=f"training.data.{name}", expected=f"a binding for '{name}'",
                             found=sorted(config.bindings))



def _structure(g: Graph) -> tuple:
    nodes = []
    for n in g.nodes.values():
        body = {k: _structure(b) for k, b in n.body.items()}
        nodes.append((n.id, n.type, repr(sorted(n.params.items())), repr(sorted(body.items()))))
    return tuple(nodes), tuple(sorted((e.source, e.source_port, e.target, e.target_port)
                                      for e in g.edges))
