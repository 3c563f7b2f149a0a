"""``dw.sweep``: train a graph once per point of a hyperparameter space, locally or on Ray."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from ..document import Graph, atomic_write_text
from ..document import load as load_graph
from ..errors import GraphError
from ..train.config import resolve
from ..train.data import resolve as resolve_data
from ..train.paths import run_folder
from ..train.store import new_id, now, runs_folder
from . import space as spaces
from .backends import BACKENDS
from .result import SweepResult
from .trial import Trial

SWEEPS = "sweeps"  # <runs folder>/sweeps/<sweep id>.json: the sweep's own record


def sweep(graph: Graph | str | os.PathLike, space: dict, *, samples: int | None = None,
          search_seed: int = 0, backend: str = "local", workers: int | None = None,
          address: str | None = None, data: dict | None = None, loss: Any = None,
          optimizer: Any = None, schedule: list | None = None, steps: int | None = None,
          seed: int | None = None, batch_size: int | None = None,
          out: str | os.PathLike | None = None,
          data_root: str | os.PathLike | None = None) -> SweepResult:
    """Train `graph` once per trial of `space`; every trial is a kept run.

    **Arguments:**

    - `graph`: a :class:`~diffwire.Graph` or a ``.diffwire`` path (its training section
      supplies what is not given here, as for ``dw.train``).
    - `space`: name -> list of values, or a distribution (see ``diffwire/sweep/space.py``):
      training options ``lr``, ``optimizer``, ``steps``, ``seed``, ``batch_size`` and block
      parameters by node path, ``"mlp.widths"``, ``"adam.lr"``,
      ``"solve.field.U.widths"``. ``lr``/``optimizer`` need a single optimizer phase;
      with a schedule, vary a phase's Optimizer node (``"adam.lr"``).
    - `samples`: None: the grid (every combination of the lists); N: N random trials,
      drawn with `search_seed`.
    - `backend`: ``"local"`` (default: trials in spawned processes, one per free core, or
      one after another in this process when one core is free; ``diffwire/threads.py``)
      or ``"ray"`` (one CPU per trial on the cluster at `address`, ``RAY_ADDRESS``, the
      one this process joined, else a private local instance; ``pip install
      'diffwire[ray]'``). `workers` caps the parallel trials.
    - `data`, `loss`, `optimizer`, `schedule`, `steps`, `seed`, `batch_size`: as for
      ``dw.train``, shared by every trial (a trial's own values win). The data are read
      once, here, and sent to every trial, so all see the same arrays.
    - `out`: the runs folder; default ``NAME.runs`` beside the document.

    **Returns:** a :class:`SweepResult`: `rows` (one per trial: its values, state, reason,
    final and best loss, steps, time, run id), `to_markdown()`, `best`, `figure()` (a
    parallel-coordinates plot). Each trial's run is in the runs folder (``dw.runs``),
    named after its values and tagged ``{"sweep": id, "trial": i, "hyperparameters"}``;
    the sweep's record is ``<runs folder>/sweeps/<id>.json``. A trial that fails (a bad
    value, a diverging solve) is a row with ``state: "failed"`` and its reason; the
    others go on.
    """
    if backend not in BACKENDS:
        raise GraphError("unknown backend", port="backend", expected=sorted(BACKENDS),
                         found=backend)
    if not isinstance(graph, Graph):
        path = pathlib.Path(graph)
        graph = load_graph(path)
        data_root = data_root if data_root is not None else path.parent
        out = runs_folder(path) if out is None else out
    if out is None:
        raise GraphError("a sweep keeps its trials as runs and needs a runs folder",
                         port="out", expected="out='model.runs', or the graph as a path",
                         found=None)
    out = run_folder(out, data_root)
    checked = spaces.check(graph, space, samples)
    points = spaces.expand(checked, samples, search_seed)
    base = dict(loss=loss, optimizer=optimizer, schedule=schedule, steps=steps, seed=seed,
                batch_size=batch_size)
    config = resolve(graph, data=data, **base)  # the shared settings fail here, not per trial
    phase_node, phase_spec = _phase(config, checked, optimizer)
    tensors = resolve_data(config.bindings, data_root)
    bindings = {name: _in_memory(b, tensors[name]) for name, b in config.bindings.items()}
    train = {k: v for k, v in base.items() if v is not None}
    train["data"] = bindings
    sweep_id = new_id()
    document = graph.to_json()
    trials = [Trial(i, sweep_id, p, document, train, phase_node, phase_spec)
              for i, p in enumerate(points)]
    started = now()
    rows = BACKENDS[backend](trials, out, workers=workers, address=address)
    rows.sort(key=lambda r: r["trial"])
    result = SweepResult(sweep_id, checked, rows, backend=backend, samples=samples,
                         search_seed=search_seed)
    result.path = out / SWEEPS / f"{sweep_id}.json"
    result.path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(result.path, json.dumps(
        {"format": "diffwire-sweep/1", "id": sweep_id, "started": started, "ended": now(),
         **result.to_dict()}, indent=1, default=str) + "\n")
    return result


def _phase(config, checked: dict, optimizer) -> tuple[str | None, dict | None]:
    """Where ``lr``/``optimizer`` go: the single phase's Optimizer node, or an inline
    spec built on the phase's."""
    if not {"lr", "optimizer"} & set(checked):
        return None, None
    if len(config.phases) != 1:
        name = "lr" if "lr" in checked else "optimizer"
        nodes = [ph.node for ph in config.phases if ph.node]
        raise GraphError(f"the training has {len(config.phases)} optimizer phases; "
                         f"'{name}' would not say which", port=f"space.{name}",
                         expected="one phase", found=len(config.phases),
                         hint=f"vary a phase's Optimizer node, e.g. '{nodes[0]}.lr'" if nodes
                         else "give the sweep a single optimizer")
    ph = config.phases[0]
    return (ph.node, None) if ph.node is not None and optimizer is None else (None, ph.spec)


def _in_memory(binding: dict, value) -> dict:
    """A binding whose array travels with the trial (a worker has no kernel, and a Ray
    node may not have the document's files); batching and windows stay as they were."""
    keep = {k: v for k, v in binding.items() if k in ("batch", "window")}
    return {"source": "kernel", "value": value, **keep}
