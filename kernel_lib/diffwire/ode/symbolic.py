"""Symbolic recovery: fit a trained neural term with sparse regression (SINDy).

The network's outputs at the trajectory's states are the regression targets (`x_dot`),
so SINDy sees a smooth, denoised function instead of finite differences of noisy data.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import torch
from torch import nn

from ..document import Edge, Graph
from ..errors import GraphError
from . import selection
from .recovered import Recovered
from .refine import Fitter

LIBRARIES = {"poly1": 1, "poly2": 2, "poly3": 3, "poly4": 4, "poly5": 5}


def find_module(model: nn.Module, node: str) -> nn.Module:
    """The module computing node `node` (an id, found in bodies too, or a `/` path)."""
    from ..compile import CompiledGraph

    if "/" not in node:
        for m in model.modules():
            if isinstance(m, CompiledGraph) and node in m.blocks:
                return m.blocks[node]
    else:
        parts = node.split("/")
        m = model
        for i in range(0, len(parts) - 1, 2):
            m = _body_of(m.blocks[parts[i]], parts[i + 1])
        if parts[-1] in m.blocks:
            return m.blocks[parts[-1]]
    raise GraphError(f"no node '{node}' in the model", node=node,
                     hint="pass node= the id of the neural term (the UDE builders call it U)")


def _body_of(module: nn.Module, name: str):
    from ..compile import CompiledGraph

    for m in module.modules():
        if isinstance(m, CompiledGraph) and m is not module and f"/{name}/" in m.path:
            return m
    raise GraphError(f"no body '{name}'")


def recover(model, node: str = "U", states=None, library: str = "poly3",
            threshold: float | str = "auto", data: dict | None = None, names=None,
            alpha: float = 0.05, criterion: str = "aicc", bags: int = 40, folds: int = 5,
            seed: int = 0, refine: int = 4) -> Recovered:
    """Recover the equation a trained neural term represents.

    **Arguments:**

    - `model`: a compiled graph or a training run (its model and data are used).
    - `node`: the id of the neural term (``U`` in the UDE builders); its input is the state.
    - `states`: [N, D] states to evaluate it on. When omitted, `data` ``{"y0", "t"}`` (or
      the run's data) is integrated by the model on a grid of at least 100 points over the
      span of ``t`` and the predicted trajectory is used.
    - `data`: ``{"y0", "t"}`` and, when known, the observations under the model's output
      name (``"y"``): then candidates are judged by simulating the whole model with each in
      place of the network against the observations (see :mod:`.selection`).
    - `library`: ``poly1`` ... ``poly5`` (polynomials with bias up to that degree).
    - `threshold`: STLSQ's sparsity threshold, or ``"auto"``: a bagged sweep of thresholds
      whose candidates are ranked by `criterion` on `folds` held-out stretches.
    - `criterion`: ``"aicc"`` or ``"bic"``.
    - `bags`: bootstrap resamplings per threshold (inclusion probabilities, intervals).
    - `alpha`: STLSQ's ridge strength (pysindy's default); `seed`: the bags' generator.

    **Returns:** a :class:`Recovered` with `.text`, `.coefficients`, `.inclusion`, `.ci`,
    `.candidates`, `.summary()`, `.uncertain` and `.as_expression()`.
    """
    model, data = _model_and_data(model, data)
    _check_library(library)
    term = find_module(model, node)
    p = next(term.parameters(), None)
    dtype = p.dtype if p is not None else torch.get_default_dtype()
    fitter = times = None
    with torch.no_grad():
        if states is None:
            if not data or "y0" not in data or "t" not in data:
                raise GraphError("recover needs the states to evaluate the term on",
                                 node=node, hint="pass states=[N, D] or data={'y0':..., 't':...}")
            t = torch.as_tensor(data["t"])
            grid = torch.linspace(float(t[0]), float(t[-1]), max(100, len(t)), dtype=t.dtype)
            states = model(y0=data["y0"], t=grid)
            times = grid.double().numpy().repeat(int(np.prod(states.shape[1:-1], dtype=int)))
        states = torch.as_tensor(states)
        states = states.reshape(-1, states.shape[-1])
        if times is not None:
            fitter = _fitter(model, term, data, dtype, _powers(states.shape[-1],
                                                                LIBRARIES[library]))
        out = term(states.to(dtype))
    obs_t = None if fitter is None else np.asarray(torch.as_tensor(data["t"]).double())
    return fit_sindy(states, out, library, threshold, names, alpha, criterion=criterion,
                     bags=bags, folds=folds, seed=seed,
                     refine=refine,
                     held_out=None if fitter is None else (times, obs_t, fitter))


def fit_sindy(states, targets, library: str = "poly3", threshold: float | str = "auto",
              names=None, alpha: float = 0.05, criterion: str = "aicc", bags: int = 40,
              folds: int = 5, seed: int = 0, held_out=None, refine: int = 4) -> Recovered:
    """Sparse regression of `targets` [N, D] on a polynomial library of `states` [N, D];
    what :func:`recover` does after evaluating the network, usable on any targets
    (finite differences of raw data, say). With ``threshold="auto"``, a bagged sweep whose
    candidates are ranked by `criterion` on held-out stretches of the regression (or,
    through `held_out`, of a simulation: what :func:`recover` passes)."""
    _check_library(library)
    if criterion not in selection.CRITERIA:
        raise GraphError("unknown information criterion", port="criterion",
                         expected=list(selection.CRITERIA), found=criterion)
    if isinstance(bags, bool) or not isinstance(bags, int) or bags < 2:
        raise GraphError("must be an integer >= 2", port="bags", found=bags)
    X = np.asarray(torch.as_tensor(states).double().cpu())
    Y = np.asarray(torch.as_tensor(targets).double().cpu())
    d = X.shape[1]
    names = list(names) if names else (["x", "y", "z"][:d] if d <= 3 else [f"x{i}" for i in range(d)])
    powers = _powers(d, LIBRARIES[library])
    F = selection.features(X, powers)
    if threshold != "auto":
        return Recovered(selection.stlsq(F, Y, float(threshold), alpha), powers, names)
    return _select(F, Y, powers, names, alpha, criterion, bags, folds, seed, held_out, refine)


def _select(F, Y, powers, names, alpha, criterion, bags, folds, seed, held_out,
            refine) -> Recovered:
    rng = np.random.default_rng(seed)
    scale = float(np.sqrt((Y ** 2).mean())) or 1.0
    d = Y.shape[1]
    state_bags = selection.block_bags(len(F), bags, rng)
    if held_out is None:
        blocks = selection.stretches(len(F), folds)
        per_row = d

        def rows(support, replaced):
            if not blocks:  # one or two states: nothing to hold out, the sparsest wins
                return np.ones(1)
            masked = support & replaced[:, None]
            return selection.regression_rows(F[:, :], Y * replaced, masked, blocks)
        scored_on, n_rows = "regression", max(1, len(F)) if blocks else 1
        floor = 1e-12 * float((Y ** 2).sum())  # relative error 1e-6: float32 rounding
    else:
        times, obs_t, fitter = held_out
        observed = fitter.observed.double().numpy()
        obs_blocks = selection.stretches(len(obs_t), folds)
        state_blocks = [np.nonzero((times >= obs_t[b[0]]) & (times <= obs_t[b[-1]]))[0]
                        for b in obs_blocks]
        per_row = int(np.prod(observed.shape[1:]))

        def rows(support, replaced):
            return selection.simulation_rows(F, Y, support, state_blocks, obs_blocks, observed,
                                             lambda coef: fitter.prediction(coef, replaced))
        scored_on, n_rows = "simulation", len(obs_t)
        floor = 1e-12 * float((observed ** 2).sum())
    per_component, sparsest = [], []
    for k in range(d):
        replaced = np.arange(d) == k
        cands = []
        supports, path = selection.component_supports(F, Y[:, k], alpha, state_bags, scale)
        sparsest.append(path[:2])
        for s in supports:
            support = np.zeros((d, F.shape[1]), bool)
            support[k] = s
            cands.append(selection.Candidate(support, rows(support, replaced)))
        per_component.append(selection.rank(cands, criterion, per_row, floor))
        # and the one-term law that did best on the held-out stretches: where the network's
        # output wobbles about the law, forward selection on it may not start with the law
        sparsest[k] = sparsest[k] + [c.support[k] for c in per_component[k] if c.k == 1][:1]
    everything = np.ones(d, bool)
    top = [[c.support[k] for c in cands[:3]] for k, cands in enumerate(per_component)]
    joint = [selection.Candidate(s, rows(s, everything)) for s in selection.combine(top)]
    ranked = selection.rank(joint, criterion, per_row, floor)
    row_bags = selection.block_bags(n_rows, bags, rng)
    network = selection.lstsq(F, Y, ranked[0].support)
    if held_out is not None and refine:
        # the best few, and the sparsest laws (forward selection's first one or two terms
        # and the best single term, per component): a network's compensating errors can
        # rank those low
        trials = [c.support for c in ranked[:refine]] + selection.combine(sparsest)
        return _refined(trials, F, Y, powers, names, fitter, criterion, per_row, floor,
                        row_bags)
    best = ranked[0]
    inclusion = np.stack([selection.inclusion(per_component[k], criterion, per_row, row_bags,
                                              floor)[k] for k in range(d)])
    ci = selection.intervals(F, Y, best.support, state_bags)
    return Recovered(network, powers, names, inclusion=inclusion, ci=ci, candidates=ranked,
                     criterion=criterion, scored_on=scored_on, network_coefficients=network,
                     unexplained=_unexplained(F, Y, network, scale))


def _unexplained(F, Y, coef, scale) -> np.ndarray:
    """Per component, the rms misfit of the targets by `coef` relative to the targets' rms
    (all components together: a component the field barely needs is not held to its own
    tiny scale)."""
    return np.sqrt(((Y - F @ coef.T) ** 2).mean(0)) / scale


def _refined(trials, F, Y, powers, names, fitter, criterion, per_row, floor,
             row_bags) -> Recovered:
    """Candidate supports fitted to the observations, ranked again (see refine.py); then
    backward elimination: while the chosen model keeps a term whose interval includes 0
    (the data do not tell it from absent), the model without it is fitted and ranked too,
    and kept when the rule of :func:`.selection.choose` prefers it."""
    fitted, seen = [], set()

    def fit(support):
        if support.tobytes() in seen:
            return
        seen.add(support.tobytes())
        got = fitter.fit(support, selection.lstsq(F, Y, support))
        if got is not None:
            coef, rows, half = got
            fitted.append(selection.Candidate(support, rows, coef=coef, half=half))

    for support in trials:
        fit(support)
    if not fitted:
        raise GraphError("every candidate equation failed to solve when fitted to the data",
                         hint="check the observations, or pass refine=0")
    fitted = selection.rank(fitted, criterion, per_row, floor)
    for _ in range(int(fitted[0].support.sum())):
        best = fitted[0]
        # the least certain term: the widest interval relative to its coefficient
        doubt = np.where(best.support & (best.half >= np.abs(best.coef)),
                         best.half / np.maximum(np.abs(best.coef), 1e-300), 0)
        if not doubt.any():
            break
        fewer = best.support.copy()
        fewer[np.unravel_index(int(np.argmax(doubt)), doubt.shape)] = False
        if fewer.tobytes() in seen:
            break
        fit(fewer)
        fitted = selection.rank(fitted, criterion, per_row, floor)
        if fitted[0] is best:
            break
    best = fitted[0]
    inclusion = selection.inclusion(fitted, criterion, per_row, row_bags, floor)
    ci = np.stack([best.coef - best.half, best.coef + best.half], -1)
    # not `unexplained`: a network fitted to noisy points wobbles about the law (seeds of
    # the LV UDE that recover it within 1% miss 40% of their network's output), so the
    # equation is held to the observations instead, against the network's own fit
    network = selection.lstsq(F, Y, best.support)
    own = fitter.prediction(np.zeros_like(network), np.zeros(len(network), bool))
    return Recovered(best.coef, powers, names, inclusion=inclusion, ci=ci,
                     candidates=fitted, criterion=criterion,
                     scored_on="simulation; the best fitted to the observations",
                     network_coefficients=network,
                     fit=(float(best.rows.sum()),
                          math.inf if own is None else float(((own - fitter.observed.double()
                                                               .numpy()) ** 2).sum())))


def _fitter(model, term, data, dtype, powers):
    """A :class:`~.refine.Fitter` on the observations in `data` (under the model's one
    output name), or None when there are none."""
    outs = getattr(model, "output_names", [])
    if len(outs) != 1 or outs[0] not in data:
        return None
    return Fitter(model, term, {k: data[k] for k in ("y0", "t")},
                  np.asarray(torch.as_tensor(data[outs[0]]).double()), powers, dtype)


def _powers(d: int, degree: int) -> np.ndarray:
    """Exponents [F, d] of the polynomials up to `degree`, in pysindy's PolynomialLibrary
    column order (a test holds them equal), without importing pysindy (seconds)."""
    rows = []
    for deg in range(degree + 1):
        for combo in itertools.combinations_with_replacement(range(d), deg):
            rows.append(np.bincount(np.array(combo, dtype=int), minlength=d))
    return np.array(rows, dtype=int).reshape(-1, d)


def _check_library(library: str) -> None:
    if library not in LIBRARIES:
        raise GraphError("unknown library", port="library", expected=sorted(LIBRARIES),
                         found=library)

def _model_and_data(obj, data):
    if isinstance(obj, Graph):
        raise GraphError("recover needs trained weights: pass the compiled model or the run",
                         hint="model = g.compile(); ...train...; dw.recover(model, ...)")
    if hasattr(obj, "model") and not isinstance(obj, nn.Module):  # a training run
        if data is None and getattr(obj, "dataset", None) is not None:
            data = dict(obj.dataset.full())
        return obj.model, data
    return obj, data


def replace_with_expression(graph: Graph, recovered: Recovered, node: str = "U",
                            learnable: bool = True) -> Graph:
    """A copy of `graph` whose node `node` (a path like ``solve/field/U`` or an id found in
    any body) is an Expression computing `recovered`, wired the same way, keeping its id
    so every other node keeps its weights on rebuild."""
    g = graph.copy()
    owner, nid = _locate(g, node)
    old = owner.nodes[nid]
    if len(old.input_ports()) != 1:
        raise GraphError("only a one-input node can be replaced by a recovered term", node=node)
    in_port = old.input_ports()[0].name
    out_port = old.output_ports()[0].name
    params = recovered.as_expression("y", learnable=learnable)
    owner.nodes.pop(nid)
    owner.add("Expression", id=nid, label=f"{old.label or nid} (recovered)",
              position=old.position, **params)
    owner.edges = [_rewire(e, nid, in_port, out_port) for e in owner.edges]
    return g


def _rewire(e: Edge, nid: str, in_port: str, out_port: str) -> Edge:
    if e.target == nid and e.target_port == in_port:
        return dataclasses.replace(e, target_port="y")
    if e.source == nid and e.source_port == out_port:
        return dataclasses.replace(e, source_port="out")
    return e


def _locate(g: Graph, node: str):
    if "/" in node:
        parts = node.split("/")
        owner = g
        for i in range(0, len(parts) - 1, 2):
            owner = owner.nodes[parts[i]].body[parts[i + 1]]
        return owner, parts[-1]
    for path, n in g.walk():
        if n.id == node:
            parts = path.split("/")
            owner = g
            for i in range(0, len(parts) - 1, 2):
                owner = owner.nodes[parts[i]].body[parts[i + 1]]
            return owner, node
    raise GraphError(f"no node '{node}' in the graph", node=node)
