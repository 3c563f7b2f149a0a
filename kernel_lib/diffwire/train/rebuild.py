"""Carry weights and optimizer state from an old compiled graph to a rebuilt one.

A top-level node keeps its state when its block type is unchanged and every tensor under
``blocks.<node id>.`` has the same name and shape; otherwise it starts afresh.
"""

from __future__ import annotations

import torch

from ..document import Graph


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
