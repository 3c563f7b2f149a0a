"""dw.ablate: the structure-ablation experiment on the person's own graph (or, given an
AblationSpec or a spec name, the Python spec experiment of diffwire.ode)."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import pathlib
import threading
import time
from collections.abc import Callable

from ... import threads
from ...document import Graph
from ...errors import GraphError
from ...ode.ablate import ablate as ablate_spec
from ...ode.arguments import check_budget, check_fractions, check_seeds
from ...ode.backends import BACKENDS
from ..store import now, runs_folder
from .batched import run_batched
from .data import prepare
from .job import GraphJob, run_graph_job
from .result import GraphAblationResult
from .terms import build, field_terms, resolve_terms, variants

CONTROLS = ("neural", "black_box", "wrong")
#: "batched" (the default) trains variants x seeds x fractions as ensembles in this
#: process (batched.py), falling back to "local" for a group vmap cannot batch
GRAPH_BACKENDS = ("batched", *BACKENDS)


def ablate(graph="lotka_volterra", terms=None, seeds=5, budget=None, fractions=(1.0,),
           controls=CONTROLS, wrong=None, backend: str = "batched", workers: int | None = None,
           horizons=(2, 10), document: str | os.PathLike | None = None, save: bool = True,
           out: str | os.PathLike | None = None,
           on_progress: Callable[[int, int, dict], None] | None = None,
           stop: threading.Event | None = None, **spec_kwargs):
    """Train every subset of a vector field's known terms as supplied structure, plus
    controls, from the person's own graph and its training data.

    **Arguments:**

    - `graph`: a Graph with an ODESolve whose `field` body holds Expression terms and a
      training section (or an :class:`AblationSpec` / spec name: the spec experiment,
      see ``diffwire.ode.ablate``).
    - `terms`: node ids (``"known"`` or ``"solve/field/known"``) of the terms to vary;
      default: the Expressions marked ``ablatable``. A withheld term's output is zero, so
      its job falls to the neural part.
    - `seeds`: an int n (seeds 0..n-1, at most 100) or a list of seeds; a seed sets the
      network's initial weights and the data subsample.
    - `budget`: Adam steps (int) or ``{"adam": n, "lr": 0.05, "lbfgs": m}``; default the
      document's own schedule.
    - `fractions`: fractions of the training points (error vs data).
    - `controls`: any of ``"neural"`` (every term withheld), ``"black_box"`` (a
      parameter-matched network of t, no ODE), ``"wrong"`` (a wrong term supplied).
    - `wrong`: ``{term: expression}`` for the wrong control, or ``{term: None}`` for that
      term with its sign flipped; default: the first term with its sign flipped.
    - `backend`: ``"batched"`` (default: every variant, seed and fraction of one shape
      trained as one batched ensemble in this process; a group that cannot batch falls
      back to ``"local"``, the reason kept in ``meta["batched"]``), ``"local"`` (one
      process per job), ``"inline"`` or ``"ray"``; `workers` caps the processes.
    - `document`: the ``.diffwire`` file: data files are read beside it and the results
      kept in ``NAME.runs/ablation-<id>/`` (`out`: another runs folder; `save=False`:
      not kept).
    - `on_progress(done, total, row)`: called as each job ends (batched: as each group
      ends; Ray: at the end).
    - `stop`: a ``threading.Event``; once set, jobs not yet started are dropped and the
      call raises a GraphError (port ``stop``); nothing is kept.

    **Returns:** a :class:`GraphAblationResult` (`.summary`, `.to_markdown()`,
    `.figures()`, `.path`). A variant whose solve fails is a row with its `failure`.
    """
    if not isinstance(graph, Graph):
        # the spec experiment builds its own graphs per job: no batched form of it
        return ablate_spec(graph, terms=terms, seeds=seeds,
                           budget=200 if budget is None else budget, fractions=fractions,
                           backend="local" if backend == "batched" else backend,
                           workers=workers, horizons=horizons, **spec_kwargs)
    if spec_kwargs:
        raise GraphError("unknown argument to ablate", port=sorted(spec_kwargs)[0],
                         found=sorted(spec_kwargs))
    if backend not in GRAPH_BACKENDS:
        raise GraphError("unknown backend", port="backend", expected=sorted(GRAPH_BACKENDS),
                         found=backend)
    seed_list = check_seeds(seeds)
    fracs = check_fractions(fractions)
    horizons = tuple(int(h) for h in horizons)
    varied = resolve_terms(graph, terms)
    models = variants(graph, varied, tuple(controls), wrong)
    doc = pathlib.Path(document) if document is not None else None
    root = doc.parent if doc is not None else pathlib.Path.cwd()
    shared = prepare(graph, root, horizons)
    b = check_budget(shared.budget if budget is None else budget)
    n_params = _field_parameters(graph)
    graphs = {v.name: build(graph, varied, v, shared.dim, n_params).to_dict() for v in models}
    jobs = [GraphJob(graphs[v.name], v.name, v.kind, v.terms, s, f, b, shared.inputs,
                     shared.t_name, shared.output, shared.target, shared.span, horizons,
                     shared.grid, shared.truth)
            for v in models for f in fracs for s in seed_list]
    started, t0 = now(), time.perf_counter()
    batched = None
    if backend == "batched":
        rows, batched = run_batched(
            graph, varied, models, jobs,
            lambda some: dispatch(some, "local", workers, None, stop), on_progress, stop)
    else:
        rows = dispatch(jobs, backend, workers, on_progress, stop)
    meta = {"document": doc.name if doc else None, "terms": [t.path for t in varied],
            "seeds": seed_list, "budget": b, "fractions": fracs, "horizons": list(horizons),
            "controls": list(controls), "backend": backend, "started": started,
            "wall_s": time.perf_counter() - t0,
            "wrong": list(next((v.wrong for v in models if v.kind == "wrong"), ())),
            "truth": shared.truth is not None, "criterion": "bic"}
    if batched is not None:
        meta["batched"] = batched
    result = GraphAblationResult(rows, models, meta)
    if save and (out is not None or doc is not None):
        result.save(pathlib.Path(out) if out is not None else runs_folder(doc))
    return result


def _stopped(stop) -> None:
    if stop is not None and stop.is_set():
        raise GraphError("the ablation was stopped; nothing was kept", port="stop")


def dispatch(jobs: list, backend: str, workers: int | None, on_progress=None,
             stop: threading.Event | None = None) -> list:
    """Run the jobs, results in job order, reporting each as it ends (Ray reports at the
    end: its backend hands back the whole list)."""
    total = len(jobs)
    if backend == "inline":
        rows = []
        for job in jobs:
            _stopped(stop)
            rows.append(run_graph_job(job))
            if on_progress:
                on_progress(len(rows), total, rows[-1])
        return rows
    if backend == "local":
        n = threads.workers(workers, total)
        ctx = multiprocessing.get_context("spawn")
        rows: list = [None] * total
        with concurrent.futures.ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            futures = {pool.submit(run_graph_job, job): i for i, job in enumerate(jobs)}
            for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
                if stop is not None and stop.is_set():
                    pool.shutdown(wait=False, cancel_futures=True)
                    _stopped(stop)
                rows[futures[fut]] = fut.result()
                if on_progress:
                    on_progress(done, total, rows[futures[fut]])
        return rows
    rows = BACKENDS[backend](run_graph_job, jobs, workers)
    if on_progress:
        for i, row in enumerate(rows, 1):
            on_progress(i, total, row)
    return rows


def _field_parameters(graph: Graph) -> int:
    """Trainable parameters of the full model's vector fields besides the known terms: the
    black box gets as many."""
    model = graph.compile(seed=0)
    terms = {t.path for t in field_terms(graph)}
    total = 0
    for name, p in model.named_parameters():
        if p.requires_grad and not any(f".{t.rsplit('/', 1)[-1]}." in f".{name}." for t in terms):
            total += p.numel()
    return total
