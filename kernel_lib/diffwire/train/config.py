"""The training section of a document, merged with ``dw.train`` arguments.

Format (every key optional; ``dw.train`` arguments override it)::

    "training": {
      "data": {"x": {"source": "file", "path": "data.npz"},
               "y": {"source": "file", "path": "data.npz"}},
      "loss": {"output": "y", "target": "y", "fn": "mse"},
      "optimizer": "adam",                       # an Optimizer node id, or inline spec
      "schedule": [{"optimizer": "adam", "steps": 200},
                   {"optimizer": "lbfgs", "steps": 50}],
      "steps": 250, "batch_size": null, "seed": 0, "val_split": 0.0,
      "eval_every": 50, "stats_every": 50, "checkpoint_every": 0,
      "keep_checkpoints": 5, "keep_best": true,  # retention: the last K and the best
      "step_timeout": 0,                         # seconds per step; 0: no limit
      "threads": "auto",                         # torch threads of the run, or a count
      "compile": false,                          # true / "auto": compiled ODE solves
      "ensemble": {"seeds": 8}                   # N members at once (ensemble.py)
    }

The complete grammar, with every range, is ``schema/training-1.schema.json``
(:func:`diffwire.train.section_schema.training_schema`); ``validate_training`` reports
all of its violations at once.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from .. import threads
from ..document import Graph
from ..errors import GraphError, ParamError, raise_errors
from . import compiled, limits, optim
from .data import normalize_binding
from .ensemble import Ensemble
from .losses import normalize_loss
from .section_schema import section_errors
from .windows import provided

SCALARS = {"steps": None, "batch_size": None, "seed": 0, "val_split": 0.0, "eval_every": 50,
           "stats_every": 50, "checkpoint_every": 0, "keep_checkpoints": 5, "keep_best": True,
           "step_timeout": None, "threads": "auto", "ensemble": None, "compile": False}
SECTION_KEYS = {"data", "loss", "optimizer", "schedule"} | set(SCALARS)


@dataclasses.dataclass
class Phase:
    """One stretch of training with one optimizer: an Optimizer node or an inline spec."""

    spec: dict
    steps: int | None = None
    node: str | None = None

    def to_json(self) -> dict:
        ref: Any = self.node if self.node is not None else dict(self.spec)
        return {"optimizer": ref, "steps": self.steps}


@dataclasses.dataclass
class TrainConfig:
    """Everything a run needs besides the graph and the data values."""

    bindings: dict
    loss: list
    phases: list
    steps: int
    batch_size: int | None = None
    seed: int = 0
    val_split: float = 0.0
    eval_every: int = 50  # validation loss every this many steps (when there is a split)
    stats_every: int = 50  # per-node output statistics every this many steps; 0: never
    checkpoint_every: int = 0  # 0: only on stop and at the end (when the run has a folder)
    keep_checkpoints: int = 5  # the newest K checkpoints stay (0: all); enough to resume/fork
    keep_best: bool = True  # and the one with the lowest validation (else training) loss
    step_timeout: float = 0  # seconds one step may take before the run fails; 0: no limit
    threads: int | None = None  # torch threads of the training thread; None: chosen per run
    ensemble: dict | None = None  # N members at once (ensemble.py), in its JSON form
    compile: bool | str = False  # compiled solves (compiled.py): True, False or "auto"

    def phase_index(self, step: int) -> int:
        """Which phase step `step` (0-based) belongs to; the last phase runs on."""
        end = 0
        for i, ph in enumerate(self.phases[:-1]):
            end += ph.steps or 0
            if step < end:
                return i
        return len(self.phases) - 1

    def phase_start(self, i: int) -> int:
        return sum(ph.steps or 0 for ph in self.phases[:i])

    def phase_length(self, i: int) -> int:
        if i == len(self.phases) - 1:
            return max(1, self.steps - self.phase_start(i))
        return self.phases[i].steps or 1

    def optimizer_spec(self, i: int, graph: Graph) -> dict:
        """Phase `i`'s optimizer spec as `graph` has it now: its Optimizer node's params
        (the editor may have changed them), else its inline spec."""
        ph = self.phases[i]
        return phase_spec(graph, ph.node)[0] if ph.node is not None else optim.normalize(ph.spec)

    def to_section(self) -> dict:
        """The JSON training section (in-memory values left out: they cannot be saved)."""
        data = {k: {kk: vv for kk, vv in b.items() if kk != "value"} for k, b in self.bindings.items()}
        out: dict[str, Any] = {"data": data, "loss": copy.deepcopy(self.loss)}
        if len(self.phases) == 1:
            out["optimizer"] = self.phases[0].to_json()["optimizer"]
        else:
            out["schedule"] = [ph.to_json() for ph in self.phases]
        for k in SCALARS:
            out[k] = getattr(self, k)
        out["threads"] = self.threads or "auto"
        if self.ensemble is None:  # a plain run's section stays as it was
            out.pop("ensemble")
        if self.compile is False:
            out.pop("compile")
        return out


def check_inputs(graph: Graph, config: TrainConfig) -> None:
    """Every graph Input has a data binding (or is fed by a windowed trajectory)."""
    fed = provided(config.bindings)
    for n in graph.inputs():
        name = n.params["name"]
        if name not in config.bindings and name not in fed:
            raise GraphError(f"the graph input '{name}' has no data", node=n.id,
                             port=f"training.data.{name}", expected=f"a binding for '{name}'",
                             found=sorted(config.bindings))


def phase_spec(graph: Graph, ref: Any) -> tuple[dict, str | None]:
    """(spec, node id) for an optimizer reference: a node id or an inline spec."""
    if isinstance(ref, str) and ref in graph.nodes:
        node = graph.nodes[ref]
        if node.type != "Optimizer":
            raise GraphError("the training optimizer must be an Optimizer node", node=ref,
                             port="training.optimizer", expected="Optimizer", found=node.type)
        return optim.normalize(dict(node.params)), ref
    if isinstance(ref, str) and ref.lower() not in optim.KINDS:
        raise GraphError(f"no Optimizer node '{ref}' and no optimizer kind of that name",
                         port="training.optimizer", expected=list(optim.KINDS), found=ref)
    return optim.normalize(ref), None


def _phase(graph: Graph, ref: Any, steps: int | None = None) -> Phase:
    spec, node = phase_spec(graph, ref)
    return Phase(spec, steps, node)


def resolve(graph: Graph, *, data: dict | None = None, loss: Any = None, optimizer: Any = None,
            schedule: list | None = None, **scalars: Any) -> TrainConfig:
    """Merge `graph.training` with explicit arguments into a :class:`TrainConfig`."""
    sec = graph.training or {}
    if not isinstance(sec, dict):
        raise GraphError("the training section is an object", port="training",
                         found=type(sec).__name__)
    unknown = set(sec) - SECTION_KEYS
    if unknown:
        raise GraphError(f"unknown training key(s) {sorted(unknown)}", port="training",
                         expected=sorted(SECTION_KEYS), found=sorted(unknown))
    raise_errors(section_errors(sec))  # dw.train(file) gets the schema's checks too
    bad_refs = [e for e in check_optimizer_refs(graph, sec) if e.severity == "error"]
    if bad_refs and optimizer is None and schedule is None:
        raise bad_refs[0]
    if not isinstance(sec.get("data") or {}, dict):
        raise GraphError("the data section maps names to bindings", port="training.data",
                         found=type(sec["data"]).__name__)
    bindings = {k: normalize_binding(k, v) for k, v in (sec.get("data") or {}).items()}
    for k, v in (data or {}).items():
        bindings[k] = normalize_binding(k, v)

    if optimizer is not None:
        phases = [_phase(graph, optimizer)]
    elif schedule is not None or sec.get("schedule"):
        phases = []
        for i, ph in enumerate(schedule if schedule is not None else sec["schedule"]):
            if not isinstance(ph, dict) or "optimizer" not in ph:
                raise GraphError("a schedule phase is {'optimizer': ..., 'steps': N}",
                                 port=f"training.schedule.{i}", found=repr(ph))
            phases.append(_phase(graph, ph["optimizer"], ph.get("steps")))
        if not phases:
            raise GraphError("the schedule has no phases", port="training.schedule")
    elif sec.get("optimizer") is not None:
        phases = [_phase(graph, sec["optimizer"])]
    else:
        nodes = [n.id for n in graph.nodes.values() if n.type == "Optimizer"]
        phases = [_phase(graph, nodes[0] if len(nodes) == 1 else "adam")]

    vals = {k: sec.get(k, d) for k, d in SCALARS.items()}
    vals.update({k: v for k, v in scalars.items() if v is not None})
    bad = set(scalars) - set(SCALARS)
    if bad:
        raise ParamError(f"unknown training option(s) {sorted(bad)}", port="training",
                         found=sorted(bad))
    if vals["steps"] is None:
        total = sum(ph.steps or 0 for ph in phases)
        vals["steps"] = total if total and all(ph.steps for ph in phases) else 1000
    for k in ("steps", "seed", "eval_every", "stats_every", "checkpoint_every",
              "keep_checkpoints"):
        v = vals[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ParamError("must be a non-negative integer", port=f"training.{k}", found=v)
    if vals["batch_size"] is not None and (not isinstance(vals["batch_size"], int)
                                           or vals["batch_size"] < 1):
        raise ParamError("must be a positive integer or null", port="training.batch_size",
                         found=vals["batch_size"])
    if not isinstance(vals["keep_best"], bool):
        raise ParamError("must be true or false", port="training.keep_best",
                         found=vals["keep_best"])
    st = vals["step_timeout"]
    if st is None:  # unset: a loop that the data controls must not hang a run for good
        st = vals["step_timeout"] = (limits.DEFAULT_LOOP_STEP_TIMEOUT
                                     if has_data_dependent_loop(graph) else 0)
    if isinstance(st, bool) or not isinstance(st, int | float) or not 0 <= st < float("inf"):
        raise ParamError("must be a non-negative number of seconds (0: no limit)",
                         port="training.step_timeout", found=st)
    vals["threads"] = threads.check(vals["threads"])
    vals["compile"] = compiled.check(vals["compile"])
    if vals["ensemble"] is not None:  # checked (lengths, values) and kept as JSON
        vals["ensemble"] = Ensemble.from_spec(vals["ensemble"]).to_json()
    if not (0.0 <= float(vals["val_split"]) < 1.0):
        raise ParamError("must be in [0, 1)", port="training.val_split", found=vals["val_split"])
    loss_arg = loss if loss is not None else sec.get("loss", "mse")
    terms = normalize_loss(graph, loss_arg, bindings)
    return TrainConfig(bindings=bindings, loss=terms, phases=phases, **vals)


def has_data_dependent_loop(graph: Graph) -> bool:
    """Whether a Loop (bodies included) runs until a condition or a count from the data."""
    for node in graph.nodes.values():
        if node.type == "Loop" and (node.params.get("mode") == "while"
                                    or "n" in graph.edges_into(node.id)):
            return True
        if any(has_data_dependent_loop(body) for body in node.bodies().values()):
            return True
    return False


def optimizer_refs(section: dict) -> list[tuple[str, Any]]:
    """(place in the document, reference) of every optimizer the section names."""
    refs = []
    if "optimizer" in section:
        refs.append(("training.optimizer", section["optimizer"]))
    sched = section.get("schedule")
    if isinstance(sched, list):
        refs += [(f"training.schedule.{i}.optimizer", ph["optimizer"])
                 for i, ph in enumerate(sched) if isinstance(ph, dict) and "optimizer" in ph]
    return refs


def check_optimizer_refs(graph: Graph, section: dict) -> list[GraphError]:
    """A name that is neither an Optimizer node nor a kind, wherever it stands; a section
    naming both an optimizer and a schedule is told which one wins."""
    errs: list[GraphError] = []
    for where, ref in optimizer_refs(section):
        if not isinstance(ref, str):
            continue
        if ref in graph.nodes and graph.nodes[ref].type != "Optimizer":
            errs.append(GraphError("the training optimizer must be an Optimizer node",
                                   node=ref, port=where, expected="Optimizer",
                                   found=graph.nodes[ref].type))
        elif ref not in graph.nodes and ref.lower() not in optim.KINDS:
            errs.append(GraphError(f"no Optimizer node '{ref}' and no optimizer kind of that "
                                   "name", port=where, expected=list(optim.KINDS), found=ref))
    if "optimizer" in section and section.get("schedule"):
        errs.append(GraphError("'optimizer' is ignored: the schedule's phases name the "
                               "optimizers", port="training.optimizer", severity="warning",
                               hint="remove one of the two"))
    return errs


def training_config(graph: Graph, *, data: dict | None = None, loss: Any = None,
                    optimizer: Any = None, schedule: list | None = None,
                    **scalars: Any) -> dict:
    """Write `graph.training` from Python; returns the new section.

    `data` maps names to bindings (a dict with a ``source``) or to kernel variable names.
    An `optimizer` given as a kind or ``(kind, {options})`` becomes an ``Optimizer`` node
    (id ``optim``) that the section points at; each inline phase of `schedule` does too.

    ```python
    dw.training_config(g, data={"x": {"source": "file", "path": "d.npz"},
                                "y": {"source": "file", "path": "d.npz"}},
                       loss={"output": "y", "target": "y", "fn": "mse"},
                       optimizer=("adam", {"lr": 1e-2}), steps=500)
    ```
    """
    sec = copy.deepcopy(graph.training or {})
    if data is not None:
        for k, v in data.items():
            b = normalize_binding(k, v)
            if "value" in b:
                raise GraphError("a document cannot hold array values", port=f"training.data.{k}",
                                 hint="bind a kernel variable by name, a file or a generator")
            sec.setdefault("data", {})[k] = b
    if loss is not None:
        sec["loss"] = loss
    if optimizer is not None:
        sec["optimizer"] = _as_node(graph, optimizer, "optim")
        sec.pop("schedule", None)
    if schedule is not None:
        sec["schedule"] = [{"optimizer": _as_node(graph, ph["optimizer"], f"optim_{i}"),
                            "steps": ph.get("steps")} for i, ph in enumerate(schedule)]
        sec.pop("optimizer", None)
    for k, v in scalars.items():
        if k not in SCALARS:
            raise ParamError(f"unknown training option '{k}'", port="training",
                             expected=sorted(SCALARS), found=k)
        sec[k] = v
    graph.training = sec
    resolve(graph)  # fails here, not at train time, when the section is unsound
    return sec


def _as_node(graph: Graph, ref: Any, base: str) -> str:
    if isinstance(ref, str) and ref in graph.nodes:
        return ref
    spec = optim.normalize(ref)
    if base in graph.nodes and graph.nodes[base].type == "Optimizer":
        graph.remove(base)
    node = graph.add("Optimizer", id=graph._fresh_id(base), **spec)
    return node.id
