"""How many torch threads a training run uses, chosen per run and set in its own thread.

Why it matters: torch starts one OpenMP thread per core. On a machine where another
process is busy (a browser drawing the live plots, the Jupyter server, other kernels),
an OpenMP thread that waits for a busy core stalls every op: a 1-32-32-1 MLP trained at
14 steps/s with 2 threads and 223 steps/s with 1 thread on the same 2-core machine in the
same minute (load 4). A model whose ops are small gains nothing from a second thread
anyway, so the default is one thread unless an op is large enough to split *and* a core
is free for it.

What torch does per thread (measured with torch 2.13, OpenMP backend; see the test
``test_threads.py``):

- ``torch.set_num_threads(n)`` sets OpenMP's ``nthreads`` for the *calling* thread and
  MKL's thread-local count; other threads that already used torch keep theirs. The
  notebook's main thread keeps its setting while a run trains in the background.
- It also stores ``n`` as the process default that a thread *new to torch* picks up the
  first time it asks (``at::init_num_threads``). So a thread started during a run (a
  step running under ``step_timeout``) gets the run's count, and the default is put
  back when the run's thread ends. Importing this module makes the importing thread (the
  kernel's main thread) settle its own count first, so it is never affected.
- Inter-op threads (``torch.set_num_interop_threads``) are one process-wide pool that can
  be sized only once, before any inter-op work; training does not use it (no
  ``torch.jit.fork``), so a run records its size and leaves it alone. Fresh worker
  processes (the ablation's) size it to 1 at start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys

import torch

from .errors import ParamError

# Multiply-adds of the largest op per extra thread: below this, the fork/join of an
# OpenMP region costs more than the split saves (a 256x256 layer on a batch of 64 is 4M).
WORK_PER_THREAD = 1 << 22

torch.get_num_threads()  # the importing thread settles its count now (see above)


@dataclasses.dataclass
class ThreadPlan:
    """The threads a run uses and why: `intra` (ops), `interop` (as found), `reason`."""

    intra: int
    interop: int
    reason: str
    cores: int
    work: int = 0  # estimated multiply-adds of the largest op per step
    previous: int = 0  # the process default before the run, put back when it ends

    def record(self) -> dict:
        """What the run's history and events keep."""
        return {"intra": self.intra, "interop": self.interop, "reason": self.reason,
                "cores": self.cores, "work": self.work}


def check(value) -> int | None:
    """A `threads` option: None, ``"auto"`` or 0 mean automatic; else a positive int."""
    if value is None or value == "auto" or (value == 0 and not isinstance(value, bool)):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParamError("threads is a positive number of threads, or 'auto'",
                         port="training.threads", expected="'auto' or an integer >= 1",
                         found=repr(value))
    return value


def cores() -> int:
    """Cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def front_end_attached() -> bool:
    """Whether this process is a Jupyter kernel: a browser and a server share the cores."""
    return "ipykernel" in sys.modules and any(
        type(m).__name__ == "IPKernelApp" for m in _kernel_apps())


def _kernel_apps():
    app = sys.modules.get("ipykernel.kernelapp")
    cls = getattr(app, "IPKernelApp", None)
    if cls is not None and cls.initialized():
        yield cls.instance()


def op_work(model: torch.nn.Module, batch: dict) -> int:
    """A rough count of the multiply-adds in the model's largest op: the largest weight
    times the rows of the batch (leading dimensions of its largest tensor)."""
    weights = [p.numel() for p in model.parameters()]
    if not weights:
        return 0
    tensors = [t for t in batch.values() if isinstance(t, torch.Tensor) and t.dim()]
    big = max(tensors, key=torch.Tensor.numel, default=None)
    rows = 1 if big is None or big.dim() < 2 else big.numel() // big.shape[-1]
    # an ensemble run batched (train/batched.py) does every member's op at once
    return max(weights) * rows * getattr(model, "members_per_op", 1)


def choose(model: torch.nn.Module, batch: dict, requested: int | None = None, *,
           front_end: bool | None = None, machine: int | None = None,
           load: float | None = None) -> ThreadPlan:
    """The thread plan for training `model` on batches like `batch`.

    `requested` (the user's ``threads``) wins. Otherwise: one thread when the largest op
    is below `WORK_PER_THREAD`; else one thread per `WORK_PER_THREAD`, at most the cores
    that are free: the machine's cores less the 1-minute load of other work and, in a
    Jupyter kernel, one core for the front end."""
    n = machine if machine is not None else cores()
    interop = torch.get_num_interop_threads()
    work = op_work(model, batch)
    if requested is not None:
        return ThreadPlan(requested, interop, f"threads={requested} (requested)", n, work)
    front = front_end_attached() if front_end is None else front_end
    busy = _load() if load is None else load
    free = max(1, n - max(round(busy), 1 if front else 0))
    want = max(1, work // WORK_PER_THREAD)
    if want == 1:
        why = f"auto: largest op ~{work:,} multiply-adds, too small to split"
    elif free == 1:
        why = (f"auto: {n} core(s), load {busy:.1f}" + (", a front end" if front else "")
               + ": no core free for a second thread")
    else:
        why = f"auto: largest op ~{work:,} multiply-adds, {free} free core(s) of {n}"
    return ThreadPlan(min(want, free), interop, why, n, work)


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def enter(run) -> ThreadPlan:
    """Called first thing in the training thread: choose, apply here, record on the run."""
    requested = getattr(run.config, "threads", None)
    plan = choose(run.model, run.dataset.batch(run.step), requested)
    plan.previous = torch.get_num_threads()
    torch.set_num_threads(plan.intra)
    run.threads = plan.record()
    run.events.append({"type": "threads", "step": run.step, **run.threads})
    return plan


def leave(plan: ThreadPlan | None) -> None:
    """Called last in the training thread: put back the process default for new threads
    (this thread's own setting goes with it; a foreground run's caller gets its own back)."""
    if plan is not None and plan.previous:
        torch.set_num_threads(plan.previous)


@contextlib.contextmanager
def scoped(model: torch.nn.Module, batch: dict, requested: int | None = None):
    """The plan applied to the calling thread for the block's duration, then put back (a
    synchronous fit in the user's own thread)."""
    plan = choose(model, batch, check(requested))
    plan.previous = torch.get_num_threads()
    torch.set_num_threads(plan.intra)
    try:
        yield plan
    finally:
        torch.set_num_threads(plan.previous)


def for_worker(model: torch.nn.Module, batch: dict) -> ThreadPlan:
    """The same choice in a worker process that runs one job per core (the ablation's):
    no core is free beyond its own, so its pools are sized for one. Inter-op too: a fresh
    process can still size that pool."""
    plan = choose(model, batch, front_end=False, machine=1, load=0.0)
    torch.set_num_threads(plan.intra)
    with contextlib.suppress(RuntimeError):  # already sized or used in this process
        torch.set_num_interop_threads(1)
    plan.interop = torch.get_num_interop_threads()
    return plan


def workers(requested: int | None, jobs: int) -> int:
    """Worker processes for `jobs` one-thread jobs: the cores, less one for the front end
    in a Jupyter kernel; `requested` caps it (never above the cores)."""
    n = cores()
    free = max(1, n - (1 if front_end_attached() else 0))
    return max(1, min(requested or free, jobs, n))
