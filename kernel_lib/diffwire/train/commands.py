"""A run's command queue: the caller's thread puts commands in, the training thread applies
them between two steps (``Run._do_<name>``), so each takes effect within one step.

When no training thread runs, or the caller *is* the training thread (a callback), the
command applies at once. The caller waits for the acknowledgement unless told not to, or
unless it is one of the run's own threads, which could wait for each other forever.
"""

from __future__ import annotations

import queue
import threading
from typing import Any


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
            cmd.result = getattr(self.run, f"_do_{cmd.name}")(**cmd.kwargs)
        except BaseException as exc:  # handed back to the caller (and logged: it may not wait)
            cmd.error = exc
            self.run._event("command_error", command=cmd.name,
                            error=f"{type(exc).__name__}: {exc}")
        finally:
            cmd.done.set()
