"""The editor's side of training: Train/Pause/Resume/Stop/lr commands, and a training
callback that batches metrics and throttles what it sends, so plots keep up without
slowing the run (one message per `interval` seconds at most, whatever the step rate)."""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .editor import Editor

NO_RUN = {"state": "none", "step": 0, "steps_per_s": 0.0, "lr": None, "stale": False,
          "message": "", "available": False}


def _train_api():
    """`diffwire.train.train`, or None while the training engine is not installed."""
    try:
        from .. import train as train_mod  # type: ignore[attr-defined]
    except ImportError:
        return None
    return getattr(train_mod, "train", None)


class LiveCallback:
    """A training callback that streams to an editor: metric batches, status, predictions.

    **Arguments:**

    - `editor`: the :class:`~diffwire.widget.Editor` to send to.
    - `interval`: seconds between messages (metrics are batched in between).
    """

    def __init__(self, editor: "Editor", interval: float = 0.2):
        self.editor = editor
        self.interval = interval
        self._steps: list[int] = []
        self._values: dict[str, list] = {}
        self._last_send = 0.0
        self._last_status = 0.0
        self._rate_t = time.monotonic()
        self._rate_step = 0
        self._lock = threading.Lock()
        self.sent_messages = 0

    # hooks called by the training loop -------------------------------------------------

    def on_metrics(self, run: Any = None, metrics: dict | None = None, step: int | None = None,
                   **_: Any) -> None:
        """New metric values (``{"loss": 0.1, ...}``) at `step`."""
        if metrics is None:
            return
        if step is None:
            step = int(metrics.get("step", len(self._steps)))
        with self._lock:
            n = len(self._steps)
            self._steps.append(int(step))
            for name, v in metrics.items():
                if name == "step" or not isinstance(v, (int, float)) or isinstance(v, bool):
                    continue
                col = self._values.setdefault(name, [None] * n)
                col.append(float(v) if math.isfinite(v) else None)
            for col in self._values.values():
                if len(col) < n + 1:
                    col.append(None)
        self._maybe_flush(run, step)

    def on_step_end(self, run: Any = None, step: int | None = None, **kw: Any) -> None:
        """Called after every step; sends status at most every `interval` seconds."""
        if step is not None:
            self._maybe_flush(run, step)

    def on_state_change(self, run: Any = None, state: str | None = None, **_: Any) -> None:
        """The run started, paused, resumed, stopped, finished or failed."""
        self.flush()
        self.editor.run.state_changed(state, run)

    def on_predictions(self, run: Any = None, x=None, y_true=None, y_pred=None, step: int = 0,
                       **_: Any) -> None:
        """A snapshot of predictions against data (lists of rows)."""
        self.editor.send({"event": "predictions", "x": _rows(x, flat=True), "y_true": _rows(y_true),
                          "y_pred": _rows(y_pred), "step": int(step)})

    # sending ------------------------------------------------------------------------

    def _maybe_flush(self, run: Any, step: int) -> None:
        now = time.monotonic()
        if now - self._last_send >= self.interval:
            self.flush()
            dt = now - self._rate_t
            rate = (step - self._rate_step) / dt if dt > 0 else 0.0
            self._rate_t, self._rate_step = now, step
            self.editor.run.progress(step, rate, run)

    def flush(self) -> None:
        with self._lock:
            steps, values = self._steps, self._values
            self._steps, self._values = [], {}
        self._last_send = time.monotonic()
        if steps:
            self.sent_messages += 1
            self.editor.send({"event": "metrics", "step": steps, "values": values})


def _rows(v: Any, flat: bool = False) -> list:
    if v is None:
        return []
    if hasattr(v, "detach"):
        v = v.detach().cpu()
        if v.ndim == 1 and not flat:
            v = v[:, None]
        if flat and v.ndim > 1:
            v = v[:, 0]
        v = v.tolist()
    return list(v)


class RunControl:
    """Runs ``dw.train`` for an editor and maps its commands onto the run."""

    def __init__(self, editor: "Editor"):
        self.editor = editor
        self.run: Any = None
        self.callback: LiveCallback | None = None
        self.options: dict = {}
        self.watched: str | None = None

    @property
    def available(self) -> bool:
        return _train_api() is not None

    def _status(self, **kw: Any) -> None:
        s = dict(self.editor.status or NO_RUN)
        s.update(kw)
        s["available"] = self.available
        self.editor.status = s

    # commands -----------------------------------------------------------------------

    def train(self) -> None:
        train = _train_api()
        if train is None:
            self._status(message="training is not available yet (diffwire.train missing)")
            return
        if self.run is not None and self._state() in ("running", "paused"):
            return
        self.callback = LiveCallback(self.editor)
        self.editor.send({"event": "reset_metrics"})
        self._status(state="starting", step=0, steps_per_s=0.0, stale=False, message="")
        self.run = train(self.editor.graph, callbacks=[self.callback], **self.options)
        self._status(state=self._state() or "running", lr=self._lr())

    def pause(self) -> None:
        if self.run is not None:
            self.run.pause()
            self._status(state="paused")

    def resume(self) -> None:
        if self.run is not None:
            self.run.resume()
            self._status(state="running")

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()
            self._status(state="stopped")

    def set(self, name: str, value: Any) -> None:
        if self.run is None:
            if name == "lr":
                self.options["lr"] = float(value)
                self._status(lr=float(value))
            return
        self.run.set(**{name: value})
        if name == "lr":
            self._status(lr=float(value))

    def rebuild(self) -> None:
        if self.run is not None:
            self.run.rebuild(self.editor.graph)
        self._status(stale=False)

    def watch(self, node: str | None) -> None:
        """Send statistics of `node`'s weights (and the run's view of it) to the canvas."""
        self.watched = node
        if node is None:
            return
        stats = self.node_stats(node)
        if stats:
            self.editor.send({"event": "node_stats", "node": node, "stats": stats})

    def node_stats(self, node: str) -> dict:
        model = getattr(self.run, "model", None)
        if model is None:
            return {}
        try:
            mod = model.blocks[node.split("/")[0]]
        except Exception:  # noqa: BLE001 - nodes inside bodies, or nodes the run predates
            return {}
        out: dict[str, float] = {}
        params = [p.detach() for p in mod.parameters()]
        if params:
            flat = __import__("torch").cat([p.flatten().float().cpu() for p in params])
            out = {"parameters": float(flat.numel()), "mean": float(flat.mean()),
                   "std": float(flat.std()) if flat.numel() > 1 else 0.0,
                   "abs max": float(flat.abs().max())}
        return out

    # from the run / callback ----------------------------------------------------------

    def graph_edited(self) -> None:
        if self.run is not None and self._state() in ("running", "paused"):
            self._status(stale=True)

    def progress(self, step: int, rate: float, run: Any) -> None:
        self._status(step=int(step), steps_per_s=float(rate))
        if self.watched:
            stats = self.node_stats(self.watched)
            if stats:
                self.editor.send({"event": "node_stats", "node": self.watched, "stats": stats})

    def state_changed(self, state: str | None, run: Any) -> None:
        kw: dict = {"state": state or self._state() or "none"}
        err = getattr(run, "error", None)
        if err:
            kw["message"] = str(err)
        step = getattr(run, "step", None)
        if isinstance(step, int):
            kw["step"] = step
        self._status(**kw)

    def _state(self) -> str | None:
        s = getattr(self.run, "state", None)
        return getattr(s, "value", s)

    def _lr(self) -> float | None:
        try:
            lr = self.run.get("lr")
        except Exception:  # noqa: BLE001 - runs without a get(): fall back to the options
            lr = self.options.get("lr")
        return None if lr is None else float(lr)
