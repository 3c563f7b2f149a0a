"""The editor's side of training: Train/Pause/Resume/Stop/lr commands, and a training
callback that batches metrics and throttles what it sends, so plots keep up without
slowing the run (one message per `interval` seconds at most, whatever the step rate)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from ..compile import learned_params
from ..train.api import train as start_run
from ..train.callbacks import Callback
from .probes import ProbeSet, edge_key

if TYPE_CHECKING:
    from .editor import Editor

NO_RUN = {"state": "none", "step": 0, "steps_per_s": 0.0, "lr": None, "stale": False,
          "message": "", "available": False, "run": None, "optimizer": None}


class LiveCallback(Callback):
    """A training callback that streams a run to an editor.

    The run hands step records to ``on_metrics`` in batches from its delivery thread; this
    turns each batch into one ``metrics`` event (columns, not rows), sends status at most
    every `interval` seconds, and asks the run for a predictions snapshot every
    `snapshot_every` seconds. Nothing here runs per training step.

    **Arguments:**

    - `editor`: the :class:`~diffwire.widget.Editor` to send to.
    - `interval`: seconds between status updates.
    - `snapshot_every`: seconds between predictions snapshots (0: never).
    """

    #: streamed per step; `wall` (seconds since the run started) is the plot's x by time
    KEYS = ("loss", "val_loss", "wall")

    def __init__(self, editor: Editor, interval: float = 0.25, snapshot_every: float = 1.0):
        self.editor = editor
        self.interval = interval
        self.snapshot_every = snapshot_every
        self._last_status = 0.0
        self._last_snapshot = 0.0
        self._rate = (0.0, 0)  # (running seconds, step): a paused run's clock stands still
        self.sent_messages = 0
        self._events_seen = 0  # the run's events already turned into plot markers

    # hooks ------------------------------------------------------------------------------

    def on_run_start(self, run: Any) -> None:
        """A resumed or forked run starts at its parent's step: the rate counts from here."""
        self._rate = (_running_seconds(run, time.monotonic()), int(getattr(run, "step", 0)))
        self.editor.control.probes.attach(run)

    def on_grad_check(self, run: Any, report: dict) -> None:
        """After the first backward: the canvas marks weights without gradient and dashes
        the wires that cut the gradient off."""
        self.editor.send(grad_check_event(getattr(run, "graph", None), report,
                                          int(getattr(run, "step", 0))))

    def on_metrics(self, run: Any, records: list[dict]) -> None:
        """A batch of step records: one ``metrics`` event (and a ``markers`` event when the
        run changed since the last batch: lr, rebuild, phase, pause)."""
        if not records:
            return
        event = metrics_event(records, self.KEYS + tuple(getattr(run, "plotted", ())))
        self.sent_messages += 1
        self.editor.send(event)
        self._markers(run)
        self._progress(run, int(records[-1].get("step", 0)) + 1)
        links = link_matrix_event(run, int(records[-1].get("step", 0)))
        if links is not None:
            self.editor.send(links)
        stats = [r["nodes"] for r in records if isinstance(r.get("nodes"), dict)]
        if stats:
            self.editor.control.node_stats_record(stats[-1])
            self.editor.send(graph_stats_event(records))
        for ev in self.editor.control.probes.events():
            self.editor.send(ev)
        now = time.monotonic()
        gap = snapshot_gap(self.snapshot_every, getattr(run, "snapshot_seconds", 0.0))
        if self.snapshot_every and now - self._last_snapshot >= gap:
            self._last_snapshot = now
            try:
                run.snapshot(wait=False)
            except Exception:  # noqa: BLE001 - snapshots are a nicety; training goes on
                pass

    def on_eval(self, run: Any, record: dict) -> None:
        """Validation loss: sent as its own point on the loss plot."""
        if "val_loss" in record:
            self.editor.send({"event": "metrics", "step": [int(record.get("step", 0))],
                              "values": {"val_loss": [_finite(record["val_loss"])]}})

    def on_node_stats(self, run: Any, record: dict) -> None:
        self.editor.control.node_stats_record(record.get("stats") or {})

    def on_snapshot(self, run: Any, snapshot: dict) -> None:
        """Predictions against data for the live panel's second plot."""
        event = predictions_event(run, snapshot)
        if event is not None:
            self.editor.send(event)

    def on_rebuild(self, run: Any, report: dict) -> None:
        """A rebuilt model: the probes hook into its modules, and the rebuild report
        (which nodes kept their weights) goes to the live panel; the run's events hold the
        same report."""
        self.editor.control.probes.attach(run)
        self.editor.send({"event": "rebuild", "step": int(report.get("step", 0)),
                          **{k: [str(n) for n in report.get(k) or []]
                             for k in ("kept", "reset", "removed")},
                          "optimizer_reset": bool(report.get("optimizer_reset"))})
        self.editor.control._status(stale=False)

    def on_state_change(self, run: Any, old: str, new: str) -> None:
        self._markers(run)  # a pause shows while the run stands still
        self.editor.control.state_changed(new, run)

    def on_run_end(self, run: Any) -> None:
        self.editor.control.state_changed(getattr(run, "state", "stopped"), run)
        self.editor.control.write_learned(run)

    # ------------------------------------------------------------------------------

    def _markers(self, run: Any) -> None:
        """Send the run's events since the last call that the loss plot marks."""
        events = getattr(run, "events", None) or []
        if len(events) > self._events_seen:
            new = markers_of(events[self._events_seen:])
            self._events_seen = len(events)
            if new:
                self.editor.send({"event": "markers", "markers": new})

    def _progress(self, run: Any, step: int) -> None:
        now = time.monotonic()
        if now - self._last_status < self.interval:
            return
        t0, s0 = self._rate
        active = _running_seconds(run, now)
        rate = (step - s0) / (active - t0) if active > t0 else 0.0
        self._rate = (active, step)
        self._last_status = now
        self.editor.control.progress(step, rate, run)


#: most of the training thread's time that predictions snapshots may take
SNAPSHOT_SHARE = 0.02


def snapshot_gap(every: float, cost: float, share: float = SNAPSHOT_SHARE) -> float:
    """Seconds between two predictions snapshots: `every`, or longer when the last one took
    `cost` seconds of the training thread, so snapshots take at most `share` of its time.
    A snapshot is a forward pass over all the data (an ODE model: a whole solve) run between
    steps; on a loaded machine its wall time grows with the steps', and a fixed 1 s period
    took a growing share of the run (measured in bench/kernel_training.py)."""
    return max(every, cost / share if cost > 0 else 0.0)


def _running_seconds(run: Any, now: float) -> float:
    """The run's own clock of running time (pauses left out), else the wall clock."""
    timing = getattr(getattr(run, "rec", None), "timing", None)
    return timing.active_s if timing is not None else now


def _finite(v: Any) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def grad_check_event(graph: Any, report: dict, step: int) -> dict:
    """The gradient-flow report as the canvas draws it: per node, its weights that got no
    gradient; per detached edge (by the canvas's edge id), the reason in words."""
    no_grad: dict[str, list[str]] = {}
    for name in report.get("no_grad", ()):
        parts = name.split(".", 2)
        if len(parts) == 3 and parts[0] == "blocks":
            no_grad.setdefault(parts[1], []).append(parts[2])
    cut = set(report.get("detached", ()))
    detached = []
    for e in getattr(graph, "edges", ()):
        if f"{e.source}.{e.source_port} -> {e.target}.{e.target_port}" in cut:
            detached.append({"edge": edge_key(e), "reason": (
                f"no gradient flows back along {e.source}.{e.source_port}: '{e.source}' has "
                "weights or a learnable input, but its output was detached or is not "
                "differentiable")})
    return {"event": "grad_check", "step": step, "no_grad": no_grad, "detached": detached}


def graph_stats_event(records: list[dict]) -> dict:
    """The newest per-node statistics of a batch (output mean/std, gradient norm of the
    node's weights, and what blocks report themselves: an ODE solve's function
    evaluations), for the canvas's per-node badges."""
    last = next(r for r in reversed(records) if isinstance(r.get("nodes"), dict))
    nodes: dict[str, dict] = {}
    for nid, st in last["nodes"].items():
        if "/" not in nid:  # top-level nodes: the canvas shows bodies' nodes inside them
            nodes[nid] = {k: _finite(v) for k, v in st.items() if k != "shape"}
    for k, v in records[-1].items():
        if "/" in k and isinstance(v, (int, float)):
            nid, key = k.split("/", 1)
            nodes.setdefault(nid, {})[key] = _finite(v)
    return {"event": "graph_stats", "step": int(last.get("step", 0)), "nodes": nodes}


def link_matrix_event(run: Any, step: int) -> dict | None:
    """The link matrices of the nodes whose module draws one (a DataflowMatrix's `heat()`:
    link magnitudes and the pruning mask), for the canvas's heat grids; None when no node
    has one."""
    blocks = getattr(getattr(run, "model", None), "blocks", None)
    if blocks is None:
        return None
    nodes = {}
    for nid, module in list(blocks.built().items()):  # a stateless node draws nothing
        heat = getattr(module, "heat", None)
        if callable(heat):
            nodes[nid] = heat()
    return {"event": "link_matrix", "step": step, "nodes": nodes} if nodes else None


def metrics_event(records: list[dict], keys=LiveCallback.KEYS) -> dict:
    """Step records as one ``metrics`` event: a step column and one column per metric."""
    steps = [int(r.get("step", i)) for i, r in enumerate(records)]
    values = {}
    for k in keys:
        col = [_finite(r[k]) if k in r else None for r in records]
        if any(v is not None for v in col):
            values[k] = col
    return {"event": "metrics", "step": steps, "values": values}


#: records read from `run.history` at a time (it may be read from disk)
HISTORY_CHUNK = 65536


def _step_at(history: Any, i: int) -> float:
    rec = history[i:i + 1][0]
    return float(rec.get("step", i))


def _first_at_least(history: Any, step: float, lo: int, hi: int) -> int:
    """The first index in [lo, hi) whose record's step is >= `step` (steps only grow)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if _step_at(history, mid) < step:
            lo = mid + 1
        else:
            hi = mid
    return lo


def markers_of(events: list[dict]) -> list[dict]:
    """The run's events a person wants to see on the loss plot, as vertical markers: a
    learning-rate change (``set`` with ``lr``), a rebuild, a switch to another optimizer
    phase, a pause, a fork's start. ``{"step", "kind", "label"}`` each."""
    out = []
    for e in events:
        kind, step = e.get("type"), e.get("step")
        if not isinstance(step, int):
            continue
        if kind == "set" and isinstance(e.get("lr"), (int, float)):
            out.append({"step": step, "kind": "lr", "label": f"lr {e['lr']:.3g}"})
        elif kind == "rebuild":
            out.append({"step": step, "kind": "rebuild", "label": "rebuild"})
        elif kind == "phase" and isinstance(e.get("phase"), int) and e["phase"] > 0:
            out.append({"step": step, "kind": "phase",
                        "label": f"phase {e['phase'] + 1}: {e.get('kind', '')}".rstrip(": ")})
        elif kind == "pause":
            out.append({"step": step, "kind": "pause", "label": "pause"})
        elif kind == "fork":
            out.append({"step": step, "kind": "fork", "label": "fork"})
    return out


def history_event(history: Any, keys, start: float | None = None, stop: float | None = None,
                  points: int = 1000) -> dict:
    """Metrics `keys` of the steps in [start, stop] of a run's `history` (a sequence of
    per-step dicts with ``len()`` and slicing; the whole run without a range): every step
    when there are at most `points`, else as many buckets of consecutive steps, each with
    the mean (``x``, ``y``), minimum (``lo``), maximum (``hi``), count (``n``) and first
    and last step, plus the range's first point exactly (``x0``, ``y0``: a bucket is drawn
    at its mean step, and the plot must still start where the run did). Read in chunks, so
    a run kept on disk is never read whole."""
    n = len(history)
    lo = 0 if start is None else _first_at_least(history, start, 0, n)
    hi = n if stop is None else _first_at_least(history, stop + 1e-9, lo, n)
    count = hi - lo
    width = max(1, -(-count // max(1, points)))
    acc: dict[str, dict[str, list]] = {
        k: {f: [] for f in ("x", "y", "lo", "hi", "n", "first", "last")} for k in keys}
    bucket_of: dict[str, int] = dict.fromkeys(keys, -1)
    for c0 in range(lo, hi, HISTORY_CHUNK):
        for j, rec in enumerate(history[c0:min(hi, c0 + HISTORY_CHUNK)]):
            b = (c0 + j - lo) // width
            x = float(rec.get("step", c0 + j))
            for k in keys:
                v = _finite(rec.get(k))
                if v is None:
                    continue
                a = acc[k]
                if bucket_of[k] != b:
                    if bucket_of[k] == -1:
                        a["x0"], a["y0"] = x, v
                    bucket_of[k] = b
                    for f, init in (("x", x), ("y", v), ("lo", v), ("hi", v), ("n", 1),
                                    ("first", x), ("last", x)):
                        a[f].append(init)
                    continue
                a["x"][-1] += x
                a["y"][-1] += v
                a["lo"][-1] = min(a["lo"][-1], v)
                a["hi"][-1] = max(a["hi"][-1], v)
                a["n"][-1] += 1
                a["last"][-1] = x
    series = {}
    for k, a in acc.items():
        if not a["n"]:
            continue
        a["x"] = [x / m for x, m in zip(a["x"], a["n"])]
        a["y"] = [y / m for y, m in zip(a["y"], a["n"])]
        series[k] = a
    return {"event": "history", "start": start, "stop": stop, "count": count,
            "series": series}


def _ode_time_input(run: Any, data: dict) -> str | None:
    """The input bound to an ODESolve's `t` port, when the run's graph solves an ODE."""
    graph = getattr(run, "graph_built", None) or getattr(run, "graph", None)
    nodes = getattr(graph, "nodes", None)
    if not isinstance(nodes, dict):
        return None
    solves = {nid for nid, n in nodes.items() if getattr(n, "type", None) == "ODESolve"}
    if not solves:
        return None
    for e in getattr(graph, "edges", ()):
        if e.target in solves and e.target_port == "t" and e.source in data:
            return e.source
    return None


def ode_predictions_event(name: str, t: Any, truth: Any, pred: Any, step: int,
                          limit: int = 500) -> dict | None:
    """Trajectories over time for an ODE graph: `t`, and per-state columns of data and model.

    The canvas draws them against time and as a phase portrait (state 0 against state 1).
    """
    import torch

    t = torch.as_tensor(t).detach().cpu().reshape(-1)
    truth = torch.as_tensor(truth).detach().cpu()
    pred = torch.as_tensor(pred).detach().cpu()
    if len(t) != len(truth) or len(pred) != len(truth) or len(t) == 0:
        return None
    n = min(len(t), limit)
    idx = torch.linspace(0, len(t) - 1, n).long()
    order = torch.argsort(t[idx])

    def rows(v):
        return v.reshape(len(v), -1)[idx][order][:, :4].float().tolist()

    return {"event": "predictions", "kind": "ode", "t": t[idx][order].tolist(),
            "x": t[idx][order].tolist(), "y_true": rows(truth), "y_pred": rows(pred),
            "step": int(step), "output": name}


def predictions_event(run: Any, snapshot: dict, limit: int = 500) -> dict | None:
    """The first output that has data of the same name, against the first input; for an
    ODE graph (an ODESolve node), the trajectories against the solve's time input."""
    import torch

    outputs = snapshot.get("outputs") or {}
    try:
        data = run.dataset.full()
    except Exception:  # noqa: BLE001 - runs without a dataset view
        return None
    time_input = _ode_time_input(run, data)
    for name, pred in outputs.items():
        if name not in data:
            continue
        truth = data[name]
        if time_input is not None:
            event = ode_predictions_event(name, data[time_input], truth, pred,
                                          int(snapshot.get("step", 0)), limit)
            if event is not None:
                event["input"] = time_input
                return event
        inputs = [k for k in getattr(run.model, "input_names", []) if k in data]
        x = data[inputs[0]] if inputs else torch.arange(len(truth))
        n = min(len(truth), limit)
        idx = torch.linspace(0, len(truth) - 1, n).long()
        xs = x.detach().cpu()[idx]
        xs = xs[:, 0] if xs.ndim > 1 else xs
        order = torch.argsort(xs)

        def rows(t, idx=idx, order=order):
            t = t.detach().cpu().reshape(len(t), -1)[idx][order]
            return t[:, :4].tolist()

        return {"event": "predictions", "x": xs[order].tolist(), "y_true": rows(truth),
                "y_pred": rows(pred), "step": int(snapshot.get("step", 0)), "output": name,
                "input": inputs[0] if inputs else "index"}
    return None


class RunControl:
    """Runs ``dw.train`` for an editor and maps the canvas's commands onto the run.

    Commands never wait for the training thread (``wait=False``): the message handler
    returns at once and the run's state changes come back through :class:`LiveCallback`.
    """

    LIVE = ("idle", "running", "paused")

    def __init__(self, editor: Editor):
        self.editor = editor
        self.run: Any = None
        self.callback: LiveCallback | None = None
        self.options: dict = {}
        self.watched: str | None = None
        self.stats: dict = {}
        self.probes = ProbeSet()
        #: seconds between status and metric messages of the runs started here (the plot
        #: refresh rate; the JupyterLab document host sets it from the extension's settings)
        self.interval = 0.25

    #: Training can start from this editor (the status carries it for the front end).
    available = True

    def _status(self, **kw: Any) -> None:
        s = dict(self.editor.status or NO_RUN)
        s.update(kw)
        s["available"] = self.available
        s["run"], s["optimizer"] = self._run_id(), self._optimizer_node()
        self.editor.status = s

    def is_live(self) -> bool:
        """A run of this editor is starting, running or paused."""
        return self.run is not None and self._state() in self.LIVE

    # commands -----------------------------------------------------------------------

    def train(self) -> None:
        """Start a new run on a copy of the graph (edits after this mark the run stale)."""
        train = start_run
        if self.is_live():
            return
        opts = dict(self.options)
        self.callback = LiveCallback(self.editor, interval=self.interval)
        opts["callbacks"] = [self.callback, *opts.get("callbacks", ())]
        opts.setdefault("progress", False)
        opts.setdefault("stats_every", 50)
        self.editor.send({"event": "reset_metrics"})
        self.stats = {}
        self._status(state="starting", step=0, steps_per_s=0.0, stale=False, message="")
        try:
            self.run = train(self.editor.graph.copy(), **opts)
        except Exception as e:
            self._status(state="failed", message=str(e))
            raise
        self._status(state=self._state() or "running", lr=self._lr())

    def pause(self) -> None:
        if self.run is not None:
            self.run.pause(wait=False)

    def resume(self) -> None:
        if self.run is not None:
            self.run.resume(wait=False)

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop(wait=False)

    def set(self, name: str, value: Any) -> None:
        """Set a hyperparameter (``lr``...) on the run, or for the next run."""
        if name == "lr":
            value = float(value)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError("the learning rate must be a positive number")
        if self.is_live():
            self.run.set(wait=False, **{name: value})
        else:
            self.options[name if name != "lr" else "optimizer"] = (
                value if name != "lr" else _with_lr(self.options.get("optimizer"), value))
        if name == "lr":
            self._status(lr=value)

    def rebuild(self) -> None:
        """Apply the canvas's edits to the run; unchanged nodes keep their weights."""
        if self.is_live():
            self.run.rebuild(self.editor.graph.copy(), wait=False)
        self._status(stale=False)

    def history(self, content: dict) -> None:
        """Answer the plots' ``history`` command: the current run's metrics over a step
        range at full resolution (or bucketed to ``points``), or the whole run."""
        hist = getattr(self.run, "history", None)
        if hist is None:
            return
        keys = [str(k) for k in (content.get("keys") or LiveCallback.KEYS)]
        points = min(20000, max(10, int(content.get("points") or 1000)))

        def num(v):
            return None if v is None else float(v)

        event = history_event(hist, keys, num(content.get("start")), num(content.get("stop")),
                              points)
        event["req"] = content.get("req")
        if content.get("start") is None and content.get("stop") is None:
            event["markers"] = markers_of(getattr(self.run, "events", None) or [])
        self.editor.send(event)

    def probe(self, content: dict) -> None:
        """Probe (``on``) or stop probing an edge: its values stream as ``probe`` events."""
        edge = content.get("edge")
        if not isinstance(edge, dict):
            raise ValueError("probe: 'edge' must be {source, source_port, target, target_port}")
        self.probes.set(edge, bool(content.get("on", True)))

    def watch(self, node: str | None) -> None:
        """Follow `node` in the live panel's statistics table."""
        self.watched = node
        self._send_stats()

    # from the run (training or delivery thread) -----------------------------------------

    def write_learned(self, run: Any) -> None:
        """When a run of this document's structure ends, params its training determined (a
        LUT's truth table) go back into the document and the canvas (one push)."""
        model, graph = getattr(run, "model", None), self.editor.graph
        if model is None or getattr(run, "state", None) == "failed" or self.is_live():
            return
        learned = learned_params(graph, model)
        if learned:
            for nid, params in learned.items():
                graph.nodes[nid].params.update(params)
            self.editor.refresh()

    def graph_edited(self) -> None:
        # a probe goes with its edge
        self.probes.keep_only({edge_key(e) for e in self.editor.graph.edges})
        if self.is_live():
            self._status(stale=True)

    def progress(self, step: int, rate: float, run: Any) -> None:
        self._status(step=int(step), steps_per_s=float(rate), lr=self._lr(), state=self._state())

    def node_stats_record(self, stats: dict) -> None:
        self.stats = stats
        self._send_stats()

    def state_changed(self, state: str | None, run: Any) -> None:
        kw: dict = {"state": state or self._state() or "none"}
        reason = getattr(run, "reason", None)
        kw["message"] = f"{kw['state']}: {reason}" if reason and kw["state"] in ("failed", "paused") else ""
        step = getattr(run, "step", None)
        if isinstance(step, int):
            kw["step"] = step
        self._status(**kw)

    # ------------------------------------------------------------------------------

    def _send_stats(self) -> None:
        node = self.watched
        if not node:
            return
        out: dict[str, float] = {}
        s = self.stats.get(node)
        if isinstance(s, dict):
            out.update({k: float(v) for k, v in s.items() if isinstance(v, (int, float))})
        model = getattr(self.run, "model", None)
        if model is not None:
            try:
                params = [p.detach() for p in model.blocks[node.split("/")[0]].parameters()]
            except Exception:  # noqa: BLE001 - a node without weights, or one the run predates
                params = []
            if params:
                import torch

                flat = torch.cat([p.flatten().float().cpu() for p in params])
                out.update({"weights": float(flat.numel()), "weight mean": float(flat.mean()),
                            "weight std": float(flat.std()) if flat.numel() > 1 else 0.0})
        if out:
            self.editor.send({"event": "node_stats", "node": node, "stats": out})

    def _state(self) -> str | None:
        return getattr(self.run, "state", None)

    def _run_id(self) -> str | None:
        """The current run's folder name in the runs folder (the runs table's id)."""
        store = getattr(getattr(self.run, "rec", None), "store", None)
        rid = getattr(store, "id", None)
        return rid if isinstance(rid, str) else None

    def _optimizer_node(self) -> str | None:
        """The Optimizer node of the phase running now, while the run is live (the canvas
        shows the live learning rate on it)."""
        if not self.is_live():
            return None
        try:
            node = self.run.config.phases[self.run.phase].node
        except (AttributeError, IndexError, TypeError):
            return None
        return node if isinstance(node, str) else None

    def _lr(self) -> float | None:
        hist = getattr(self.run, "history", None)
        if hist:
            lr = hist[-1].get("lr")
            if isinstance(lr, (int, float)):
                return float(lr)
        opt = self.options.get("optimizer")
        if isinstance(opt, tuple) and len(opt) == 2 and isinstance(opt[1], dict):
            return opt[1].get("lr")
        return None


def _with_lr(optimizer: Any, lr: float) -> Any:
    if isinstance(optimizer, tuple) and len(optimizer) == 2:
        return (optimizer[0], {**optimizer[1], "lr": lr})
    if isinstance(optimizer, str):
        return (optimizer, {"lr": lr})
    return ("adam", {"lr": lr})
