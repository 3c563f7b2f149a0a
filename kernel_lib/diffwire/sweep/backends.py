"""Where a sweep's trials run. Each backend takes the trials and the runs folder and
returns one row per trial, in any order, never raising for a trial: a worker that dies is
that trial's failure."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import pathlib

from .. import ray_session, threads
from .trial import Trial, run_trial, unpack


def _failed(trial: Trial, reason: str) -> dict:
    return {"trial": trial.index, "values": dict(trial.values), "state": "failed",
            "reason": reason, "loss": float("nan"), "best_loss": float("nan"), "steps": 0,
            "run": None, "path": None, "wall_s": 0.0}


def run_local(trials: list[Trial], out: pathlib.Path, workers: int | None = None,
              address: str | None = None) -> list[dict]:
    """One worker process per free core (``threads.workers``), each trial on one torch
    thread; with one core free, the trials run one after another in this process with
    the thread policy's choice (no process start, no second copy of the data)."""
    n = threads.workers(workers, len(trials))
    if n <= 1:
        return [run_trial(dataclasses.replace(t, out=str(out))) for t in trials]
    ctx = multiprocessing.get_context("spawn")
    rows = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
        futures = {pool.submit(run_trial, dataclasses.replace(t, out=str(out), threads=1)): t
                   for t in trials}
        for fut in concurrent.futures.as_completed(futures):
            try:
                rows.append(fut.result())
            except Exception as exc:  # noqa: BLE001 - a dead worker process (killed, OOM)
                rows.append(_failed(futures[fut], f"the worker process failed: {exc!r} (in a "
                                    "script, call dw.sweep under if __name__ == '__main__': "
                                    "workers are spawned and import it)"))
    return rows


def run_ray(trials: list[Trial], out: pathlib.Path, workers: int | None = None,
            address: str | None = None) -> list[dict]:
    """One Ray task per trial (one CPU, one torch thread). A task writes its run in a
    temporary folder on its node and returns it packed; it is unpacked here, into the
    runs folder, as each trial ends, so a cluster on other machines keeps its runs too."""
    ray_session.connect(address, num_cpus=workers)
    ray = ray_session.import_ray()
    remote = ray.remote(num_cpus=1, max_retries=0)(run_trial)
    pending = {remote.remote(dataclasses.replace(t, out=None, threads=1)): t for t in trials}
    rows = []
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        trial = pending.pop(done[0])
        try:
            row = ray.get(done[0])
        except Exception as exc:  # noqa: BLE001 - the task's worker died: that trial failed
            rows.append(_failed(trial, f"the Ray task failed: {type(exc).__name__}: {exc}"))
            continue
        files = row.pop("files", None)
        if files is not None:
            row["path"] = str(unpack(files, out))
        rows.append(row)
    return rows


BACKENDS = {"local": run_local, "ray": run_ray}
