"""A sweep's search space: what each name means, and the trials a grid or a sample makes.

A space maps names to values. A name is a training option (``lr``, ``optimizer``,
``steps``, ``seed``, ``batch_size``) or a block parameter by its node path,
``node.param`` (``mlp.widths``, ``adam.lr`` for an Optimizer node), through bodies as
``node.body.node.param`` (``solve.field.U.widths``). A value is a list (the grid's axis;
a random search draws from it) or a distribution, plain JSON so a space can be kept with
the sweep's record::

    {"lr": {"log_uniform": [1e-4, 1e-1]}, "steps": {"int_uniform": [50, 200]},
     "mlp.widths": [[1, 16, 1], [1, 32, 1]], "optimizer": ["adam", "sgd"]}

Without `samples` every value must be a list and the trials are their product (a grid);
with `samples` there are that many trials, each value drawn from a seeded generator.
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

from ..blocks import BLOCKS
from ..document import Graph, Node
from ..errors import GraphError
from ..train import optim

#: Training options a sweep may vary, and what each is.
TRAINING = {
    "lr": "learning rate of the (single) optimizer phase",
    "optimizer": "optimizer kind of the (single) phase: " + ", ".join(optim.KINDS),
    "steps": "training steps",
    "seed": "seed of the weights and the batches",
    "batch_size": "rows per step (None: full batch)",
}
DISTRIBUTIONS = ("uniform", "log_uniform", "int_uniform", "choice")
MAX_TRIALS = 10_000  # a grid above this is a typo more often than a plan


def uniform(low: float, high: float) -> dict:
    """A float drawn uniformly from [low, high] (random search)."""
    return {"uniform": [low, high]}


def log_uniform(low: float, high: float) -> dict:
    """A float whose log is uniform on [log low, log high]: learning rates."""
    return {"log_uniform": [low, high]}


def int_uniform(low: int, high: int) -> dict:
    """An integer from low to high, both included."""
    return {"int_uniform": [low, high]}


def choice(values: list) -> dict:
    """One of `values`, equally likely (a list in a random space means the same)."""
    return {"choice": list(values)}


def _err(name: str, message: str, **kw) -> GraphError:
    return GraphError(message, port=f"space.{name}", **kw)


def find_param(graph: Graph, path: str) -> tuple[Node, str]:
    """The node and param name a ``node.param`` path (through bodies) points at."""
    parts = path.split(".")
    if len(parts) < 2 or len(parts) % 2 or not all(parts):
        raise _err(path, "a block parameter is named node.param (through bodies: "
                         "node.body.node.param)", expected="node.param", found=path)
    g, node = graph, None
    for i in range(0, len(parts) - 1, 2):
        nid = parts[i]
        if nid not in g.nodes:
            where = "the graph" if i == 0 else f"body '{parts[i - 1]}' of '{parts[i - 2]}'"
            raise _err(path, f"no node '{nid}' in {where}", expected=sorted(g.nodes),
                       found=nid)
        node = g.nodes[nid]
        if i + 2 < len(parts) - 1:
            body = parts[i + 1]
            if body not in node.body:
                raise _err(path, f"node '{nid}' has no body '{body}'", node=nid,
                           expected=sorted(node.body), found=body)
            g = node.body[body]
    param = parts[-1]
    names = [p.name for p in BLOCKS[node.type].params] if node.type in BLOCKS else []
    if param not in names:
        raise _err(path, f"{node.type} node '{node.id}' has no parameter '{param}'",
                   node=node.id, expected=names, found=param)
    return node, param


def check(graph: Graph, space: Any, samples: int | None = None) -> dict:
    """The space with every name and value checked (a clear error for the first problem):
    known names, non-empty lists, well-formed distributions, a sensible trial count."""
    if not isinstance(space, dict):
        raise GraphError("a sweep space maps names to lists or distributions",
                         port="space", expected="a dict", found=type(space).__name__)
    if not space:
        raise GraphError("the sweep space is empty: nothing to vary", port="space",
                         expected="at least one name, e.g. {'lr': [1e-3, 1e-2]}", found="{}")
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int)
                                or not 1 <= samples <= MAX_TRIALS):
        raise GraphError("samples is the number of random trials", port="samples",
                         expected=f"an integer in 1..{MAX_TRIALS}", found=repr(samples))
    out = {}
    for name, value in space.items():
        if not isinstance(name, str) or (name not in TRAINING and "." not in name):
            raise _err(str(name), f"unknown sweep name '{name}'",
                       expected=f"a training option ({', '.join(TRAINING)}) or node.param",
                       found=repr(name))
        if "." in name:
            find_param(graph, name)
        out[name] = _value(name, value, samples)
    if samples is None:
        n = math.prod(len(v) for v in out.values())
        if n > MAX_TRIALS:
            raise GraphError(f"the grid has {n} trials", port="space",
                             expected=f"at most {MAX_TRIALS}",
                             found=" x ".join(str(len(v)) for v in out.values()),
                             hint="pass samples=N for a random search")
    return out


def _value(name: str, value: Any, samples: int | None) -> Any:
    if isinstance(value, (list, tuple)):
        if not value:
            raise _err(name, "an empty list of values", expected="one value or more",
                       found="[]")
        return list(value)
    if isinstance(value, dict) and len(value) == 1:
        (kind, args), = value.items()
        if kind not in DISTRIBUTIONS:
            raise _err(name, f"unknown distribution '{kind}'", expected=list(DISTRIBUTIONS),
                       found=kind)
        if samples is None:
            raise _err(name, f"a {kind} distribution needs a random search",
                       expected="samples=N, or a list of values", found=value)
        if kind == "choice":
            return {"choice": _value(name, args, samples)}
        ok = (isinstance(args, (list, tuple)) and len(args) == 2
              and all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args)
              and all(math.isfinite(a) for a in args) and args[0] <= args[1])
        if not ok or (kind == "log_uniform" and args[0] <= 0) or (
                kind == "int_uniform" and not all(float(a).is_integer() for a in args)):
            want = {"uniform": "[low, high], low <= high",
                    "log_uniform": "[low, high], 0 < low <= high",
                    "int_uniform": "[low, high], whole numbers, low <= high"}[kind]
            raise _err(name, f"bad {kind} bounds", expected=want, found=args)
        return {kind: list(args)}
    raise _err(name, "a sweep value is a list of values or a distribution",
               expected=f"[...] or {{'{DISTRIBUTIONS[0]}': [low, high]}}", found=repr(value)[:80])


def expand(space: dict, samples: int | None = None, seed: int = 0) -> list[dict]:
    """The trials of a checked space: its grid (product of the lists, in order), or
    `samples` draws from a generator seeded with `seed` (the same space and seed give
    the same trials)."""
    names = list(space)
    if samples is None:
        return [dict(zip(names, combo)) for combo in itertools.product(*space.values())]
    rng = random.Random(seed)
    return [{n: _draw(rng, space[n]) for n in names} for _ in range(samples)]


def _draw(rng: random.Random, value: Any) -> Any:
    if isinstance(value, list):
        return value[rng.randrange(len(value))]
    (kind, args), = value.items()
    if kind == "choice":
        return args[rng.randrange(len(args))]
    lo, hi = args
    if kind == "uniform":
        return rng.uniform(lo, hi)
    if kind == "log_uniform":
        return math.exp(rng.uniform(math.log(lo), math.log(hi)))
    return rng.randint(int(lo), int(hi))
