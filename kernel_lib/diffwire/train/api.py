"""``dw.train`` and ``dw.resume``: build a run from a graph (or a checkpoint) and start it."""

from __future__ import annotations

import os
import pathlib
from typing import Any

from ..document import Graph
from ..document import load as load_graph
from ..errors import ParamError
from . import checkpoint as ckpt
from . import fork as forks
from .callbacks import STREAM_HZ, Callback, ProgressBar, want_progress
from .config import resolve
from .ensemble import Ensemble
from .ensemble_run import EnsembleRun
from .paths import run_folder
from .record import FLUSH_EVERY
from .run import Run
from .store import runs_folder


def train(
    graph: Graph | str | os.PathLike,
    *,
    data: dict | None = None,
    loss: Any = None,
    optimizer: Any = None,
    schedule: list | None = None,
    steps: int | None = None,
    batch_size: int | None = None,
    seed: int | None = None,
    val_split: float | None = None,
    eval_every: int | None = None,
    stats_every: int | None = None,
    checkpoint_every: int | None = None,
    keep_checkpoints: int | None = None,
    keep_best: bool | None = None,
    step_timeout: float | None = None,
    threads: int | str | None = None,
    compile: bool | str | None = None,
    ensemble: Any = None,
    device=None,
    callbacks: list[Callback] = (),
    out: str | os.PathLike | None | bool = None,
    fork: Any = None,
    flush_every: float = FLUSH_EVERY,
    data_root: str | os.PathLike | None = None,
    progress: bool | None = None,
    stream_hz: float = STREAM_HZ,
    background: bool = True,
    start: bool = True,
) -> Run:
    """Train a graph; returns the :class:`Run` (running in a background thread by default).

    Every argument left out comes from the graph's ``training`` section (see
    :func:`diffwire.training_config`), so ``dw.train(g)`` trains a graph loaded from a file.

    **Arguments:**

    - `graph`: a :class:`~diffwire.Graph` or the path of a ``.diffwire`` file.
    - `data`: name -> array/tensor (or a binding dict, or a kernel variable name).
    - `loss`: ``"mse"`` (pairs outputs with data of the same name), a term such as
      ``{"output": "y", "target": "y", "fn": "l1"}``, ``{"node": "loss"}``, or a list.
    - `optimizer`: ``("adam", {"lr": 1e-2})``, a kind, a spec dict or an Optimizer node id.
    - `schedule`: phases ``[{"optimizer": ..., "steps": N}, ...]`` (e.g. Adam then LBFGS).
    - `steps`, `batch_size` (None: full batch), `seed`, `val_split`, `eval_every`,
      `stats_every`, `checkpoint_every`: as in the training section.
    - `keep_checkpoints`, `keep_best`: checkpoint retention (training section; default the
      newest 5 and the one with the best validation loss, else training loss; 0 keeps all).
    - `step_timeout`: seconds one step may take; a step that runs longer fails the run,
      naming the node it was stuck in (its thread cannot be killed: it is abandoned as a
      daemon thread). 0 or None: no limit.
    - `threads`: torch threads of the training thread (``"auto"``, the default, picks one
      for small models and more only for large ops on free cores; see
      ``diffwire/threads.py``). Set in the training thread only: the notebook's own torch
      settings stay as they are. The choice and its reason are in ``run.threads``.
    - `compile`: True compiles each built-in fixed-step ODE solve, its forward and its
      discrete adjoint, into native code: one C program (about 40x faster steps on the LV
      UDE; the first step pays a compile of about 2 s, once per structure: it is kept in
      the on-disk cache, see ``diffwire/ode/compiled.py``), AOTInductor (about 35 s) for a
      field the C writer does not cover; ``"auto"`` does so for runs of 200 steps or more
      (AOTInductor from 2000); False (default) runs eager. What cannot compile runs eager with the reason logged
      and kept in ``run.compiled``; it never fails the run.
    - `ensemble`: train N members at once as one batched model, differing in seed,
      hyperparameters or masks over nodes: ``dw.Ensemble(seeds=[0, 1, 2])``,
      ``dw.Ensemble(lr=[1e-3, 1e-2])``, ``dw.Ensemble(masks={"solve/field/U": [[1, 1],
      [0, 1]]})`` (or its dict form; default: the training section's ``ensemble``).
      Returns an :class:`~diffwire.train.ensemble_run.EnsembleRun`: a history row per
      member, ``run.member(i)`` a compiled model per member (see ``ensemble.py``).
    - `device`: defaults to CUDA when available, else the CPU.
    - `callbacks`: :class:`Callback` instances.
    - `out`: the runs folder; the run writes ``out/<run id>/`` (metrics, weights, graph,
      events, checkpoints: see ``diffwire/train/README.md``). Default: ``NAME.runs`` beside
      the document when `graph` is a path, the parent's runs folder for a fork, else none
      (the run then lives in memory only). False: no folder.
    - `fork`: ``(run folder, step)``, a run folder (its latest kept checkpoint) or a
      checkpoint file: start from those weights with `graph` as it is now. Nodes with the
      same block type and tensor shapes take the checkpoint's weights, the rest start
      afresh; the new run's record names its parent and step.
    - `flush_every`: seconds between metric chunks written to the run's folder (what a
      killed kernel can lose at most).
    - `data_root`: folder that file bindings are relative to (a file's folder when `graph`
      is a path, else the working directory).
    - `progress`: a tqdm bar (default: on, except under pytest). `stream_hz`: how often
      ``on_metrics`` is called.
    - `background`: False runs in the calling thread until the run ends or pauses itself.
    - `start`: False returns the run idle (call ``run.start()``).

    **Returns:** the :class:`Run`.
    """
    if not isinstance(graph, Graph):
        path = pathlib.Path(graph)
        graph = load_graph(path)
        data_root = data_root if data_root is not None else path.parent
        out = runs_folder(path) if out is None else out
    parent = None
    if fork is not None:
        source, step = fork if isinstance(fork, tuple) else (fork, None)
        parent = forks.load(source, step)
        out = forks.parent_root(parent[0]) if out is None else out
    config = resolve(graph, data=data, loss=loss, optimizer=optimizer, schedule=schedule,
                     steps=steps, batch_size=batch_size, seed=seed, val_split=val_split,
                     eval_every=eval_every, stats_every=stats_every,
                     checkpoint_every=checkpoint_every, keep_checkpoints=keep_checkpoints,
                     keep_best=keep_best, step_timeout=step_timeout, threads=threads,
                     compile=compile,
                     ensemble=ensemble.to_json() if isinstance(ensemble, Ensemble) else ensemble)
    if config.ensemble is not None and fork is not None:
        raise ParamError("an ensemble starts from its members' own seeds, not a fork",
                         port="ensemble", found="fork and ensemble")
    run = _run(graph, config, out=out, data_root=data_root, callbacks=callbacks,
               progress=progress, device=device, stream_hz=stream_hz, flush_every=flush_every)
    if parent is not None:
        forks.start_from(run, *parent)
    if start:
        run.start(background=background)
    return run


# resume repeats train's run keywords rather than taking **kwargs, so help() and editors
# list them; tests/test_train_control.py holds the two lists (and the defaults) together
def resume(
    path: str | os.PathLike,
    *,
    data: dict | None = None,
    graph: Graph | None = None,
    steps: int | None = None,
    device=None,
    callbacks: list[Callback] = (),
    out: str | os.PathLike | None | bool = None,
    flush_every: float = FLUSH_EVERY,
    data_root: str | os.PathLike | None = None,
    progress: bool | None = None,
    stream_hz: float = STREAM_HZ,
    background: bool = True,
    start: bool = True,
) -> Run:
    """Continue a run from a checkpoint written by a previous run, as a new run.

    The checkpoint is read with ``torch.load(weights_only=True)``: a file that needs pickle
    is refused with a :class:`~diffwire.FormatError`. It holds the graph document (with the
    run's training section), weights, optimizer and schedule state, the step, the history
    and the RNG state, so a seeded CPU run continues exactly as if it had never stopped.
    Data bound to kernel values must be passed again as `data` (or be kernel variables).
    The new run goes into `out` (default: the runs folder the checkpoint's run is in); its
    record names the parent run and step, and its history begins with the parent's.
    `device`, `callbacks`, `flush_every`, `data_root`, `progress`, `stream_hz`,
    `background` and `start` are as in :func:`train`.

    **Returns:** the :class:`Run`, started unless `start` is False.
    """
    ck = ckpt.load(path)
    path = pathlib.Path(path)
    out = forks.parent_root(path) if out is None else out
    if graph is None:
        graph = Graph.from_json(ck["document"])
    config = resolve(graph, data=data, steps=steps)
    run = _run(graph, config, out=out, data_root=data_root, callbacks=callbacks,
               progress=progress, device=device, stream_hz=stream_hz, flush_every=flush_every)
    run.load_state(ck, path)
    if start:
        run.start(background=background)
    return run


def _run(graph: Graph, config, *, out, data_root, callbacks, progress, **kw) -> Run:
    """A run (an ensemble run when the configuration has an ensemble) writing into the
    folder `out` (None or False: none), with a progress bar when wanted."""
    if out is not None and out is not False:  # links may not lead out of the folder (paths.py)
        out = run_folder(out, data_root)
    callbacks = [*callbacks, ProgressBar()] if want_progress(progress) else list(callbacks)
    kw.update(out=out or None, data_root=data_root, callbacks=callbacks)
    if config.ensemble is None:
        return Run(graph, config, **kw)
    return EnsembleRun(graph, config, Ensemble.from_spec(config.ensemble), **kw)
