"""A run's commands: what each does (``HANDLERS``) and the queue that carries them from the
caller's thread to the training thread, which applies them between two steps, so each takes
effect within one step.

When no training thread runs, or the caller *is* the training thread (a callback), the
command applies at once. The caller waits for the acknowledgement unless told not to, or
unless it is one of the run's own threads, which could wait for each other forever.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import torch

from ..errors import ParamError
from . import checkpoint, optim
from .config import SCALARS
from .rebuild import rebuild_run
from .store import StoreError

#: What run.set() may change live: the optimizer's options that live in its param groups or
#: schedule, and the run's own cadences.
SETTABLE = (set(optim.DEFAULTS) - optim.REBUILD_KEYS) | {
    "eval_every", "stats_every", "checkpoint_every", "keep_checkpoints", "keep_best",
    "step_timeout"}


def check_settable(values: dict) -> None:
    """Refuse, in the caller's thread, what run.set() cannot change live."""
    if set(values) & optim.REBUILD_KEYS:
        raise ParamError(f"{sorted(set(values) & optim.REBUILD_KEYS)} need a new optimizer",
                         hint="edit the Optimizer node's params, then run.rebuild()")
    bad = set(values) - SETTABLE
    if bad:
        raise ParamError(f"cannot set {sorted(bad)} on a run", expected=sorted(SETTABLE),
                         found=sorted(bad))


# -- what each command does (in the training thread, between two steps) -----------------

def pause(run, reason: str = "paused by request") -> None:
    if run.state == "running":
        run._pause(reason, auto=False)


def resume(run) -> None:
    if run.state != "paused":
        return
    run._auto_paused = False
    run.reason = None
    run._set_state("running")
    run._event("resume")
    run._emit("on_resume")
    try:
        if run.rec.reopen(run):
            run._event("store_recreated", path=str(run.path), lost=run.rec.lost)
    except StoreError as exc:
        run._store_failed(exc)
        return
    run._flush()  # retries a write that paused the run (space freed, folder back)


def stop(run) -> None:
    run._stop_requested = True
    if not run.alive and run.state in ("idle", "paused"):
        run._finish("stopped", "stopped by request")
        run._emit("on_run_end")
        run._close()


def set_values(run, **values) -> None:
    """New hyperparameters: into the live optimizer or schedule, the config, and the phase's
    Optimizer node in both graphs (so the document shows the values in use)."""
    for k, v in values.items():
        if k in SCALARS:
            setattr(run.config, k, v)
            continue
        run.spec[k] = v
        if (k in optim.LIVE_KEYS or k in optim.SCHEDULE_KEYS) and run.optimizer is not None:
            optim.apply_live(run.optimizer, run.scheduler, k, v)
        node = run.config.phases[run.phase].node
        for g in (run.graph, run.built):
            if node is not None and node in g.nodes:
                g.nodes[node].params[k] = list(v) if isinstance(v, tuple) else v
        if node is None:
            run.config.phases[run.phase].spec[k] = v
    run._event("set", **values)


def rebuild(run, graph=None) -> dict:
    return rebuild_run(run, graph if graph is not None else run.graph)


def snapshot(run) -> dict:
    """The current model's predictions on the whole training data; what it cost the training
    thread is kept in ``run.snapshot_seconds`` (the editor spaces snapshots by it)."""
    t0 = time.perf_counter()
    try:
        return _snapshot_now(run)
    finally:
        run.snapshot_seconds = time.perf_counter() - t0


def _snapshot_now(run) -> dict:
    with torch.no_grad():
        batch = run.dataset.full()
        outs = run.model.run(*[batch[k] for k in run.model.input_names])
    snap = {"step": run.step,
            "outputs": {n: o.detach().cpu() for n, o in zip(run.model.output_names, outs)
                        if isinstance(o, torch.Tensor)}}
    run.last_snapshot = snap
    run._emit("on_snapshot", snap)
    return snap


#: command name -> what it does; a kind of run may replace one (``Run.handlers``)
HANDLERS = {"pause": pause, "resume": resume, "stop": stop, "set": set_values,
            "rebuild": rebuild, "snapshot": snapshot, "checkpoint": checkpoint.write}


# -- the queue ------------------------------------------------------------------------

class Command:
    def __init__(self, name: str, kwargs: dict):
        self.name, self.kwargs = name, kwargs
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class Commands:
    """The queue between a run's callers and its training thread."""

    def __init__(self, run):
        self.run = run
        self._q: queue.Queue = queue.Queue()

    def send(self, name: str, wait: bool, **kwargs):
        """Apply command `name`; returns its result (None when not waited for)."""
        run = self.run
        cmd = Command(name, kwargs)
        in_loop = threading.current_thread() is run._thread
        wait = wait and self.may_block()
        if not run.alive or in_loop:
            self.handle(cmd)
        else:
            self._q.put(cmd)
            if not wait:
                return None
            while not cmd.done.wait(0.05):
                if not run.alive:  # the thread ended before taking it
                    self.drain()
        if cmd.error is not None:
            raise cmd.error
        return cmd.result

    def may_block(self) -> bool:
        """False in the run's own threads: the training thread cannot wait for itself, and
        it may be waiting for the stream thread's delivery to finish."""
        here = threading.current_thread()
        stream = getattr(self.run, "_stream", None)
        return here is not self.run._thread and (stream is None or here is not stream.thread)

    def drain(self) -> None:
        """Apply every queued command (in the training thread, between steps)."""
        while True:
            try:
                cmd = self._q.get_nowait()
            except queue.Empty:
                return
            self.handle(cmd)

    def next(self) -> None:
        """Wait for the next command and apply it (a paused run's training thread)."""
        self.handle(self._q.get())

    def handle(self, cmd: Command) -> None:
        try:
            cmd.result = self.run.handlers[cmd.name](self.run, **cmd.kwargs)
        except BaseException as exc:  # handed back to the caller (and logged: it may not wait)
            cmd.error = exc
            self.run._event("command_error", command=cmd.name,
                            error=f"{type(exc).__name__}: {exc}")
        finally:
            cmd.done.set()
