"""The callback API: no-op hook methods that a run calls; listeners override what they need.

Hooks called in the training thread, in order of events: ``on_run_start``,
``on_step_end`` (every step: keep it cheap), ``on_eval``, ``on_grad_check``,
``on_snapshot``, ``on_pause`` / ``on_resume``, ``on_rebuild``, ``on_state_change``,
``on_run_end``. ``on_metrics`` receives the step records in batches, a few times a second,
from a delivery thread: the place for plots and front ends.
"""

from __future__ import annotations

import collections
import os
import threading
import time

#: ``on_metrics`` calls a second by default: smooth live plots, little work per step
STREAM_HZ = 4.0


class Callback:
    """Base class of training listeners; every hook does nothing by default."""

    def on_run_start(self, run) -> None:
        """The run starts (or continues after a foreground pause)."""

    def on_step_end(self, run, record: dict) -> None:
        """A step finished; `record` holds step, loss, grad_norm, lr, time, phase."""

    def on_metrics(self, run, records: list[dict]) -> None:
        """A batch of step records (throttled, from the delivery thread)."""

    def on_eval(self, run, record: dict) -> None:
        """Validation loss was computed: ``{"step", "val_loss"}``."""

    def on_node_stats(self, run, record: dict) -> None:
        """Per-node output statistics: ``{"step", "stats": {node: {mean, std, shape}}}``."""

    def on_grad_check(self, run, report: dict) -> None:
        """After the first backward: ``{"no_grad": [...params], "detached": [...edges]}``."""

    def on_snapshot(self, run, snapshot: dict) -> None:
        """Predictions on the training data, as requested by ``run.snapshot()``."""

    def on_pause(self, run, reason: str) -> None:
        """The run paused (by request, or on a non-finite value)."""

    def on_resume(self, run) -> None:
        """The run resumed."""

    def on_rebuild(self, run, report: dict) -> None:
        """The model was rebuilt: ``{"kept": [...], "reset": [...], "step"}``."""

    def on_state_change(self, run, old: str, new: str) -> None:
        """The run's state changed."""

    def on_run_end(self, run) -> None:
        """The run ended: stopped, finished or failed (see ``run.state``)."""


class Stream:
    """Batches step records and delivers them to ``on_metrics`` at most `hz` times a second,
    from its own thread, so a slow listener never holds up a training step."""

    def __init__(self, run, callbacks: list[Callback], hz: float = STREAM_HZ):
        self.run = run
        self.callbacks = [c for c in callbacks if _overrides(c, "on_metrics")]
        self.period = 1.0 / hz if hz > 0 else 0.25
        self.pending: collections.deque = collections.deque()
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    @property
    def active(self) -> bool:
        return bool(self.callbacks)

    def start(self) -> None:
        if not self.active or (self._thread and self._thread.is_alive()):
            return
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="diffwire-stream", daemon=True)
        self._thread.start()

    def push(self, record: dict) -> None:
        if self.callbacks:
            self.pending.append(record)

    def flush(self) -> None:
        """Deliver everything pending now (in the calling thread)."""
        with self._lock:
            batch = []
            while self.pending:
                batch.append(self.pending.popleft())
            if batch:
                for cb in self.callbacks:
                    cb.on_metrics(self.run, batch)

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._wake.clear()
        self.flush()

    def _loop(self) -> None:
        while not self._stop:
            self._wake.wait(self.period)
            try:
                self.flush()
            except Exception as exc:  # a broken listener must not kill the stream
                self.run._event("callback_error", error=f"{type(exc).__name__}: {exc}")
                time.sleep(self.period)


def _overrides(cb: Callback, name: str) -> bool:
    return getattr(type(cb), name, None) is not getattr(Callback, name)


class ProgressBar(Callback):
    """A tqdm bar (tqdm.auto: a widget in notebooks), updated from the metrics batches."""

    def __init__(self, notebook: bool = True, file=None):
        self.notebook, self.file, self.bar = notebook, file, None

    def on_run_start(self, run):
        if self.bar is None:
            if self.notebook:
                from tqdm.auto import tqdm
            else:
                from tqdm import tqdm
            self.bar = tqdm(total=run.config.steps, initial=run.step, file=self.file,
                            desc="train", dynamic_ncols=True, leave=True)

    def on_metrics(self, run, records):
        if self.bar is None or not records:
            return
        last = records[-1]
        self.bar.n = last["step"] + 1
        self.bar.set_postfix(loss=f"{last['loss']:.4g}", refresh=False)
        self.bar.refresh()

    def on_run_end(self, run):
        if self.bar is not None:
            self.bar.n = run.step
            self.bar.refresh()
            self.bar.close()
            self.bar = None


def want_progress(progress) -> bool:
    """Progress bars are on unless asked off or running under pytest."""
    if progress is not None:
        return bool(progress)
    return "PYTEST_CURRENT_TEST" not in os.environ
