"""One trial of a sweep: the graph with its hyperparameters applied, trained as a kept run.

A plain function of plain data (:class:`Trial` pickles: the document as JSON, the data as
tensors), so the local processes and Ray run the very same thing. It never raises: a
trial that cannot start or that fails is a row with ``state: "failed"`` and its reason.
"""

from __future__ import annotations

import dataclasses
import io
import math
import pathlib
import shutil
import tarfile
import tempfile
import time
import traceback

from ..blocks import BLOCKS
from ..document import Graph
from ..errors import GraphError
from ..train.api import train
from ..train.optim import normalize
from .space import TRAINING, find_param


@dataclasses.dataclass
class Trial:
    """What one worker does.

    - `index`, `sweep`: the trial's number and the sweep's id (both go into the run's
      record). `values`: its hyperparameters, name -> value.
    - `document`: the graph and its training section, as JSON. `train`: the other
      ``dw.train`` arguments (data as in-memory bindings, loss...).
    - `phase_node`: the Optimizer node of the single phase, when ``lr``/``optimizer`` go
      there (else they go in as an inline optimizer).
    - `out`: the runs folder to write into; None: write into a temporary folder and return
      the run's folder packed (a Ray worker on another machine).
    - `threads`: torch threads (1 in a worker that shares the cores; None: the policy).
    """

    index: int
    sweep: str
    values: dict
    document: str
    train: dict
    phase_node: str | None = None
    phase_spec: dict | None = None
    out: str | None = None
    threads: int | None = None


def apply(graph: Graph, values: dict, phase_node: str | None, phase_spec: dict | None) -> dict:
    """Set the block parameters in `graph` (checked by each param's own rule) and return
    the ``dw.train`` arguments for the training options."""
    kwargs: dict = {}
    opt: dict = {}
    for name, value in values.items():
        if "." in name:
            node, param = find_param(graph, name)
            spec = next(p for p in BLOCKS[node.type].params if p.name == param)
            node.params[param] = spec.check(value, node.id)
        elif name in ("lr", "optimizer"):
            opt["kind" if name == "optimizer" else "lr"] = value
        elif name in TRAINING:
            kwargs[name] = value
    if opt:
        if phase_node is not None:  # the document's own Optimizer node shows the values
            node = graph.nodes[phase_node]
            node.params.update(normalize({**node.params, **opt}))
        else:
            kwargs["optimizer"] = normalize({**(phase_spec or {}), **opt})
    return kwargs


def label(values: dict) -> str:
    """``lr=0.01, mlp.widths=[1, 16, 1]``: how a trial is named in the runs list."""
    return ", ".join(f"{k}={_short(v)}" for k, v in values.items())


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def run_trial(trial: Trial) -> dict:
    """Train one trial as a kept run; its row: the hyperparameters, ``state``, ``reason``,
    ``loss`` (final), ``best_loss``, ``steps``, ``wall_s``, ``run`` (id) and ``path``."""
    row = {"trial": trial.index, "values": dict(trial.values), "state": "failed",
           "reason": None, "loss": math.nan, "best_loss": math.nan, "steps": 0,
           "run": None, "path": None}
    start = time.perf_counter()
    out = trial.out or tempfile.mkdtemp(prefix="dwsweep-")
    run = None
    try:
        graph = Graph.from_json(trial.document)
        kwargs = apply(graph, trial.values, trial.phase_node, trial.phase_spec)
        run = train(graph, **{**trial.train, **kwargs}, out=out, threads=trial.threads,
                    progress=False, start=False)
        run.rec.name = f"sweep {trial.sweep} #{trial.index}: {label(trial.values)}"
        run.rec.tags = {"sweep": trial.sweep, "trial": trial.index,
                        "hyperparameters": dict(trial.values)}
        run.start(background=False)
        if run.state == "paused":  # a NaN/inf pauses a run: in a sweep, the trial failed
            reason = run.reason
            run.stop()
            row["reason"] = reason
        row["state"] = "finished" if run.state == "finished" else "failed"
        row["reason"] = row["reason"] or (run.reason if row["state"] == "failed" else None)
        row.update(loss=_num(run.rec.last.get("loss")),
                   best_loss=_num(run.rec.last.get("best_loss")), steps=run.step)
    except GraphError as exc:
        row["reason"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - a trial's failure is a result, not a crash
        row["reason"] = f"{type(exc).__name__}: {exc}"
        row["traceback"] = traceback.format_exc(limit=5)
    row["wall_s"] = time.perf_counter() - start
    if run is not None and run.path is not None:
        row["run"], row["path"] = run.path.name, str(run.path)
        if trial.out is None:
            row["files"] = pack(run.path)
    if trial.out is None:
        shutil.rmtree(out, ignore_errors=True)
    return row


def _num(v) -> float:
    return math.nan if v is None else float(v)


def pack(folder: pathlib.Path) -> bytes:
    """A run folder as a gzipped tar, paths relative to its parent (``<run id>/...``)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return buf.getvalue()


def unpack(data: bytes, root: pathlib.Path) -> pathlib.Path:
    """Put a packed run folder into the runs folder `root`; returns its path. Members
    are checked by tarfile's ``data`` filter (no links out, no absolute paths)."""
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        names = {m.name.split("/")[0] for m in tar.getmembers()}
        if len(names) != 1:
            raise GraphError("a packed run holds one folder", found=sorted(names))
        tar.extractall(root, filter="data")
    return root / names.pop()
