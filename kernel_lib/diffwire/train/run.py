"""A training run: the public :class:`Run` and its state machine.

States: ``idle -> running <-> paused -> stopped | finished | failed``. The training thread
(:mod:`.loop`) moves a run between them; commands (pause, resume, stop, set, rebuild,
snapshot, checkpoint: :mod:`.commands`) are queued and applied by that thread between two
steps, so each takes effect within one step; the calling thread waits for the
acknowledgement (except from inside a callback, where it cannot).
"""

from __future__ import annotations

import pathlib
import threading
import time
import warnings
from typing import Any

import torch

from ..document import Graph
from ..errors import GraphError
from . import compiled, loop, optim
from .callbacks import STREAM_HZ, Callback
from .commands import HANDLERS, Commands, check_settable
from .config import TrainConfig, check_inputs
from .data import run_data
from .device import default_device
from .history import History, Summary
from .losses import LossFn
from .rebuild import structure
from .record import FLUSH_EVERY, Recorder
from .sparsify import Sparsify
from .step import train_step
from .step_timeout import StepTimeout
from .store import StoreError

STATES = ("idle", "running", "paused", "stopped", "finished", "failed")
TERMINAL = ("stopped", "finished", "failed")
__all__ = ["Run", "StepTimeout", "default_device"]


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

    #: what each command does (a run of another kind may replace one: an ensemble's rebuild)
    handlers = HANDLERS

    def __init__(self, graph: Graph, config: TrainConfig, *, device=None, callbacks=(),
                 out=None, data_root=None, stream_hz: float = STREAM_HZ,
                 flush_every: float = FLUSH_EVERY):
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
        self.compiled: dict | None = None  # what of the model is compiled, or why not
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
        self.dataset = run_data(graph, config, data_root, self.device)
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
            self._thread = threading.Thread(target=loop.main, args=(self,),
                                            name="diffwire-train", daemon=True)
            self._thread.start()
        else:
            self._foreground = True
            loop.main(self)
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
        check_settable(values)
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
    def ended(self) -> bool:
        """Whether the run stopped, finished or failed."""
        return self.state in TERMINAL

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
        return self.history.series(key)

    def __repr__(self) -> str:
        loss = f" loss={self.loss:.4g}" if self.loss is not None else ""
        why = f" ({self.reason})" if self.reason and self.state in ("paused", "failed", "stopped") else ""
        return f"<Run {self.state} step {self.step}/{self.config.steps}{loss}{why}>"

    # -- the state machine (driven by the loop and the commands) ------------------------

    def _settled(self) -> bool:
        return ((self.state in TERMINAL and self._closed) or self.state == "idle"
                or (self.state == "paused" and (self._auto_paused or not self.alive)))

    def _close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

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

    def _compile_model(self) -> dict:
        """Compile what of the model compiles (the ``compile`` option, compiled.py)."""
        return compiled.apply(self.model, self.config.compile, self.config.steps)

    def _compile_checked(self) -> None:
        """After the first step (the compile): a solve whose compile failed runs eager."""
        failed = compiled.failures(self.model)
        self.compiled["checked"] = True
        if failed:
            self.compiled["failed"] = failed
            self.compiled["applied"] = len(failed) < len(self.compiled["solves"])
            self._event("compile_failed", failed=failed)

    def _train_step(self, s: int) -> dict | list[dict]:
        """Step `s`: its record (an ensemble: one record per member)."""
        return train_step(self, s)

    def _val_losses(self, val: dict) -> list[float]:
        return [self.loss_fn(self.model, val).item()]

    def _streamed(self, records: list[dict]) -> list[dict]:
        """What the live plots get of a step's records (``on_metrics``)."""
        return records

    def _make_phase(self, i: int, graph: Graph, model: torch.nn.Module) -> tuple:
        """(spec, optimizer, scheduler) of phase `i` over `model`'s parameters."""
        spec = self.config.optimizer_spec(i, graph)
        params = optim.select_params(model, spec["nodes"])
        if not params:
            node = self.config.phases[i].node
            raise GraphError("nothing to train: the graph has no learnable parameters"
                             + (f" in nodes {spec['nodes']}" if spec["nodes"] else ""),
                             node=node, port="nodes" if spec["nodes"] else None)
        # a run with compiled solves takes ~1 ms a step, of which torch's per-tensor Adam
        # took a fifth: it updates in one kernel
        opt = optim.make_optimizer(spec, params,
                                   fused=bool(getattr(self, "compiled", {}).get("applied")))
        return spec, opt, optim.make_scheduler(spec, opt, self.config.phase_length(i))

    # -- building, phases, restoring ------------------------------------------------------

    def _setup_phase(self, i: int) -> None:
        self.spec, self.optimizer, self.scheduler = self._make_phase(i, self.graph, self.model)
        self.phase = i

    def _set_built(self, g: Graph) -> None:
        self.built = g.copy()
        self.built.training = self.config.to_section()
        self._types = {nid: n.type for nid, n in g.nodes.items()}
        # Blocks may report their own numbers (an ODE solve: function evaluations) through
        # a `metrics() -> dict` method on their module; they join each step's record.
        blocks = getattr(self.model, "blocks", None)  # an ensemble's members report nothing
        self._reporters = [] if blocks is None else [
            (nid, m) for nid, m in blocks.built().items() if callable(getattr(m, "metrics", None))]
        # ... and name those worth plotting beside the loss (a DataflowMatrix's links)
        self.plotted = [f"{nid}/{k}" for nid, m in self._reporters for k in getattr(m, "plotted", ())]
        self.compiled = self._compile_model()
        self._event("compile", **self.compiled)

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
