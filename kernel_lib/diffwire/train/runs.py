"""Reading kept runs back: ``dw.runs(path)`` lists a store, ``dw.load_run(path)`` opens one.

Nothing here runs code from the files: records and metrics are JSON, the graph loads with
``document.load`` and the weights with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket

from ..compile import compile_graph
from ..document import Graph
from ..document import load as load_graph
from ..shapes import resolve_auto
from . import checkpoint as ckpt
from .batched import BatchedMembers
from .ensemble import Ensemble
from .history import History, Summary
from .store import RUN_FILE, RunStore, StoreError, read_record, runs_folder

LIVE = ("idle", "running", "paused")


def _state(rec: dict) -> str:
    """The record's state, or ``interrupted`` when it says live but its process on this
    machine is gone (a killed kernel cannot write its end)."""
    state = rec.get("state")
    if state in LIVE and rec.get("host") == socket.gethostname():
        pid = rec.get("pid")
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return "interrupted"
        except (PermissionError, TypeError, ValueError):
            pass
    return state


def runs(path: str | os.PathLike) -> list[dict]:
    """The runs kept for a document (``NAME.diffwire``) or in a runs folder, oldest first.

    Each is its record (``run.json``: id, parent, state, step, steps, loss, best_loss,
    val_loss, best_val_loss, timing, seed, device, threads, checkpoints...) plus ``path``.
    A run whose kernel died says ``state: "interrupted"``. Folders that are not runs are
    left out; a record that cannot be read is listed with its ``error``."""
    p = pathlib.Path(path)
    root = runs_folder(p) if p.suffix == ".diffwire" else p
    if not root.is_dir():
        return []
    out = []
    for d in sorted(root.iterdir()):
        if not (d / RUN_FILE).is_file():
            continue
        try:
            rec = read_record(d)
            rec["state"] = _state(rec)
        except StoreError as exc:
            rec = {"id": d.name, "state": "unreadable", "error": str(exc)}
        rec["path"] = str(d)
        out.append(rec)
    return out


class LoadedRun:
    """A kept run, read back from its folder.

    - `record`: ``run.json`` (with ``state`` corrected to ``interrupted`` for a dead run).
    - `graph`: the graph and training section its final weights belong to.
    - `model`: that graph compiled with the final weights (``weights.pt``), or with the
      last kept checkpoint's when the run did not end (`weights_from` says which).
    - `history`: every step's record, read from disk on demand (``len``, ``[i]``, ``[a:b]``).
    - `events`: lr changes, rebuilds, phases, pauses, checkpoints, in order.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = pathlib.Path(path)
        if self.path.name == RUN_FILE:
            self.path = self.path.parent
        self.record = read_record(self.path)
        self.record["state"] = _state(self.record)
        self.store = RunStore(self.path)
        self.id = self.record.get("id") or self.path.name
        self.history = History(self.store.metrics)
        events = self.path / "events.json"
        self.events: list[dict] = json.loads(events.read_text()) if events.is_file() else []
        self._model = None
        self.weights_from: pathlib.Path | None = None

    @property
    def state(self) -> str:
        return self.record["state"]

    @property
    def graph(self) -> Graph:
        return load_graph(self.path / "model.diffwire")

    @property
    def checkpoints(self) -> list[pathlib.Path]:
        """The kept checkpoint files, oldest first."""
        kept = sorted(self.record.get("checkpoints") or [], key=lambda c: c["step"])
        return [self.path / c["file"] for c in kept if (self.path / c["file"]).is_file()]

    @property
    def model(self):
        if self._model is None:
            import torch

            weights = self.path / "weights.pt"
            if weights.is_file():
                graph = self.graph
                state = torch.load(weights, map_location="cpu", weights_only=True)
                self.weights_from = weights
            elif self.checkpoints:
                ck = ckpt.load(self.checkpoints[-1])
                graph, state = Graph.from_json(ck["document"]), ck["model"]
                self.weights_from = self.checkpoints[-1]
            else:
                raise StoreError(f"run {self.id} has no weights: it ended before its first "
                                 "checkpoint", hint="set checkpoint_every to keep some")
            ens = (graph.training or {}).get("ensemble")
            if ens is None:
                model = graph.compile(seed=0)
            else:  # every member, as the run held them (members.<i>.blocks...)
                model = BatchedMembers([compile_graph(resolve_auto(g), check=False) for g in
                                        Ensemble.from_spec(ens).member_graphs(graph)])
            model.load_state_dict(state)
            self._model = model
        return self._model

    def member(self, i: int):
        """Member `i` of an ensemble run, as :meth:`EnsembleRun.member` gives it: a compiled
        model with its weights, its graph at ``.graph`` (from ``members/<i>/``, else from
        the run's last weights)."""
        folder = self.path / "members" / f"{i:03d}"
        if (folder / "weights.pt").is_file() and (folder / "model.diffwire").is_file():
            import torch

            graph = load_graph(folder / "model.diffwire")
            model = compile_graph(resolve_auto(graph), check=False)
            model.load_state_dict(torch.load(folder / "weights.pt", map_location="cpu",
                                             weights_only=True))
            model.graph = graph
            return model
        members = getattr(self.model, "members", None)
        if members is None or not 0 <= i < len(members):
            raise StoreError(f"run {self.id} has no member {i}",
                             found=f"{len(members)} members" if members else "not an ensemble")
        return members[i]

    def summary(self, limit: int = 2048) -> Summary:
        """The history's scalar series in at most `limit` points each (reads every chunk
        once; memory stays bounded)."""
        s = Summary(limit)
        for r in self.history:
            s.add(r)
        return s

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """``(steps, values)`` of one metric (``loss``, ``val_loss``, ``lr``...)."""
        return self.history.series(key)

    def __repr__(self) -> str:
        return (f"<LoadedRun {self.id} {self.state} step {self.record.get('step')}"
                f"/{self.record.get('steps')}>")


def load_run(path: str | os.PathLike) -> LoadedRun:
    """Open a kept run folder (``NAME.runs/<run id>``): its model, history, events and
    record. See :class:`LoadedRun`."""
    return LoadedRun(path)
