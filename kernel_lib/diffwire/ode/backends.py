"""Where ablation jobs run: local processes (default), in this process, or Ray."""

from __future__ import annotations

import concurrent.futures
import multiprocessing

from .. import ray_session, threads


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
    """Dispatch the same job function to Ray, one CPU per job, results in job order: the
    cluster at `address` (or ``RAY_ADDRESS``, or the one this process already joined),
    else a private local instance on 127.0.0.1 (``diffwire/ray_session.py``). Ray is an
    optional extra."""
    ray_session.connect(address, num_cpus=workers)
    ray = ray_session.import_ray()
    remote = ray.remote(num_cpus=1)(fn)
    return ray.get([remote.remote(job) for job in jobs])


BACKENDS = {"local": run_local, "inline": run_inline, "ray": run_ray}
