"""The batched backend of a graph ablation: variants x seeds x data fractions trained as one
ensemble wherever their shapes allow, in this process.

Every subset variant (and the pure neural ODE) is the person's graph with some terms
withheld; here that is one graph with a 0/1 mask after every term of the fields
(``ensemble.insert_mask``: Constant * term), so all of them share one structure and differ
only in the mask's values and their seed. A withheld term's output is zero either way, so
the vector field, and so the arithmetic, is the per-variant backend's. The controls of
another shape (the black box, the wrong term) are ensembles of their own over seeds and
fractions. Data fractions and seeds select different time points of one trajectory: every
member is solved on the whole grid and its loss is the mean over its own points.

A group whose graph vmap refuses (an adaptive solver's step control reads values back to
Python) runs through the per-variant backend instead; the reason is logged and kept in
the result's ``meta["batched"]``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

import torch

from ...compile import compile_graph
from ...document import Graph
from ...errors import GraphError
from ...ode.jobs import subsample
from ...ode.solve import solver_stats
from ..batched import BatchedMembers
from ..ensemble import insert_mask
from .batched_fit import fit_members
from .job import GraphJob, information_criteria, score
from .terms import GraphVariant, Term, field_terms, solves

log = logging.getLogger("diffwire.ablation")


def masked_graph(graph: Graph, terms: list[Term], variant: GraphVariant,
                 varied: list[Term]) -> Graph:
    """The person's graph with a mask after every field term: 1 where `variant` supplies
    the term (the varied terms it lists, and every term not varied), 0 where it withholds
    it (the neural ODE withholds all)."""
    varied_paths = {t.path for t in varied}
    g = graph.copy()
    for t in terms:
        on = variant.kind != "neural" and (t.path in variant.terms or t.path not in varied_paths)
        insert_mask(g, t.path, [1.0 if on else 0.0])
    return g


def groups(graph: Graph, varied: list[Term], models: list[GraphVariant],
           jobs: list[GraphJob]) -> list[tuple[list[int], list[Graph]]]:
    """(job indices, each job's member graph) per group of one structure: every masked
    variant together, then each other variant (controls of their own shape) alone."""
    terms = field_terms(graph)
    by_name = {v.name: v for v in models}
    masked: dict[str, Graph] = {}
    out: dict[str, tuple[list[int], list[Graph]]] = {}
    for i, job in enumerate(jobs):
        v = by_name[job.variant]
        if v.kind in ("ude", "neural") and terms:
            if v.name not in masked:
                masked[v.name] = masked_graph(graph, terms, v, varied)
            key, g = "masked", masked[v.name]
        else:
            key, g = v.name, Graph.from_dict(job.graph)
        idx, graphs = out.setdefault(key, ([], []))
        idx.append(i)
        graphs.append(g)
    return list(out.values())


def run_batched(graph: Graph, varied: list[Term], models: list[GraphVariant],
                jobs: list[GraphJob], fallback: Callable[[list[GraphJob]], list[dict]],
                on_progress=None, stop: threading.Event | None = None) -> tuple[list, dict]:
    """Every job's row, in job order, and a log of how each group ran:
    ``{"groups": [{variants, members, batched, wall_s, reason}]}``."""
    rows: list = [None] * len(jobs)
    params = _parameter_counts(jobs)
    record = {"groups": []}
    done = 0
    for idx, graphs in groups(graph, varied, models, jobs):
        mine = [jobs[i] for i in idx]
        names = sorted({j.variant for j in mine})
        t0 = time.perf_counter()
        try:
            got = _train_group(mine, graphs, params, stop)
            reason = None
        except _Refused as exc:
            reason = exc.reason
            log.info("ablation: %s trained per variant: %s", ", ".join(names), reason)
            got = fallback(mine)
        record["groups"].append({"variants": names, "members": len(mine),
                                 "batched": reason is None, "reason": reason,
                                 "wall_s": time.perf_counter() - t0})
        for i, row in zip(idx, got):
            rows[i] = row
            done += 1
            if on_progress:
                on_progress(done, len(jobs), row)
    return rows, record


class _Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _parameter_counts(jobs: list[GraphJob]) -> dict[str, int]:
    """Trainable parameters of each variant's own graph (a masked member also carries the
    withheld terms' learnable constants, which never train: they are not counted, as the
    per-variant backend does not count them)."""
    out = {}
    for job in jobs:
        if job.variant not in out:
            m = Graph.from_dict(job.graph).compile(seed=0, check=False)
            out[job.variant] = sum(p.numel() for p in m.parameters() if p.requires_grad)
    return out


def _failed(g: Graph) -> str:
    """A failed member's message, naming the solve as the per-variant backend's does."""
    where = solves(g)
    text = str(GraphError("the solution has NaN or inf values ({value})",
                          node=where[0] if where else None, port="y" if where else None,
                          hint="the field may blow up on this horizon"))
    return text.replace("{", "{{").replace("}", "}}").replace("{{value}}", "{value}")


def _train_group(jobs: list[GraphJob], graphs: list[Graph], params: dict,
                 stop: threading.Event | None) -> list[dict]:
    start = time.perf_counter()
    first = jobs[0]
    members = [compile_graph(g, seed=j.seed, check=i == 0).double()
               for i, (g, j) in enumerate(zip(graphs, jobs))]
    model = BatchedMembers(members)
    inputs = {k: v.double() if v.is_floating_point() else v for k, v in first.inputs.items()}
    target = first.target.double()
    n_t = len(inputs[first.t_name])
    subsets: dict[tuple, list[int]] = {}
    for k, j in enumerate(jobs):
        subsets.setdefault((j.fraction, j.seed), []).append(k)
    picks = [(torch.tensor(ks), subsample(n_t, f, s)) for (f, s), ks in subsets.items()]
    order = torch.argsort(torch.cat([ks for ks, _ in picks]))

    def forward(m, batch):
        out = m(**batch)
        return out[first.output] if isinstance(out, dict) else out

    def losses() -> torch.Tensor:
        """Each member's mean squared error over its own time points, [N]."""
        pred = model.vmap(forward, inputs)
        parts = []
        for ks, rows in picks:
            err = (pred[ks][:, rows] - target[rows]) ** 2
            parts.append(err.mean(dim=tuple(range(1, err.dim()))))
        return torch.cat(parts)[order]

    try:
        losses()
    except Exception as exc:  # noqa: BLE001 - whatever vmap refuses runs per variant
        raise _Refused(f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from None
    b = first.budget
    fits = fit_members(model, losses, b.get("adam", 100), b.get("lr", 0.05),
                       b.get("lbfgs", 0), stop, _failed(graphs[0]))
    with torch.no_grad():
        pred = model.vmap(forward, inputs)
        stats = solver_stats(model.members[0])  # the template member ran the batched solve
        nfe = sum(s["nfe"] for s in stats.values()) if stats else 0
        grid = pred if first.truth is None else \
            model.vmap(forward, {**inputs, first.t_name: first.grid.double()})
    wall = (time.perf_counter() - start) / len(jobs)
    rows = []
    for k, (job, fit) in enumerate(zip(jobs, fits)):
        n_obs = target[subsample(n_t, job.fraction, job.seed)].numel()
        finite = bool(torch.isfinite(pred[k]).all()) and bool(torch.isfinite(grid[k]).all())
        failure = fit.failure or (None if finite else _failed(graphs[k]).format(
            value="evaluated to the longest horizon"))
        row = {"variant": job.variant, "kind": job.kind, "terms": list(job.terms),
               "seed": job.seed, "fraction": job.fraction, "train_loss": fit.loss,
               "nfe": nfe if finite else math.nan, "wall_s": wall,
               "params": params[job.variant], "n_obs": n_obs, "failure": failure,
               **information_criteria(fit.loss, n_obs, params[job.variant]),
               **score(grid[k] if finite else None, job)}
        rows.append(row)
    return rows
