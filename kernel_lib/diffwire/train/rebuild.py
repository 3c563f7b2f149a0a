"""Rebuilding a live run: carry weights and optimizer state from an old compiled graph to a
rebuilt one.

A top-level node keeps its state when its block type is unchanged and every tensor under
``blocks.<node id>.`` has the same name and shape; otherwise it starts afresh.
"""

from __future__ import annotations

import math

import torch

from ..document import Graph
from ..errors import GraphError, GraphErrors
from . import optim
from .config import check_inputs
from .losses import LossFn, normalize_loss
from .store import StoreError


def _by_node(module: torch.nn.Module) -> dict[str, dict[str, torch.Tensor]]:
    out: dict[str, dict[str, torch.Tensor]] = {}
    for key, t in module.state_dict(keep_vars=True).items():
        parts = key.split(".")
        if parts[0] == "blocks" and len(parts) > 2:
            out.setdefault(parts[1], {})[key] = t
    return out


def transfer(old_graph_types: dict[str, str], old: torch.nn.Module, new_graph: Graph,
             new: torch.nn.Module) -> dict:
    """Copy the tensors of unchanged nodes from `old` into `new` (in place).

    Returns ``{"kept": [...], "reset": [...], "removed": [...], "params": {new_p: old_p}}``.
    """
    olds, news = _by_node(old), _by_node(new)
    kept, reset, pairs = [], [], {}
    for nid, tensors in news.items():
        src = olds.get(nid)
        same = (src is not None and old_graph_types.get(nid) == new_graph.nodes[nid].type
                and set(src) == set(tensors)
                and all(src[k].shape == t.shape and src[k].dtype == t.dtype for k, t in tensors.items()))
        if not same:
            reset.append(nid)
            continue
        kept.append(nid)
        with torch.no_grad():
            for k, t in tensors.items():
                t.copy_(src[k])
                if isinstance(t, torch.nn.Parameter):
                    pairs[id(t)] = src[k]
    removed = sorted(set(olds) - set(news))
    return {"kept": sorted(kept), "reset": sorted(reset), "removed": removed, "pairs": pairs}


def transfer_optimizer(old_opt, new_opt, pairs: dict[int, torch.Tensor]) -> None:
    """Move per-parameter optimizer state to the new parameters that replaced old ones.
    Hyperparameters (lr as set live, betas...) follow from the old param groups."""
    for g_new, g_old in zip(new_opt.param_groups, old_opt.param_groups):
        for k, v in g_old.items():
            if k != "params":
                g_new[k] = v
    if isinstance(new_opt, torch.optim.LBFGS):
        # LBFGS keeps one history of flattened vectors: valid only if nothing changed.
        old_ps = [p for g in old_opt.param_groups for p in g["params"]]
        new_ps = [p for g in new_opt.param_groups for p in g["params"]]
        if len(old_ps) == len(new_ps) and all(pairs.get(id(n)) is o for n, o in zip(new_ps, old_ps)):
            if old_ps and old_ps[0] in old_opt.state:
                new_opt.state[new_ps[0]] = _clone(old_opt.state[old_ps[0]])
        return
    for g in new_opt.param_groups:
        for p in g["params"]:
            o = pairs.get(id(p))
            if o is not None and o in old_opt.state:
                new_opt.state[p] = _clone(old_opt.state[o])


def _clone(state):
    if isinstance(state, torch.Tensor):
        return state.clone()
    if isinstance(state, dict):
        return {k: _clone(v) for k, v in state.items()}
    if isinstance(state, list):
        return [_clone(v) for v in state]
    return state


def rebuild_run(run, g: Graph) -> dict:
    """Recompile `g` into `run` (see ``Run.rebuild``); an invalid graph raises before
    anything changes."""
    errors = [e for e in g.validate() if e.severity == "error"]
    if errors:
        raise errors[0] if len(errors) == 1 else GraphErrors(errors)
    check_inputs(g, run.config)
    run.config.loss = normalize_loss(g, run.config.loss, run.config.bindings)
    for i, ph in enumerate(run.config.phases):
        if ph.node is not None and ph.node not in g.nodes:
            raise GraphError(f"the schedule's optimizer node '{ph.node}' is gone",
                             node=ph.node, port=f"training.schedule.{i}")
    new = g.compile(seed=run.config.seed + run.step + 1).to(run.device)
    report = transfer(run._types, run.model, g, new)
    pairs = report.pop("pairs")
    spec, opt, sched = run._make_phase(run.phase, g, new)  # may raise: nothing changed yet
    old_opt, old_sched, old_spec = run.optimizer, run.scheduler, dict(run.spec)
    run.model, run.graph = new, g
    run._set_built(g)
    run.loss_fn = LossFn(run.config.loss, g)
    run.spec, run.optimizer, run.scheduler = spec, opt, sched
    if run.spec["kind"] == old_spec.get("kind") and run.spec["stages"] == old_spec.get("stages"):
        transfer_optimizer(old_opt, run.optimizer, pairs)
        for group, og in zip(run.optimizer.param_groups, old_opt.param_groups):
            for k in optim.LIVE_KEYS:
                if k in group and _same(run.spec.get(k), old_spec.get(k)):
                    group[k] = og[k]
        if run.scheduler is not None and type(old_sched) is type(run.scheduler):
            run.scheduler.load_state_dict(old_sched.state_dict())
    else:
        report["optimizer_reset"] = True
    run.grad_check = None  # check the gradient flow of the new wiring
    report["step"] = run.step
    if run.rec.open:
        try:
            run.rec.store.write_graph(run.built.to_json(), run.step)
        except StoreError as exc:
            run._event("store_error", error=str(exc))
    run._event("rebuild", **report)
    run._emit("on_rebuild", report)
    return report


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def structure(g: Graph) -> tuple:
    """What a rebuild would change (positions and labels aside): a run is stale when the
    graph's structure differs from the built one's."""
    nodes = []
    for n in g.nodes.values():
        body = {k: structure(b) for k, b in n.bodies().items()}
        nodes.append((n.id, n.type, repr(sorted(n.read_params().items())),
                      repr(sorted(body.items()))))
    return tuple(nodes), tuple(sorted((e.source, e.source_port, e.target, e.target_port)
                                      for e in g.edges))
