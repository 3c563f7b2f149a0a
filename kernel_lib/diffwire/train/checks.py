"""Looking inside a step: per-node output statistics, the gradient-flow check after the
first backward, and finding the first node whose output went non-finite."""

from __future__ import annotations

from typing import Any

import torch

from ..document import Graph


def _tensors(value: Any) -> list:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [v for v in value if isinstance(v, torch.Tensor)]
    return []


class StatsTap:
    """A tap collecting mean, std and shape of every node output (one sync at the end),
    and after the backward the gradient norm of each node's weights."""

    def __init__(self):
        self.values: dict[str, list] = {}
        self.grads: dict[str, torch.Tensor] = {}

    def grad_norms(self, model: torch.nn.Module) -> None:
        """Each top-level node's gradient norm (its weights' gradients, bodies included)."""
        per: dict[str, list] = {}
        for name, p in model.named_parameters():
            if p.grad is not None and name.startswith("blocks."):
                per.setdefault(name.split(".")[1], []).append(p.grad.detach())
        self.grads = {nid: torch.nn.utils.get_total_norm(gs) for nid, gs in per.items()}

    def __call__(self, path: str, value: Any) -> None:
        out = []
        for t in _tensors(value):
            t = t.detach()
            if t.is_floating_point() and t.numel():
                std, mean = torch.std_mean(t.float(), correction=0)
                out.append((mean, std, list(t.shape)))
        if out:
            self.values[path] = out

    def result(self) -> dict:
        flat = [x for outs in self.values.values() for m, s, _ in outs for x in (m, s)]
        flat += [g.float() for g in self.grads.values()]
        nums = torch.stack(flat).tolist() if flat else []
        res, i = {}, 0
        for path, outs in self.values.items():
            m, s, shape = outs[0]
            res[path] = {"mean": nums[i], "std": nums[i + 1], "shape": shape}
            i += 2 * len(outs)
        for nid in self.grads:
            res.setdefault(nid, {})["grad_norm"] = nums[i]
            i += 1
        return res


class GradTap:
    """Records whether each node's outputs carry a gradient (during the first forward)."""

    def __init__(self):
        self.requires: dict[str, list[bool | None]] = {}

    def __call__(self, path: str, value: Any) -> None:
        vals = value if isinstance(value, (tuple, list)) else (value,)
        self.requires[path] = [
            (v.requires_grad if v.is_floating_point() else None) if isinstance(v, torch.Tensor)
            else None for v in vals
        ]


def grad_report(graph: Graph, model: torch.nn.Module, tap: GradTap) -> dict:
    """Parameters that received no gradient, and edges whose value was detached although
    something learnable feeds the node that produced it."""
    no_grad = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    owners = {n.split(".")[1] for n, p in model.named_parameters() if p.requires_grad}
    detached = []
    carries: dict[str, bool] = {}
    for nid in _order(graph):
        node = graph.nodes[nid]
        req = tap.requires.get(nid)
        if req is None:
            continue
        ins = graph.edges_into(nid).values()
        should = nid in owners or any(
            _port_req(tap, graph, e.source, e.source_port) for e in ins)
        carries[nid] = should
        if not should:
            continue
        ports = [p.name for p in node.output_ports()]
        for e in graph.edges:
            if e.source != nid:
                continue
            i = ports.index(e.source_port) if e.source_port in ports else 0
            if i < len(req) and req[i] is False:
                detached.append(f"{e.source}.{e.source_port} -> {e.target}.{e.target_port}")
    return {"no_grad": no_grad, "detached": detached}


def _port_req(tap: GradTap, graph: Graph, nid: str, port: str) -> bool:
    req = tap.requires.get(nid)
    if not req:
        return False
    ports = [p.name for p in graph.nodes[nid].output_ports()]
    i = ports.index(port) if port in ports else 0
    return bool(i < len(req) and req[i])


def _order(graph: Graph) -> list[str]:
    from ..analysis import topo_order

    return topo_order(graph)


class _Found(Exception):
    pass


def first_nonfinite(model, batch: dict, loss_fn) -> str | None:
    """Re-run the forward on `batch`; the first node (or ``input 'x'``) whose value is not
    finite, or None when every node output is finite (the loss itself overflowed)."""
    for name in model.input_names:
        t = batch.get(name)
        if isinstance(t, torch.Tensor) and t.is_floating_point() and not torch.isfinite(t).all():
            return f"input '{name}'"

    def tap(path, value):
        for t in _tensors(value):
            if t.is_floating_point() and not torch.isfinite(t).all():
                raise _Found(path)

    with torch.no_grad():
        try:
            loss_fn(model, batch, tap=tap)
        except _Found as f:
            return str(f.args[0])
        except Exception as exc:  # the graph wraps errors: look inside
            cause = exc.__cause__
            if isinstance(cause, _Found):
                return str(cause.args[0])
            raise
    return None


def nonfinite_grad_node(model) -> str | None:
    """The node owning the first parameter whose gradient is not finite."""
    for name, p in model.named_parameters():
        if p.grad is not None and not torch.isfinite(p.grad).all():
            return name.split(".")[1]
    return None
