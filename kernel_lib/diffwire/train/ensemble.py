"""What the members of an ensemble are: N copies of one graph that differ in seed, in
optimizer hyperparameters, or in masks over chosen nodes.

```python
dw.Ensemble(seeds=[0, 1, 2, 3])                       # four initialisations
dw.Ensemble(lr=[1e-3, 3e-3, 1e-2])                    # one seed, three learning rates
dw.Ensemble(masks={"solve/field/U": [[1, 1], [1, 0], [0, 1], [0, 0]]})   # which terms
```

A mask multiplies a node's output by a fixed vector per member (0 drops a component, 1
keeps it). It is written into each member's graph as two ordinary nodes, a Constant and a
Mul after the masked node, so a member is a plain graph: it compiles, trains and exports
on its own, and the members stay structurally identical (only the Constant's values
differ), which is what lets them run as one batched model (``batched.py``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..document import Graph
from ..errors import GraphError, ParamError
from . import optim

#: Optimizer options a member may set for itself. LBFGS phases keep their own spec (its lr
#: is a step scale, not a rate to sweep with Adam's).
MEMBER_KEYS = ("lr", "momentum", "betas", "weight_decay", "grad_clip")


def _err(message: str, key: str, **kw) -> ParamError:
    return ParamError(message, port=f"ensemble.{key}" if key else "ensemble", **kw)


@dataclasses.dataclass
class Ensemble:
    """N members trained together by ``dw.train(g, ..., ensemble=...)``.

    **Arguments:**

    - `seeds`: a list (one initialisation seed per member), or a count N (seeds
      ``seed, seed+1, ..., seed+N-1`` from the run's seed). Left out: every member uses
      the run's seed, so only what else is listed differs.
    - `masks`: node path -> one mask per member. A path names a node as the editor does
      (``"solve/field/U"``: node ``U`` in body ``field`` of node ``solve``; a bare id
      that occurs once in the graph works too); a mask is 0/1 numbers, one per component
      of the node's output (a single number masks all of it).
    - `lr`, `momentum`, `betas`, `weight_decay`, `grad_clip`: one value per member, applied
      to every phase except LBFGS phases.

    Every list has one entry per member, so all given lists have the same length.
    """

    seeds: list[int] | int | None = None
    masks: dict[str, list] = dataclasses.field(default_factory=dict)
    hparams: dict[str, list] = dataclasses.field(default_factory=dict)

    def __init__(self, seeds: list[int] | int | None = None, masks: dict | None = None,
                 **hparams: list):
        self.seeds = seeds
        self.masks = dict(masks or {})
        self.hparams = dict(hparams)
        self.size  # noqa: B018 - checks the lengths now, where the user wrote them

    @property
    def size(self) -> int:
        """The number of members (every list's length)."""
        lengths = {}
        if isinstance(self.seeds, (list, tuple)):
            if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in self.seeds):
                raise _err("seeds are non-negative integers", "seeds",
                           found=repr(self.seeds)[:80])
            lengths["seeds"] = _length(self.seeds, "seeds")
        elif self.seeds is not None:
            if not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or self.seeds < 1:
                raise _err("seeds is a list of seeds or a member count", "seeds",
                           expected="[0, 1, ...] or N >= 1", found=repr(self.seeds))
            lengths["seeds"] = self.seeds
        for key, values in self.hparams.items():
            if key not in MEMBER_KEYS:
                raise _err(f"'{key}' cannot differ between members", key,
                           expected=list(MEMBER_KEYS), found=key)
            lengths[key] = _length(values, key)
        for path, values in self.masks.items():
            lengths[f"masks.{path}"] = _length(values, f"masks.{path}")
        if not lengths:
            raise _err("an ensemble lists what differs between its members", "",
                       expected="seeds, masks or lr/momentum/betas/weight_decay/grad_clip",
                       found="nothing")
        if len(set(lengths.values())) > 1:
            raise _err("every list in an ensemble has one entry per member", "",
                       expected="lists of one length", found=lengths)
        return next(iter(lengths.values()))

    @classmethod
    def from_spec(cls, spec: Any) -> Ensemble:
        """An :class:`Ensemble`, from itself or from its JSON form (``to_json``)."""
        if isinstance(spec, Ensemble):
            return spec
        if isinstance(spec, int) and not isinstance(spec, bool):
            return cls(seeds=spec)
        if not isinstance(spec, dict):
            raise _err("an ensemble is dw.Ensemble(...), a dict or a member count", "",
                       found=type(spec).__name__)
        return cls(**spec)

    def to_json(self) -> dict:
        """The training section's ``ensemble`` object."""
        out: dict[str, Any] = {}
        if self.seeds is not None:
            out["seeds"] = list(self.seeds) if isinstance(self.seeds, tuple) else self.seeds
        if self.masks:
            out["masks"] = {k: list(v) for k, v in self.masks.items()}
        out.update({k: list(v) for k, v in self.hparams.items()})
        return out

    def member_seeds(self, seed: int) -> list[int]:
        if isinstance(self.seeds, (list, tuple)):
            return list(self.seeds)
        if self.seeds is not None:
            return [seed + i for i in range(self.seeds)]
        return [seed] * self.size

    def member_spec(self, i: int, spec: dict) -> dict:
        """Phase `spec` with member `i`'s own hyperparameters (checked like any spec)."""
        if optim.is_lbfgs_spec(spec):
            return spec
        mine = {k: v[i] for k, v in self.hparams.items()}
        for k, v in mine.items():
            try:
                mine[k] = optim.check_option(k, v)
            except ParamError as exc:
                raise _err(f"member {i}: {exc.message}", k, expected=exc.expected,
                           found=exc.found) from None
        return {**spec, **mine}

    def member_graphs(self, graph: Graph) -> list[Graph]:
        """One graph per member: `graph` with each mask written in as Constant * node."""
        if not self.masks:
            return [graph] * self.size
        out = []
        for i in range(self.size):
            g = graph.copy()
            for path, values in self.masks.items():
                insert_mask(g, path, _mask(values[i], f"masks.{path}", i))
            out.append(g)
        return out


def _length(values: Any, key: str) -> int:
    if not isinstance(values, (list, tuple)) or not values:
        raise _err("one value per member, as a list", key, found=repr(values)[:80])
    return len(values)


def _mask(value: Any, key: str, i: int) -> list[float]:
    flat = value if isinstance(value, (list, tuple)) else [value]
    if not flat or any(isinstance(v, bool) or v not in (0, 1) for v in flat):
        raise _err(f"member {i}'s mask is 0/1 numbers, one per output component", key,
                   expected="[1, 0, ...] or 0 or 1", found=repr(value)[:80])
    return [float(v) for v in flat]


def find_node(graph: Graph, path: str) -> tuple[Graph, str]:
    """(the graph holding it, node id) for a node path ``a/body/b`` or a unique bare id."""
    parts = path.split("/")
    if len(parts) % 2 == 1 and len(parts) > 1:
        g = graph
        for nid, body in zip(parts[:-1:2], parts[1:-1:2]):
            node = g.nodes.get(nid)
            if node is None or body not in node.body:
                raise _err(f"no node path '{path}'", f"masks.{path}",
                           expected="node/body/node", found=path)
            g = node.body[body]
        if parts[-1] in g.nodes:
            return g, parts[-1]
    if len(parts) == 1:
        hits = [p for p, _n in graph.walk() if p.rsplit("/", 1)[-1] == path]
        if len(hits) == 1:
            return find_node(graph, hits[0]) if "/" in hits[0] else (graph, path)
        if len(hits) > 1:
            raise _err(f"node id '{path}' occurs in several bodies: give its path",
                       f"masks.{path}", expected=hits, found=path)
    known = [p for p, _n in graph.walk()]
    raise _err(f"no node '{path}' to mask", f"masks.{path}", expected=known[:40], found=path)


def insert_mask(graph: Graph, path: str, mask: list[float]) -> None:
    """Route node `path`'s output through ``Mul(out, Constant(mask))`` in place."""
    g, nid = find_node(graph, path)
    ports = g.nodes[nid].output_ports()
    if len(ports) != 1:
        raise GraphError("only a node with one output can be masked", node=path,
                         port="ensemble.masks", expected="one output port",
                         found=[p.name for p in ports])
    port = ports[0].name
    const, mul = _free(g, f"{nid}_mask"), _free(g, f"{nid}_masked")
    g.add("Constant", id=const, value=mask, label=f"{nid} mask")
    g.add("Mul", id=mul, label=f"{nid} masked")
    g.edges = [dataclasses.replace(e, source=mul, source_port="out")
               if e.source == nid and e.source_port == port else e for e in g.edges]
    g.connect((nid, port), (mul, "a"))
    g.connect(const, (mul, "b"))


def _free(g: Graph, want: str) -> str:
    nid, k = want, 1
    while nid in g.nodes:
        k += 1
        nid = f"{want}{k}"
    return nid
