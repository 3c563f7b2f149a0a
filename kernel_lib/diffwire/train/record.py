"""What a run keeps: its history, summary, events, timing and checkpoints, in memory and
(when it has a folder) in its run store. The run's loop calls this; it knows nothing of
the loop.

Metrics reach the disk in chunks, every `flush_every` seconds or `flush_records` records,
whichever comes first, and at every pause, checkpoint and end: a killed kernel loses at
most that interval. A write that fails (a full disk, a deleted folder) raises
:class:`~diffwire.train.store.StoreError`; the run pauses with its message and the records
stay pending, so resuming after freeing space loses nothing.
"""

from __future__ import annotations

import os
import pathlib
import socket
import threading
import time

import torch

from .history import History, Summary
from .store import RunStore, StoreError, now

#: seconds between metric chunks by default: at most what a killed kernel loses
FLUSH_EVERY = 2.0


class Timing:
    """Seconds spent in each state, so rates leave out the time a run sat paused."""

    def __init__(self):
        self.started: str | None = None  # UTC, ISO 8601
        self.ended: str | None = None
        self.seconds: dict[str, float] = {}
        self._state = "idle"
        self._since = time.monotonic()
        self.first_step: int | None = None  # the step this process started training from

    def state(self, new: str) -> None:
        t = time.monotonic()
        self.seconds[self._state] = self.seconds.get(self._state, 0.0) + t - self._since
        self._state, self._since = new, t
        if new == "running" and self.started is None:
            self.started = now()

    def _in(self, state: str) -> float:
        extra = time.monotonic() - self._since if self._state == state else 0.0
        return self.seconds.get(state, 0.0) + extra

    @property
    def active_s(self) -> float:
        """Seconds spent running (training or between steps), pauses excluded."""
        return self._in("running")

    @property
    def paused_s(self) -> float:
        return self._in("paused")

    def rate(self, step: int) -> float:
        """Steps per second of running time since this process started the run."""
        done = step - (self.first_step or 0)
        active = self.active_s
        return done / active if active > 0 and done > 0 else 0.0

    def to_dict(self, step: int) -> dict:
        return {"started": self.started, "ended": self.ended, "active_s": self.active_s,
                "paused_s": self.paused_s, "steps_per_s": self.rate(step)}


class Recorder:
    """History, summary, events, timing and kept checkpoints of one run.

    **Arguments:**

    - `root`: the runs folder (``NAME.runs``), or None to keep everything in memory.
    - `flush_every`: seconds between metric chunks. `flush_records`: records per chunk at
      most (bounds what waits in memory on a fast run).
    - `summary_limit`: points per series in the in-memory summary.
    - `tail`: the newest records kept in memory (older ones are read back from disk).

    Checkpoint retention follows the run's ``keep_checkpoints`` / ``keep_best``.
    """

    def __init__(self, root: str | os.PathLike | None, *, flush_every: float = FLUSH_EVERY,
                 flush_records: int = 10_000, summary_limit: int = 2048, tail: int = 1024):
        self.root = pathlib.Path(root) if root is not None else None
        self.store: RunStore | None = None
        # With a folder, records wait in memory until the folder is made (at the start).
        self.history = History(_Deferred() if root is not None else None, tail)
        self._tail = tail
        self.summary = Summary(summary_limit)
        self.events: list[dict] = []
        self.timing = Timing()
        self.flush_every = flush_every
        self.flush_records = flush_records
        self.checkpoints: list[dict] = []  # kept: {"step", "file", "score"}
        self.parent: dict | None = None  # {"kind": resume|fork, "run", "path", "step"}
        self._parent_store: RunStore | None = None
        self.last: dict = {}  # latest loss / val_loss; best values
        self.members: dict[int, float] = {}  # an ensemble's latest loss per member
        self._last_flush = time.monotonic()
        self._events_written = -1
        self.threads: dict | None = None
        self.lost = 0  # records that were on disk when the folder was deleted
        self._writer: threading.Thread | None = None  # the background flush, if any
        self.failure: StoreError | None = None  # what the last background flush raised
        self.name: str | None = None  # shown in the runs list (a sweep's trial names its values)
        self.tags: dict | None = None  # what the run belongs to: {"sweep", "trial", ...}

    # -- opening -------------------------------------------------------------------------

    @property
    def open(self) -> bool:
        return self.store is not None

    def create(self, run) -> None:
        """Make the run's folder and write what is known before the first step."""
        if self.root is None or self.store is not None:
            return
        store = RunStore.create(self.root)
        past = self.history
        self.history = History(store.metrics, self._tail)
        if self._parent_store is not None:
            store.metrics.link_prefix(self._parent_store.metrics, self.parent["step"])
        elif past.pending:  # records restored from a checkpoint that carried them
            self.history.replace(past[:])
        self.store = store
        if self.parent is not None and self.parent.get("dir") is not None:
            self.parent["path"] = os.path.relpath(self.parent.pop("dir"), store.path)
        store.write_graph(run.built.to_json(), run.step)
        self.flush(run)

    def from_parent(self, kind: str, checkpoint: pathlib.Path, ck: dict) -> None:
        """Continue from a checkpoint: the history up to its step comes from the parent's
        folder when the checkpoint sits in one, else from the checkpoint itself."""
        step = int(ck["step"])
        run_dir = checkpoint.resolve().parent.parent
        parent = None
        if (run_dir / "run.json").is_file():
            try:
                parent = RunStore(run_dir)
                parent.read_record()
            except StoreError:
                parent = None
        self.parent = {"kind": kind, "step": step, "checkpoint": checkpoint.name,
                       "run": parent.id if parent else ck.get("run"),
                       "dir": str(run_dir) if parent else None}
        if "summary" in ck:
            self.summary = Summary.from_state(ck["summary"])
        if parent is not None and "history" not in ck:
            self._parent_store = parent
            if self.root is None:  # no folder of its own: read the parent's into memory
                self.history.replace(parent.metrics.read(0, step))
        else:
            self.history.replace([dict(r) for r in ck.get("history", [])])
        last = (self._parent_store.metrics.read(step - 1, step)
                if self._parent_store is not None and step > 0 else self.history[-1:])
        for r in last:
            self.last.update({k: r[k] for k in ("loss",) if k in r})

    # -- per step ------------------------------------------------------------------------

    def add(self, record: dict) -> None:
        if self.threads is None:  # at the first step: after any thread policy was applied
            self.started()
        self.history.append(record)
        self.summary.add(record)
        if "member" in record:  # an ensemble: the run's loss is its best member's latest
            self.members[record["member"]] = record["loss"]
            self.last["loss"] = min(self.members.values())
        else:
            self.last["loss"] = record["loss"]
        if "val_loss" in record:
            self.last["val_loss"] = record["val_loss"]
            if self.last.get("best_val_loss") is None or record["val_loss"] < self.last["best_val_loss"]:
                self.last["best_val_loss"] = record["val_loss"]
        if self.last.get("best_loss") is None or record["loss"] < self.last["best_loss"]:
            self.last["best_loss"] = record["loss"]

    def reopen(self, run) -> bool:
        """After a pause for a folder that was deleted: make it again and write what is
        known (the records already flushed are gone; the record says how many). True when
        the folder had to be made again."""
        store = self.store
        if store is None or store.path.is_dir():
            return False
        try:
            store.path.mkdir(parents=True)
        except OSError as exc:
            raise StoreError(f"cannot make the run folder {store.path} again: {exc}") from None
        self.lost = len(store.metrics)
        store.write_graph(run.built.to_json(), run.step)
        self._events_written = -1
        return True

    def due(self) -> bool:
        """Time for a background flush (or a background flush failed: raise it now)."""
        return self.store is not None and (
            self.failure is not None
            or self.history.pending >= self.flush_records
            or time.monotonic() - self._last_flush >= self.flush_every)

    def flush(self, run, wait: bool = True) -> None:
        """Pending records, events and the run record to disk (raises StoreError).

        With `wait` False (the periodic flush between steps) the files are written by a
        writer thread, so the step loop never waits for the disk (fsync took about 10 ms
        a file here); a failure there is raised by the next call. With `wait` True (a
        pause, a checkpoint, the end) everything is on disk when this returns."""
        self._last_flush = time.monotonic()
        if self.store is None:
            return
        writer = self._writer
        if writer is not None and writer.is_alive():
            if not wait:
                return  # the previous chunk is still being written; next time
            writer.join()
        if self.failure is not None:
            exc, self.failure = self.failure, None
            raise exc
        job = (self.history.pending, list(self.events), self.record(run))
        if wait:
            self._write(*job)
            return
        self._writer = threading.Thread(target=self._write_quietly, args=job,
                                        name="diffwire-run-writer", daemon=True)
        self._writer.start()

    def _write(self, count: int, events: list[dict], record: dict) -> None:
        self.history.flush(count)
        if len(events) != self._events_written:
            self.store.write_events(events)
            self._events_written = len(events)
        self.store.write_record(record)

    def _write_quietly(self, *job) -> None:
        try:
            self._write(*job)
        except StoreError as exc:  # handed to the training thread by the next flush
            self.failure = exc
        except Exception as exc:  # noqa: BLE001 - never a silent dead writer
            self.failure = StoreError(f"writing the run's files failed: {exc}")

    def record(self, run) -> dict:
        cfg = run.config
        return {
            "id": self.store.id if self.store else None, "name": self.name, "tags": self.tags,
            "parent": self.parent,
            "state": run.state, "reason": run.reason, "step": run.step, "steps": cfg.steps,
            "records": len(self.history), "lost_records": self.lost, "seed": cfg.seed, "device": str(run.device),
            "threads": self.threads, "pid": os.getpid(), "host": socket.gethostname(),
            "updated": now(), "timing": self.timing.to_dict(run.step),
            "loss": self.last.get("loss"), "best_loss": self.last.get("best_loss"),
            **({"member_losses": [self.members[k] for k in sorted(self.members)]}
               if self.members else {}),
            "val_loss": self.last.get("val_loss"),
            "best_val_loss": self.last.get("best_val_loss"),
            "checkpoints": self.checkpoints,
            "best_checkpoint": _best(self.checkpoints),
            "settings": {"checkpoint_every": cfg.checkpoint_every,
                         "keep_checkpoints": cfg.keep_checkpoints, "keep_best": cfg.keep_best,
                         "flush_every": self.flush_every},
            "torch": torch.__version__,
        }

    def started(self, threads: dict | None = None) -> None:
        """In the training thread, at its start: the thread settings it trains with (the
        thread policy's choice and reason, see ``diffwire/threads.py``, with what torch reports)."""
        self.threads = {**(threads or {}), "intra_op": torch.get_num_threads(),
                        "inter_op": torch.get_num_interop_threads()}

    # -- checkpoints ---------------------------------------------------------------------

    def checkpoint_path(self, step: int) -> pathlib.Path:
        return self.store.checkpoint_path(step)

    def kept(self, run, path: pathlib.Path) -> list[dict]:
        """Register a checkpoint just written into the store; prune by the retention rule.
        Returns the checkpoints removed."""
        cfg = run.config
        score = self.last.get("val_loss", self.last.get("loss"))
        entry = {"step": run.step, "file": str(path.relative_to(self.store.path)),
                 "score": score}
        self.checkpoints = [c for c in self.checkpoints if c["step"] != run.step] + [entry]
        self.checkpoints, removed = self.store.prune(self.checkpoints, cfg.keep_checkpoints,
                                                     cfg.keep_best)
        self.flush(run)  # the record stops naming them before they go
        self.store.delete(removed)
        return removed

    # -- the end -------------------------------------------------------------------------

    def finish(self, run) -> None:
        self.timing.ended = now()
        if self.store is None:
            return
        self.flush(run)
        self.store.write_weights(run.model.state_dict())
        self.store.write_csv()


def _best(kept: list[dict]) -> int | None:
    scored = [c for c in kept if c.get("score") is not None]
    return min(scored, key=lambda c: (c["score"], c["step"]))["step"] if scored else None


class _Deferred:
    """The disk of a history whose folder is not made yet: nothing on it, writes wait."""

    def __len__(self) -> int:
        return 0

    def read(self, start: int, stop: int) -> list[dict]:
        return []

    def write_file(self, records: list[dict]) -> str:
        raise StoreError("the run's folder is not open yet")

    def commit(self, name: str, count: int) -> None:
        raise StoreError("the run's folder is not open yet")
