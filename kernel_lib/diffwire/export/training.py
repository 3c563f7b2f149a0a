"""The exported training file: the section as data, and a fixed train().

The document's training section (data bindings, loss terms, optimizer or schedule of
phases, steps, batch size, seed) is normalised here into the ``TRAINING`` constant: plain
data printed with ``repr``. The code that interprets it is the same for every file
(:mod:`.training_template`), so a file trains with no diffwire installed.
"""

from __future__ import annotations

import ast
import copy
import inspect

from ..document import Graph
from ..errors import GraphError
from ..runtime import data, optimizers, updates
from .names import literal
from .training_template import TRAIN_CODE


def generator_source(name: str) -> list[str]:
    """The source of the runtime functions an exported file needs to run built-in generator
    `name` (:data:`diffwire.runtime.data.SOURCES`): the library's own code, so a file and a
    kernel run draw the same data for a seed. Read when a file is written, not at import. A
    binding to any other generator asks for its data to be passed to train()."""
    return [inspect.getsource(fn) for fn in data.SOURCES[name]]


def updates_source() -> str:
    """The runtime's update chains (:mod:`diffwire.runtime.updates`) without its imports:
    a file whose document trains with a ``chain`` optimizer steps exactly as a kernel run."""
    text = inspect.getsource(updates)
    body = ast.parse(text).body
    first = next(node for node in body[1:] if not isinstance(node, (ast.Import, ast.ImportFrom)))
    return "\n".join(text.splitlines()[first.lineno - 1:])


def defaults_source() -> str:
    """The runtime's ``DEFAULTS = {...}`` with its comments, as written in its file."""
    text = inspect.getsource(optimizers)
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
                "DEFAULTS"]:
            lines = text.splitlines()
            start = node.lineno - 1
            while start > 0 and lines[start - 1].startswith("#:"):  # its doc comment
                start -= 1
            return "\n".join(lines[start:node.end_lineno])
    raise AssertionError("runtime/optimizers.py defines DEFAULTS")


def optimizer_spec(graph: Graph, ref) -> dict:
    """An optimizer spec from an Optimizer node id, a kind, or a partial dict (the training
    engine's own normalisation, so the file trains as a kernel run would), keeping only the
    options that differ from :data:`diffwire.runtime.optimizers.DEFAULTS`."""
    from ..train import optim

    if isinstance(ref, str) and ref in graph.nodes:
        node = graph.nodes[ref]
        if node.type != "Optimizer":
            raise GraphError("the training optimizer must be an Optimizer node", node=ref,
                             port="training.optimizer", found=node.type)
        ref = dict(node.params)
    spec = optim.normalize(ref)
    # the options it sets: the file's make_optimizer fills in the rest from DEFAULTS
    return {k: v for k, v in spec.items() if k == "kind" or v != optimizers.DEFAULTS[k]}


def training_plan(graph: Graph) -> dict:
    """The training section normalised to what the exported train() reads."""
    sec = copy.deepcopy(graph.training or {})
    data = {}
    for name, b in (sec.get("data") or {}).items():
        if isinstance(b, str):
            b = {"source": "kernel", "name": b}
        if not isinstance(b, dict):
            b = {"source": "kernel", "name": name}
        b = {k: v for k, v in b.items() if k != "value"}
        b.setdefault("source", "kernel")
        data[str(name)] = b
    if sec.get("schedule"):
        phases = [{"optimizer": optimizer_spec(graph, ph.get("optimizer")), "steps": ph.get("steps")}
                  for ph in sec["schedule"]]
    elif sec.get("optimizer") is not None:
        phases = [{"optimizer": optimizer_spec(graph, sec["optimizer"]), "steps": None}]
    else:
        nodes = [n.id for n in graph.nodes.values() if n.type == "Optimizer"]
        phases = [{"optimizer": optimizer_spec(graph, nodes[0] if len(nodes) == 1 else None),
                   "steps": None}]
    steps = sec.get("steps")
    if steps is None:
        total = sum(ph["steps"] or 0 for ph in phases)
        steps = total if total and all(ph["steps"] for ph in phases) else 1000
    loss = sec.get("loss", "mse")
    return {
        "data": data, "loss": loss, "phases": phases, "steps": int(steps),
        "batch_size": sec.get("batch_size"), "seed": int(sec.get("seed") or 0),
        "val_split": float(sec.get("val_split") or 0.0),
        "checkpoint_every": int(sec.get("checkpoint_every") or 0),
    }


def loss_nodes(graph: Graph) -> list[str]:
    """Node ids whose value a loss term reads (``{"node": id}``): the forward keeps them."""
    loss = (graph.training or {}).get("loss")
    terms = [loss] if isinstance(loss, dict) else loss if isinstance(loss, list) else []
    return [t["node"] for t in terms if isinstance(t, dict) and t.get("node") in graph.nodes]


def training_source(graph: Graph) -> str:
    """Constants and functions of the exported training code."""
    plan = training_plan(graph)
    gens = sorted({b.get("name") for b in plan["data"].values() if b["source"] == "generator"}
                  & set(data.SOURCES))
    fixed = sorted(k for k, b in plan["data"].items() if b.get("batch") is False)
    inputs = [n.params.get("name") for n in graph.inputs()]
    outputs = [n.params.get("name") for n in graph.outputs()]
    dynamic = any(not n.block.static for _, n in graph.walk() if n.type in _known())
    parts = list(dict.fromkeys(src.strip("\n") for g in gens for src in generator_source(g)))
    chains = any(ph["optimizer"]["kind"] == "chain" for ph in plan["phases"])
    if chains:
        parts.append("# -- update chains: diffwire's runtime/updates.py, verbatim --\n\n"
                     + updates_source().strip("\n"))
    parts.append("# -- optimizers: diffwire's runtime/optimizers.py, verbatim --\n\n"
                 + "\n\n".join([defaults_source()] + [inspect.getsource(fn).strip("\n")
                                                      for fn in optimizers.SOURCES]))
    section = [
        "# The document's training section, as plain data (the code below reads it).",
        f"TRAINING = {literal(plan)}",
        f"INPUTS = {literal(inputs)}  # the model's inputs, in forward order",
        f"OUTPUTS = {literal(outputs)}",
        f"FIXED = {literal(fixed)}  # data passed whole every step, not sliced into batches",
        f"FIND_UNUSED = {literal(dynamic)}  # branches may leave weights without gradient",
    ]
    names = [
        "GENERATORS = {" + ", ".join(f"{literal(g)}: {g}" for g in gens) + "}",
        "OPTIMIZERS = {" + ('"chain": ChainOptimizer' if chains else "")
        + "}  # optimizer kinds beyond torch's defined in this file",
    ]
    # what a reader looks for first, then the runtime's code it names
    return ("\n\n\n".join(["\n".join(section)] + parts + ["\n".join(names)]) + "\n\n"
            + TRAIN_CODE)


def _known():
    from ..blocks import BLOCKS

    return BLOCKS
