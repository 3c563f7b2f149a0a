"""The training thread: a run's loop from its start to its end or pause.

Between two steps it applies the queued commands (:mod:`.commands`); each step switches to
its phase's optimizer when a phase begins, runs under the watchdog (:mod:`.step_timeout`),
then evaluates, records, streams and checkpoints. A non-finite value, or an exception a
block marks ``pauses_run``, pauses the run; any other exception fails it.
"""

from __future__ import annotations

import time
import traceback

import torch

from .. import threads
from . import checkpoint
from .callbacks import Stream
from .step import NonFinite
from .step_timeout import timed_step
from .store import StoreError


def main(run) -> None:
    """The training thread's body (or the caller's, in the foreground)."""
    stream = Stream(run, run.callbacks, run._stream_hz)
    run._stream = stream
    plan = threads.enter(run)  # this thread's torch threads only (see threads.py)
    run.rec.started(run.threads)
    if run.rec.timing.first_step is None:
        run.rec.timing.first_step = run.step
    try:
        if run._fresh:
            torch.manual_seed(run.config.seed)
            run._fresh = False
        if run._rng is not None:
            checkpoint.set_rng_state(run._rng)
            run._rng = None
        run._set_state("running")
        stream.start()
        run._emit("on_run_start")
        _loop(run, stream)
    except KeyboardInterrupt:
        run._finish("stopped", "interrupted")
    except BaseException as exc:  # any failure becomes a state, never a silent dead thread
        run.traceback = traceback.format_exc()
        run._finish("failed", f"{type(exc).__name__}: {exc}", exc=exc)
    finally:
        threads.leave(plan)
        stream.close()
        if run.ended:
            run._emit("on_run_end")
            run._close()
        run._cmds.drain()


def _loop(run, stream: Stream) -> None:
    while True:
        run._cmds.drain()
        if run._stop_requested:
            _end_checkpoint(run)
            run._finish("stopped", "stopped by request")
            return
        if run.state == "paused":
            if run._foreground:
                return
            stream.flush()
            run._cmds.next()
            continue
        if run.step >= run.config.steps:
            _end_checkpoint(run)
            run._finish("finished", None)
            return
        _one_step(run, stream)


def _one_step(run, stream: Stream) -> None:
    s, cfg = run.step, run.config
    i = cfg.phase_index(s)
    if i != run.phase:
        run._setup_phase(i)
        run._event("phase", phase=i, kind=run.spec["kind"])
    try:
        out = timed_step(run, s)
    except NonFinite as nf:
        run.nonfinite = {"step": s, "what": nf.what, "value": nf.value, "node": nf.node}
        where = f": first non-finite output at node '{nf.node}'" if nf.node else ""
        if nf.what == "gradient" and nf.node:
            where = f": gradient of node '{nf.node}'"
        run._event("nonfinite", **run.nonfinite)
        run._pause(f"non-finite {nf.what} ({nf.value}) at step {s}{where}", auto=True)
        return
    except Exception as exc:
        cause = _pausing(exc)
        if cause is None:
            raise
        # A block said this is worth fixing, not fatal (a solver out of steps): pause.
        node = getattr(exc, "node", None) or getattr(cause, "node", None)
        run._event("step_error", node=node, error=f"{type(cause).__name__}: {cause}")
        run._pause(f"step {s} stopped at node '{node}': {cause}" if node
                   else f"step {s}: {cause}", auto=True)
        return
    run.step = s + 1
    if run.compiled is not None and run.compiled["applied"] and "checked" not in run.compiled:
        run._compile_checked()
    _record(run, s, out if isinstance(out, list) else [out], stream)  # an ensemble: a list
    if run.rec.open and cfg.checkpoint_every and run.step % cfg.checkpoint_every == 0:
        try:
            checkpoint.write(run)
        except StoreError as exc:
            run._store_failed(exc)
    elif run.rec.due():
        run._flush(wait=False)


def _record(run, s: int, records: list[dict], stream: Stream) -> None:
    """Step `s`'s records (one per ensemble member): wall time, the blocks' own metrics and
    the validation loss joined in, then kept, told to the callbacks and streamed."""
    cfg = run.config
    wall = time.monotonic() - run._t0
    for record in records:
        record["wall"] = wall
        for nid, module in run._reporters:
            for k, v in module.metrics().items():
                record[f"{nid}/{k}"] = v
    val = run.dataset.validation()
    if val is not None and cfg.eval_every and (run.step % cfg.eval_every == 0
                                               or run.step == cfg.steps):
        with torch.no_grad():
            for record, v in zip(records, run._val_losses(val)):
                record["val_loss"] = v
                run._emit("on_eval", {"step": s, "val_loss": v,
                                      **({"member": record["member"]}
                                         if "member" in record else {})})
    for record in records:
        run.rec.add(record)
        run._emit("on_step_end", record)
        if "nodes" in record:
            run._emit("on_node_stats", {"step": s, "stats": record["nodes"]})
    for record in run._streamed(records):
        stream.push(record)


def _end_checkpoint(run) -> None:
    if run.rec.open:
        try:
            checkpoint.write(run)
        except StoreError as exc:  # the run still ends; its record says what is missing
            run._event("store_error", error=str(exc))


def _pausing(exc: BaseException | None) -> BaseException | None:
    """The exception in `exc`'s cause chain that asks to pause the run (``pauses_run``)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if getattr(exc, "pauses_run", False):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
