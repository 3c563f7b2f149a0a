"""Where ablation jobs run: local processes (default), in this process, or Ray."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os

from .. import threads
from ..errors import GraphError


def run_local(fn, jobs: list, workers: int | None = None) -> list:
    """Run `fn(job)` for every job in spawned processes, results in job order. Workers are
    bounded by the cores (less one for the front end in a Jupyter kernel: see
    diffwire/threads.py); each worker sizes its torch threads for one core."""
    if not jobs:
        return []
    workers = threads.workers(workers, len(jobs))
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return list(pool.map(fn, jobs))


def run_inline(fn, jobs: list, workers: int | None = None) -> list:
    """Run the jobs one after another in this process (debugging, tiny budgets)."""
    return [fn(job) for job in jobs]


def run_ray(fn, jobs: list, workers: int | None = None, address: str | None = None) -> list:
    """Dispatch the same job function to a Ray cluster (``ray.init(address)``; a local
    instance when no cluster is given). Ray is an optional extra."""
    try:
        import ray
    except ImportError:
        raise GraphError("backend='ray' needs Ray, which is not installed",
                         expected="the ray package", found="no module named ray",
                         hint="pip install 'diffwire[ray]' (or pip install ray), or use "
                              "backend='local'") from None
    if not ray.is_initialized():
        ray.init(address=address or os.environ.get("RAY_ADDRESS"), ignore_reinit_error=True)
    remote = ray.remote(num_cpus=1)(fn)
    return ray.get([remote.remote(job) for job in jobs])


BACKENDS = {"local": run_local, "inline": run_inline, "ray": run_ray}
