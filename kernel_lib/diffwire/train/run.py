"""A training run: a background thread with a state machine and a command queue.

States: ``idle -> running <-> paused -> stopped | finished | failed``. Commands (pause,
resume, stop, set, rebuild, snapshot) are queued and applied by the training thread
between two steps, so each takes effect within one step; the calling thread waits for the
acknowledgement (except from inside a callback, where it cannot).
"""

from __future__ import annotations

import pathlib
import threading
import time
import traceback
import warnings
from typing import Any

import torch

from .. import threads
from ..document import Graph
from ..errors import GraphError, ParamError
from . import checkpoint as ckpt
from . import optim
from .callbacks import Callback, Stream
from .commands import Commands
from .config import SCALARS, TrainConfig, check_inputs, phase_spec
from .data import Dataset
from .data import resolve as resolve_data
from .history import History, Summary
from .losses import LossFn
from .rebuild import rebuild_run, structure
from .record import Recorder
from .sparsify import Sparsify
from .step import NonFinite, train_step
from .step_timeout import StepTimeout, timed_step
from .store import StoreError
from .windows import WindowSampler, window_name

STATES = ("idle", "running", "paused", "stopped", "finished", "failed")
TERMINAL = ("stopped", "finished", "failed")
SETTABLE = (set(optim.DEFAULTS) - optim.REBUILD_KEYS) | {
    "eval_every", "stats_every", "checkpoint_every", "keep_checkpoints", "keep_best",
    "step_timeout"}
__all__ = ["Run", "StepTimeout", "default_device"]


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


class Run:
    """A training run of a graph. Create it with :func:`diffwire.train`.

    **Attributes:**

    - `state`: one of idle, running, paused, stopped, finished, failed; `reason` says why
      it paused, stopped or failed, `traceback` holds the failure's traceback.
    - `step`: steps completed. `history`: a sequence of dicts, one per step, with keys
      ``step`` (0-based), ``loss``, ``grad_norm``, ``lr``, ``time`` (seconds the step
      took), ``wall`` (seconds since the run started), ``phase``, plus ``val_loss`` at
      evaluation steps and ``nodes`` (per-node mean/std/shape) every `stats_every` steps.
      It supports ``len()``, indexing and slicing; a run with a folder keeps only recent
      records in memory and reads older ones back from disk. `summary`: every scalar
      series in bounded memory (see :class:`~diffwire.train.history.Summary`).
    - `events`: pauses, sets, rebuilds, phase switches, checks, checkpoints, in order.
    - `path`: the run's folder (``NAME.runs/<run id>``), once started; None without one.
      `steps_per_s`: steps per second of running time, pauses left out.
    - `grad_check`: the gradient-flow report after the first backward. `nonfinite`: where
      and when a NaN/inf appeared. `model`, `optimizer`: the live module and optimizer.

    An exception raised in a step fails the run, unless it (or an exception in its cause
    chain) has a true ``pauses_run`` attribute: then the run pauses with its message, so a
    block can report a fixable problem (a solver out of steps) without ending the run.
    """

    def __init__(self, graph: Graph, config: TrainConfig, *, device=None, callbacks=(),
                 out=None, data_root=None, stream_hz: float = 4.0, flush_every: float = 2.0):
        self.graph = graph
        self.config = config
        self.device = default_device(device)
        self.callbacks: list[Callback] = list(callbacks)
        if not any(isinstance(c, Sparsify) for c in self.callbacks):
            self.callbacks.append(Sparsify())  # prunes the nodes that ask for it (prune_below)
        self.out = pathlib.Path(out) if out is not None else None  # the runs folder
        self.rec = Recorder(self.out, flush_every=flush_every)
        self.state = "idle"
        self.reason: str | None = None
        self.traceback: str | None = None
        self.step = 0
        self._t0 = time.monotonic()
        self.grad_check: dict | None = None
        self.nonfinite: dict | None = None
        self.threads: dict | None = None  # the torch threads the run used and why
        self.last_snapshot: dict | None = None
        self.snapshot_seconds = 0.0  # what the last snapshot took (live.py spaces them by it)
        self.last_checkpoint: pathlib.Path | None = None
        self.abandoned: list[threading.Thread] = []  # steps that ran past step_timeout
        self._cmds = Commands(self)
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._foreground = False
        self._auto_paused = False
        self._stop_requested = False
        self._closed = False  # the run ended and every listener has heard so
        self._fresh = True
        self._rng: dict | None = None
        self._stream_hz = stream_hz

        check_inputs(graph, config)
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
        self.model = self._build_model(graph).to(self.device)
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
        self.rec.create(self)  # here, so a folder that cannot be made raises in the caller
        if self.rec.timing.started is None:  # `wall` goes on from a parent's last record
            last = self.history[-1:]
            self._t0 = time.monotonic() - (last[0].get("wall", 0.0) if last else 0.0)
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
        self._cmds.send("pause", wait)
        return self

    def resume(self, wait: bool = True) -> Run:
        """Continue a paused run."""
        if self.state == "paused" and not self.alive:
            return self.start(background=True)
        self._cmds.send("resume", wait)
        return self

    def stop(self, wait: bool = True) -> Run:
        """Stop after the current step (a checkpoint is written when `out` was given)."""
        self._cmds.send("stop", wait)
        if wait and self._thread is not None and self._cmds.may_block():
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
        self._cmds.send("set", wait, **values)
        return self

    def rebuild(self, graph: Graph | None = None, wait: bool = True) -> dict | None:
        """Recompile the (edited) graph, or `graph` when given.

        Every node holding weights whose block type and tensor shapes did not change keeps
        its weights and optimizer state; the others start afresh. Returns
        ``{"kept": [...], "reset": [...], "removed": [...], "step": N}`` (node ids; plus
        ``"optimizer_reset": True`` when the optimizer's kind changed). An invalid graph
        raises its errors here and the run carries on with the old model."""
        return self._cmds.send("rebuild", wait, graph=graph)

    def snapshot(self, wait: bool = True) -> dict | None:
        """Predictions of the current model on the training data: ``{"step", "outputs"}``."""
        return self._cmds.send("snapshot", wait)

    def save_checkpoint(self, path=None) -> pathlib.Path:
        """Write a checkpoint now (from the training thread when the run is live)."""
        return self._cmds.send("checkpoint", True, path=path)

    @property
    def alive(self) -> bool:
        """Whether the training thread is running."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def loss(self) -> float | None:
        """The last recorded training loss."""
        return self.rec.last.get("loss")

    @property
    def history(self) -> History:
        """One dict per step (see the class docstring); ``len()``, ``[i]``, ``[a:b]``."""
        return self.rec.history

    @property
    def summary(self) -> Summary:
        """Every scalar series, all points up to a limit, then min/mean/max buckets."""
        return self.rec.summary

    @property
    def events(self) -> list[dict]:
        return self.rec.events

    @property
    def path(self) -> pathlib.Path | None:
        """The run's folder in its store (None before the start, or without a folder)."""
        return self.rec.store.path if self.rec.store is not None else None

    @property
    def steps_per_s(self) -> float:
        """Steps per second of running time since this process started it (pauses left
        out)."""
        return self.rec.timing.rate(self.step)

    @property
    def graph_built(self) -> Graph:
        """The graph as it was when the model was last built (what the weights belong to)."""
        return self.built

    @property
    def stale(self) -> bool:
        """Whether `graph` was edited since the last build (positions and labels aside):
        the editor shows a Rebuild button while this is true."""
        return structure(self.graph) != structure(self.built)

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """``(steps, values)`` of one metric (``loss``, ``val_loss``, ``lr``...)."""
        pts = [(r["step"], r[key]) for r in self.history if key in r]
        return [p[0] for p in pts], [p[1] for p in pts]

    def __repr__(self) -> str:
        loss = f" loss={self.loss:.4g}" if self.loss is not None else ""
        why = f" ({self.reason})" if self.reason and self.state in ("paused", "failed", "stopped") else ""
        return f"<Run {self.state} step {self.step}/{self.config.steps}{loss}{why}>"

    # -- commands -------------------------------------------------------------------

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
            try:
                if self.rec.reopen(self):
                    self._event("store_recreated", path=str(self.path), lost=self.rec.lost)
            except StoreError as exc:
                self._store_failed(exc)
                return
            self._flush()  # retries a write that paused the run (space freed, folder back)

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

    def _do_rebuild(self, graph: Graph | None = None) -> dict:
        return rebuild_run(self, graph if graph is not None else self.graph)

    def _do_snapshot(self) -> dict:
        t0 = time.perf_counter()
        try:
            return self._snapshot_now()
        finally:  # what a snapshot costs the training thread (the editor spaces them by it)
            self.snapshot_seconds = time.perf_counter() - t0

    def _snapshot_now(self) -> dict:
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
        kept = path is None
        if kept:
            if not self.rec.open:
                raise GraphError("no checkpoint path and no folder for the run",
                                 hint="pass out= to dw.train, or a path here")
            self.rec.flush(self)  # the history up to here is on disk before the checkpoint
            path = self.rec.checkpoint_path(self.step)
        try:
            p = ckpt.save(path, ckpt.payload(self))
        except OSError as exc:
            raise StoreError(f"cannot write the checkpoint {path}: {exc.strerror or exc}",
                             found=f"{type(exc).__name__}: {exc}") from None
        self.last_checkpoint = p
        self._event("checkpoint", path=str(p))
        if kept:
            removed = self.rec.kept(self, p)
            if removed:
                self._event("checkpoints_pruned", steps=[c["step"] for c in removed])
        return p

    # -- the loop -------------------------------------------------------------------

    def _settled(self) -> bool:
        return ((self.state in TERMINAL and self._closed) or self.state == "idle"
                or (self.state == "paused" and (self._auto_paused or not self.alive)))

    def _main(self) -> None:
        stream = Stream(self, self.callbacks, self._stream_hz)
        self._stream = stream
        plan = threads.enter(self)  # this thread's torch threads only (see threads.py)
        self.rec.started(self.threads)
        if self.rec.timing.first_step is None:
            self.rec.timing.first_step = self.step
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
            threads.leave(plan)
            stream.close()
            if self.state in TERMINAL:
                self._emit("on_run_end")
                self._close()
            self._cmds.drain()

    def _close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _loop(self, stream: Stream) -> None:
        cfg = self.config
        while True:
            self._cmds.drain()
            if self._stop_requested:
                self._end_checkpoint()
                self._finish("stopped", "stopped by request")
                return
            if self.state == "paused":
                if self._foreground:
                    return
                stream.flush()
                self._cmds.next()
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
            out = timed_step(self, s)
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
        records = out if isinstance(out, list) else [out]  # an ensemble: one per member
        wall = time.monotonic() - self._t0
        for record in records:
            record["wall"] = wall
            for nid, module in self._reporters:
                for k, v in module.metrics().items():
                    record[f"{nid}/{k}"] = v
        val = self.dataset.validation()
        if val is not None and cfg.eval_every and (self.step % cfg.eval_every == 0
                                                   or self.step == cfg.steps):
            with torch.no_grad():
                for record, v in zip(records, self._val_losses(val)):
                    record["val_loss"] = v
                    self._emit("on_eval", {"step": s, "val_loss": v,
                                           **({"member": record["member"]}
                                              if "member" in record else {})})
        for record in records:
            self.rec.add(record)
            self._emit("on_step_end", record)
            if "nodes" in record:
                self._emit("on_node_stats", {"step": s, "stats": record["nodes"]})
        for record in self._streamed(records):
            stream.push(record)
        if self.rec.open and cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
            try:
                self._do_checkpoint()
            except StoreError as exc:
                self._store_failed(exc)
        elif self.rec.due():
            self._flush(wait=False)

    def _end_checkpoint(self) -> None:
        if self.rec.open:
            try:
                self._do_checkpoint()
            except StoreError as exc:  # the run still ends; its record says what is missing
                self._event("store_error", error=str(exc))

    def _flush(self, wait: bool = True) -> bool:
        """Write what the run has not written yet; a failure pauses the run."""
        try:
            self.rec.flush(self, wait=wait)
            return True
        except StoreError as exc:
            self._store_failed(exc)
            return False

    def _store_failed(self, exc: StoreError) -> None:
        self._event("store_error", error=str(exc))
        if self.state == "running":
            hint = f" ({exc.hint})" if exc.hint else ""
            self._pause(f"{exc.message}{hint}", auto=True, flush=False)

    # -- what an ensemble run (ensemble_run.py) does its own way -----------------------

    def _build_model(self, graph: Graph) -> torch.nn.Module:
        return graph.compile(seed=self.config.seed)

    def _train_step(self, s: int) -> dict | list[dict]:
        """Step `s`: its record (an ensemble: one record per member)."""
        return train_step(self, s)

    def _val_losses(self, val: dict) -> list[float]:
        return [self.loss_fn(self.model, val).item()]

    def _streamed(self, records: list[dict]) -> list[dict]:
        """What the live plots get of a step's records (``on_metrics``)."""
        return records

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
        blocks = getattr(self.model, "blocks", None)  # an ensemble's members report nothing
        self._reporters = [] if blocks is None else [
            (nid, m) for nid in blocks.keys() if callable(getattr(m := blocks[nid], "metrics", None))]
        # ... and name those worth plotting beside the loss (a DataflowMatrix's links)
        self.plotted = [f"{nid}/{k}" for nid, m in self._reporters for k in getattr(m, "plotted", ())]

    def _grad_checked(self, report: dict) -> None:
        self.grad_check = report
        self._event("grad_check", **report)
        if report["no_grad"] or report["detached"]:
            warnings.warn(f"gradient flow: parameters without gradient {report['no_grad']}, "
                          f"detached edges {report['detached']}", stacklevel=2)
        self._emit("on_grad_check", report)

    def load_state(self, ck: dict, path=None) -> None:
        """Restore weights, optimizer, schedule, step, history and RNG from a checkpoint
        (read from `path`: its run folder holds the history up to its step)."""
        self.model.load_state_dict(ck["model"])
        self.step = int(ck["step"])
        self._setup_phase(int(ck["phase"]))
        self.optimizer.load_state_dict(ck["optimizer"])
        if self.scheduler is not None and ck.get("scheduler"):
            self.scheduler.load_state_dict(ck["scheduler"])
        self.rec.from_parent("resume", pathlib.Path(path or "checkpoint.pt"), ck)
        self._rng = ck["rng"]
        self._fresh = False

    def _pause(self, reason: str, auto: bool, flush: bool = True) -> None:
        self.reason = reason
        self._auto_paused = auto
        self._event("pause", reason=reason)  # before the state: listeners see the event
        self._set_state("paused")
        if flush and self.rec.open:
            try:
                self.rec.flush(self)  # a pause is a natural point to be on disk
            except StoreError as exc:
                self._event("store_error", error=str(exc))
        self._emit("on_pause", reason)

    def _finish(self, state: str, reason: str | None, exc: BaseException | None = None) -> None:
        self.reason = reason
        self._set_state(state)
        try:
            self.rec.finish(self)
        except Exception as e:  # the run's own state matters more than its files
            self._event("output_error", error=f"{type(e).__name__}: {e}")

    def _set_state(self, new: str) -> None:
        old = self.state
        self.rec.timing.state(new)
        with self._cond:
            self.state = new
            self._cond.notify_all()
        if old != new:
            self._emit("on_state_change", old, new)

    def _event(self, event: str, **info) -> None:
        self.rec.events.append({"type": event, "step": self.step, **info})

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
