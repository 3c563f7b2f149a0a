"""A training step under the run's ``step_timeout``.

Python cannot kill a thread, so a step that runs past the limit is left to itself in a
daemon thread (it may still finish and touch the model later) and the run fails, naming
the node it was in (``compile.RUNNING``: the node path each thread is executing).
"""

from __future__ import annotations

import threading
from typing import Any

from ..compile import RUNNING
from ..errors import RuntimeGraphError


class StepTimeout(RuntimeGraphError):
    """A step ran past the run's ``step_timeout``; `node` is where it was stuck, if known."""

    code = "step_timeout"


def timed_step(run, s: int) -> dict | list[dict]:
    """`run._train_step(s)`, failing with :class:`StepTimeout` past ``step_timeout``."""
    limit = run.config.step_timeout
    if not limit:
        return run._train_step(s)
    box: dict[str, Any] = {}

    def work():
        RUNNING.pop(threading.get_ident(), None)  # idents are reused: no stale node
        try:
            box["record"] = run._train_step(s)
        except BaseException as exc:  # handed to the training thread below
            box["error"] = exc

    t = threading.Thread(target=work, name=f"diffwire-step-{s}", daemon=True)
    t.start()
    t.join(limit)
    if t.is_alive():
        node = RUNNING.get(t.ident)
        run.abandoned.append(t)
        run._event("step_timeout", node=node, limit=limit, thread=t.name)
        where = "" if node else " (after the forward pass: loss, backward or update)"
        raise StepTimeout(f"step {s} ran past the step_timeout of {limit} s{where}; its "
                          "thread is abandoned", node=node, expected=f"<= {limit} s")
    if "error" in box:
        raise box["error"]
    return box["record"]
