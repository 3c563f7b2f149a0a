"""Loss wiring: which graph outputs are compared with which data, or which node is the loss.

Terms (a list; a single dict or a function name is accepted too):

- ``{"output": "y", "target": "y", "fn": "mse", "weight": 1.0}``: compare an output with data;
- ``{"output": "loss"}``: the graph computes its own loss and outputs it;
- ``{"node": "mse"}``: the first output of a loss node inside the graph.

A bare function name (``"mse"``) pairs every graph output with the data of the same name
(or the one output with the one non-input binding).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ..blocks.boolean.z2 import hamming
from ..document import Graph
from ..errors import GraphError, ShapeMismatch

FNS: dict[str, Callable] = {
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "huber": F.huber_loss,
    "bce": F.binary_cross_entropy_with_logits,
    "cross_entropy": F.cross_entropy,
    "hamming": hamming,  # bool outputs: wrong bits; the RDA optimizer's Z2 error
}


def _err(message: str, **kw) -> GraphError:
    return GraphError(message, port="training.loss", **kw)


def normalize_loss(graph: Graph, loss: Any, bindings: dict) -> list[dict]:
    """Loss terms checked against the graph's outputs, nodes and the data names."""
    outputs = [n.params["name"] for n in graph.outputs()]
    inputs = {n.params["name"] for n in graph.inputs()}
    if not outputs:
        raise _err("the graph has no Output node, so there is nothing to compare with data",
                   hint="add one with g.add_output(...)")
    if isinstance(loss, str):
        if loss not in FNS:
            raise _err("unknown loss function", expected=sorted(FNS), found=loss)
        pairs = [(o, o) for o in outputs if o in bindings and o not in inputs]
        targets = [k for k in bindings if k not in inputs]
        if not pairs and len(outputs) == 1 and len(targets) == 1:
            pairs = [(outputs[0], targets[0])]
        if not pairs:
            raise _err("no output has target data of the same name", expected=outputs,
                       found=sorted(bindings),
                       hint='name the pairing: {"output": "y", "target": "y_data", "fn": "mse"}')
        loss = [{"output": o, "target": t, "fn": loss} for o, t in pairs]
    if isinstance(loss, dict):
        loss = [loss]
    if not isinstance(loss, list) or not loss:
        raise _err("the loss is a function name, a term or a list of terms", found=repr(loss))
    terms = []
    for term in loss:
        if not isinstance(term, dict):
            raise _err("a loss term is a dict", found=repr(term))
        t = {"weight": 1.0, **term}
        if "node" in t:
            nid = t["node"]
            if nid not in graph.nodes:
                raise _err(f"no loss node '{nid}'", node=nid)
            if not graph.nodes[nid].output_ports():
                raise _err("the loss node has no output", node=nid)
            if any(n.id == nid for n in graph.inputs()):
                raise _err("a loss term on an Input node: its value is data, nothing in the "
                           "graph changes it", node=nid, expected="a node the graph computes",
                           found="Input", hint="name the node whose output should be small")
        elif "output" in t:
            if t["output"] not in outputs:
                raise _err(f"no graph output '{t['output']}'", expected=outputs, found=t["output"])
            if t.get("target") is not None:
                t.setdefault("fn", "mse")
                if t["fn"] not in FNS:
                    raise _err("unknown loss function", expected=sorted(FNS), found=t["fn"])
                if t["target"] not in bindings:
                    raise _err(f"no data named '{t['target']}' for the target",
                               expected=sorted(bindings), found=t["target"])
        else:
            raise _err("a loss term names an 'output' or a 'node'", found=sorted(t))
        terms.append(t)
    return terms


def _check_target(term: dict, pred: torch.Tensor, target: torch.Tensor, node: str) -> None:
    """Refuse an output/target pair whose shapes the loss would silently broadcast."""
    if term["fn"] == "cross_entropy":  # class indices [B, ...] or probabilities like pred
        ok = target.shape == pred.shape or target.shape == pred.shape[:1] + pred.shape[2:]
    else:
        ok = target.shape == pred.shape
    if not ok:
        raise ShapeMismatch(
            f"output '{term['output']}' and its target data '{term['target']}' differ in shape"
            f" for the {term['fn']} loss", node=node, port="x",
            expected=list(pred.shape), found=list(target.shape),
            hint="reshape the data or fix the graph so the output matches the target")


class LossFn:
    """Computes the weighted loss of a compiled graph on a batch."""

    def __init__(self, terms: list[dict], graph: Graph | None = None):
        self.terms = terms
        self.node_ids = {t["node"] for t in terms if "node" in t}
        self.output_nodes = {} if graph is None else {
            n.params["name"]: n.id for n in graph.outputs()}

    def __call__(self, model, batch: dict, tap: Callable | None = None) -> torch.Tensor:
        names = model.input_names
        captured: dict[str, Any] = {}
        if self.node_ids:
            inner = tap

            def tap(path, value, _inner=inner):
                if path in self.node_ids:
                    captured[path] = value[0] if isinstance(value, tuple) else value
                if _inner is not None:
                    _inner(path, value)

        # By position: an input may be called "tap" or "self", which keywords would clash with.
        outs = model.run(*[batch[k] for k in names], tap=tap)
        by_name = dict(zip(model.output_names, outs))
        total = None
        for t in self.terms:
            if "node" in t:
                if t["node"] not in captured:
                    raise _err("the loss node gave no value in this forward pass (a node in a "
                               "branch or body that did not run)", node=t["node"])
                v = captured[t["node"]]
            elif t.get("target") is None:
                v = by_name[t["output"]]
            else:
                pred, target = by_name[t["output"]], batch[t["target"]]
                _check_target(t, pred, target, self.output_nodes.get(t["output"], t["output"]))
                v = FNS[t["fn"]](pred, target)
            v = v.sum() if v.dim() else v
            v = v * t["weight"] if t["weight"] != 1.0 else v
            total = v if total is None else total + v
        return total
