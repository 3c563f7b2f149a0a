"""The structure-ablation experiment: train with every subset of the known equations."""

from __future__ import annotations

from ..errors import GraphError
from .arguments import check_budget, check_fractions, check_seeds
from .backends import BACKENDS
from .jobs import Job, run_job
from .spec import SPECS, AblationSpec
from .table import AblationResult


def ablate(spec="lotka_volterra", terms=None, seeds=5, budget=200, fractions=(1.0,),
           backend: str = "local", workers: int | None = None, horizons=(2, 10),
           **spec_kwargs) -> AblationResult:
    """Train every subset of the known terms as supplied structure, plus controls.

    For K terms that is 2^K UDE variants (the empty set is the pure neural ODE; withheld
    terms are left to the neural part), a parameter-matched black-box network of time
    without ODE structure, and a variant given a deliberately wrong term. Every variant
    gets the same budget and seeds.

    **Arguments:**

    - `spec`: an :class:`AblationSpec`, or a name in `SPECS` (``"lotka_volterra"``), built
      with `spec_kwargs`.
    - `terms`: names of the spec's terms to vary (default: all of them).
    - `seeds`: an int n (seeds 0..n-1) or a list of seeds; a seed sets both the data
      noise and the network's initial weights.
    - `budget`: Adam steps (int), or ``{"adam": n, "lr": 0.1, "lbfgs": m}``.
    - `fractions`: fractions of the training points to train on (error vs data).
    - `backend`: ``"local"`` (spawned processes, bounded by the cores), ``"inline"``, or
      ``"ray"`` (the same job function on a Ray cluster; `pip install 'diffwire[ray]'`).
    - `horizons`: extrapolation horizons, in multiples of the training span.

    **Returns:** an :class:`AblationResult`: `.rows`, `.summary`, `.to_markdown()`,
    `.figures()`.
    """
    if isinstance(spec, str):
        if spec not in SPECS:
            raise GraphError(f"unknown ablation spec '{spec}'", expected=sorted(SPECS), found=spec)
        spec = SPECS[spec](**spec_kwargs)
    if not isinstance(spec, AblationSpec):
        raise GraphError("ablate takes an AblationSpec or a spec name", found=type(spec).__name__)
    if backend not in BACKENDS:
        raise GraphError("unknown backend", port="backend", expected=sorted(BACKENDS), found=backend)
    budget = check_budget(budget, lr=0.1)  # the spec experiment's rate, as jobs.py's
    seed_list = check_seeds(seeds)
    fractions = check_fractions(fractions)
    variants = spec.variants(terms)
    jobs = [Job(spec, v, s, float(f), dict(budget), tuple(horizons))
            for v in variants for f in fractions for s in seed_list]
    rows = BACKENDS[backend](run_job, jobs, workers)
    return AblationResult(rows, variants)
