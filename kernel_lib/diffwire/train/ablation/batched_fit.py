"""The per-variant fit loop (``diffwire.ode.fitting.fit``: Adam, then one LBFGS run with a
strong Wolfe line search, best weights kept) for N members of one structure at once.

Adam: one pass of all members (``BatchedMembers.vmap``) gives every member's loss; the
backward of their sum gives each member exactly the gradient of its own loss, and Adam is
elementwise, so one optimizer over every member's parameters is N independent Adams.

LBFGS couples the parameters it is given (one line search, one curvature history), so each
member keeps its own ``torch.optim.LBFGS``, stepped in a thread of its own. Its closure
does not compute anything: it asks for its loss and waits. Once every member still running
is waiting, one batched pass answers them all. Each member therefore runs torch's own
LBFGS, the same algorithm as the per-variant fit, and the members' differing numbers of
line-search evaluations cost one batched pass per round, not one pass per member.

A member whose loss turns NaN or inf stops there with its best weights, as a per-variant
fit stops at the failed solve; the others go on.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable

import torch

from ...errors import GraphError
from ...ode.fitting import lbfgs

#: a member's failure when its loss turns non-finite ({value}: the loss); the backend
#: names the solve, as the per-variant fit's GraphError does
FAILED = "the solution has NaN or inf values ({value})"


@dataclasses.dataclass
class MemberFit:
    """What one member's fit did: its best loss, the weights that gave it, its failure."""

    loss: float = math.inf
    best: dict | None = None
    failure: str | None = None
    evaluations: int = 0


class _Stopped(Exception):
    """Delivered to the waiting LBFGS threads when the experiment is stopped."""


class _Failed(Exception):
    """Delivered to a member whose loss turned non-finite: its LBFGS ends."""


def _stop_check(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise GraphError("the ablation was stopped; nothing was kept", port="stop")


class Members:
    """The members' parameters, fits and the record of each evaluation."""

    def __init__(self, model, losses: Callable[[], torch.Tensor], failed: str = FAILED):
        self.model = model
        self.failed = failed
        self.losses = losses
        self.params = [[p for p in m.parameters() if p.requires_grad] for m in model.members]
        self.fits = [MemberFit() for _ in model.members]

    def live(self) -> list[int]:
        return [k for k, f in enumerate(self.fits) if f.failure is None]

    def evaluate(self, who: list[int]) -> torch.Tensor:
        """Every member's loss; the gradients of the members in `who` (the others' set to
        None); each of them recorded (best weights, or the failure)."""
        for ps in self.params:
            for p in ps:
                p.grad = None
        losses = self.losses()
        values = losses.detach().tolist()
        ok = []
        for k in who:
            v = values[k]
            f = self.fits[k]
            f.evaluations += 1
            if not math.isfinite(v):
                f.failure = self.failed.format(value=f"loss {v}")
                continue
            ok.append(k)
            if v < f.loss:
                f.loss = v
                f.best = {n: t.detach().clone()
                          for n, t in self.model.members[k].state_dict().items()}
        if ok:
            losses[torch.tensor(ok)].sum().backward()
        for k in set(range(len(self.params))) - set(ok):
            for p in self.params[k]:
                p.grad = None
        return losses.detach()

    def restore(self) -> None:
        for m, f in zip(self.model.members, self.fits):
            if f.best is not None:
                m.load_state_dict(f.best)


def fit_members(model, losses: Callable[[], torch.Tensor], adam_steps: int, lr: float,
                lbfgs_steps: int = 0, stop: threading.Event | None = None,
                failed: str = FAILED) -> list[MemberFit]:
    """Fit every member of `model` (a ``BatchedMembers``) to its own loss, ``losses()``
    returning all N of them, the way ``ode.fitting.fit`` fits one model; the best weights
    of each member are put back at the end. `failed`: a failed member's message."""
    ms = Members(model, losses, failed)
    every = [p for ps in ms.params for p in ps]
    if every:
        opt = torch.optim.Adam(every, lr=lr, foreach=True)
        for _ in range(adam_steps):
            _stop_check(stop)
            live = ms.live()
            if not live:
                break
            ms.evaluate(live)
            opt.step()  # a member without gradients (failed) is left as it is
        if lbfgs_steps:
            _lbfgs(ms, lbfgs_steps, stop)
    ms.restore()
    return ms.fits


def _lbfgs(ms: Members, steps: int, stop: threading.Event | None) -> None:
    """Each live member's own LBFGS in a thread; their loss requests answered together."""
    cv = threading.Condition()
    running = set(ms.live())
    asked: set[int] = set()
    answers: dict[int, object] = {}
    halted = [False]  # the coordinator has left: a member asking now gets _Stopped

    def closure_for(k: int):
        def closure():
            with cv:
                asked.add(k)
                cv.notify_all()
                cv.wait_for(lambda: k in answers or halted[0])
                answer = answers.pop(k) if k in answers else _Stopped()
            if isinstance(answer, BaseException):
                raise answer
            return answer
        return closure

    def work(k: int) -> None:
        try:
            lbfgs(ms.params[k], steps).step(closure_for(k))  # the per-variant fit's own
        except (_Failed, _Stopped):
            pass
        except Exception as exc:  # noqa: BLE001 - one member's trouble ends only its fit
            ms.fits[k].failure = ms.fits[k].failure or f"{type(exc).__name__}: {exc}"[:500]
        finally:
            with cv:
                running.discard(k)
                cv.notify_all()

    threads = [threading.Thread(target=work, args=(k,), name=f"diffwire-lbfgs-{k}",
                                daemon=True) for k in sorted(running)]
    for t in threads:
        t.start()
    try:
        while True:
            with cv:
                cv.wait_for(lambda: running <= asked)
                if not running:
                    break
                who = sorted(asked)
                asked.clear()
            _stop_check(stop)
            # every running member waits for its answer: nothing else touches the weights
            losses = ms.evaluate(who)
            with cv:
                for k in who:
                    answers[k] = losses[k] if ms.fits[k].failure is None else _Failed()
                cv.notify_all()
    except BaseException:
        with cv:
            halted[0] = True
            cv.notify_all()
        for t in threads:
            t.join()
        raise
    for t in threads:
        t.join()
