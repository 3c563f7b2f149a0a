"""A run of an ensemble: the members of :mod:`.ensemble` as one batched model
(:mod:`.batched`), stepped by :mod:`.ensemble_step`, with a history row per member.

It is a :class:`~diffwire.train.run.Run` (same states, commands, store, checkpoints,
callbacks) that builds, steps and evaluates its own way; what else differs is here:
``member(i)``, the members' own folders at the end, and no live rebuild.
"""

from __future__ import annotations

import pathlib

import torch

from ..compile import compile_graph
from ..document import Graph, atomic_write
from ..errors import ParamError
from ..shapes import resolve_auto
from . import optim
from .batched import BatchedMembers
from .commands import HANDLERS
from .ensemble import Ensemble
from .ensemble_step import PerMember, ensemble_step, member_groups
from .run import Run


def _no_rebuild(run, graph: Graph | None = None) -> dict:
    raise ParamError("an ensemble run cannot rebuild its members live",
                     hint="stop it and start a new ensemble with the edited graph")


class EnsembleRun(Run):
    """N members of one graph trained together; create it with
    ``dw.train(g, ..., ensemble=dw.Ensemble(...))``.

    Beyond a :class:`~diffwire.train.run.Run`:

    - `history` has one row per member per step, with ``member`` (0-based), and so do
      ``on_step_end`` callbacks; `loss` is the best member's latest loss, `member_losses`
      every member's. The live plots (``on_metrics``) get one point per step: the best
      member's record with ``loss_mean``, ``loss_max`` and ``best_member``.
    - `member(i)`: member i as an ordinary compiled model with its weights (its graph,
      masks written in, at ``.graph``: ``dw.export(run.member(i).graph)``).
    - `batched`: whether the members ran as one vmapped model; `fallback` says why not.
    - With a folder, ``members/<i>/`` holds each member's ``weights.pt`` and
      ``model.diffwire`` at the end; every checkpoint holds every member's weights
      (``members.<i>.blocks...``) and optimizer state.
    """

    handlers = {**HANDLERS, "rebuild": _no_rebuild}

    def __init__(self, graph: Graph, config, ensemble: Ensemble, **kw):
        self.ensemble = ensemble
        self.member_graphs = ensemble.member_graphs(graph)
        self.member_seeds = ensemble.member_seeds(config.seed)
        super().__init__(graph, config, **kw)
        self._event("ensemble", **{**ensemble.to_json(), "size": len(self.member_graphs),
                                   "seeds": self.member_seeds})

    # -- building and stepping -------------------------------------------------------

    def _build_model(self, graph: Graph) -> BatchedMembers:
        members = [compile_graph(resolve_auto(g), seed=s, check=i == 0)  # one structure: validate once
                   for i, (g, s) in enumerate(zip(self.member_graphs, self.member_seeds))]
        return BatchedMembers(members)

    def _make_phase(self, i: int, graph: Graph, model) -> tuple:
        spec = self.config.optimizer_spec(i, graph)
        specs = [self.ensemble.member_spec(k, spec) for k in range(len(model))]
        params = [optim.select_params(m, spec["nodes"]) for m in model.members]
        if not params[0]:
            raise ParamError("nothing to train: the graph has no learnable parameters",
                             node=self.config.phases[i].node,
                             port="nodes" if spec["nodes"] else None)
        self.member_params = params
        self.member_clip = [s["grad_clip"] for s in specs]
        steps = self.config.phase_length(i)
        if optim.is_lbfgs_spec(spec):
            opts = [optim.make_optimizer(s, p) for s, p in zip(specs, params)]
            self.member_group = list(range(len(opts)))
            scheds = [optim.make_scheduler(s, o, steps) for s, o in zip(specs, opts)]
            return spec, PerMember(opts), None if scheds[0] is None else PerMember(scheds)
        groups, self.member_group = member_groups(spec, specs, params)
        opt = optim.make_optimizer(spec, groups, foreach=True)
        return spec, opt, optim.make_scheduler(spec, opt, steps)

    def _train_step(self, s: int) -> list[dict]:
        before = self.model.vmapped
        records = ensemble_step(self, s)
        if before and not self.model.vmapped:
            self._event("ensemble_fallback", reason=self.model.reason)
        return records

    def _compile_model(self) -> dict:
        return {"requested": self.config.compile, "applied": False, "solves": [],
                "reason": None if self.config.compile is False else
                "an ensemble's batched members (vmap) run eager"}

    def _val_losses(self, val: dict) -> list[float]:
        return self.model.losses(self.loss_fn, val).tolist()

    def _streamed(self, records: list[dict]) -> list[dict]:
        """One point per step for the live plots: the best member's loss, with the
        members' mean and worst (``on_step_end`` and the history get every member)."""
        losses = [r["loss"] for r in records]
        best = min(range(len(records)), key=losses.__getitem__)
        point = {k: v for k, v in records[best].items() if k != "member"}
        point.update(best_member=best, loss_mean=sum(losses) / len(losses),
                     loss_max=max(losses))
        vals = [r["val_loss"] for r in records if "val_loss" in r]
        if vals:
            point["val_loss"] = min(vals)
        return [point]

    # -- members ---------------------------------------------------------------------

    @property
    def batched(self) -> bool:
        return self.model.vmapped

    @property
    def fallback(self) -> str | None:
        """Why the members ran one after another (None: they ran as one batched model)."""
        return self.model.reason

    @property
    def member_losses(self) -> list[float]:
        return [self.rec.members[k] for k in sorted(self.rec.members)]

    def member_graph(self, i: int) -> Graph:
        """Member `i`'s graph: masks written in, its seed and hyperparameters in the
        training section (its optimizer phases inline)."""
        g = self.member_graphs[self._index(i)].copy()
        section = self.config.to_section()
        section["seed"] = self.member_seeds[i]
        phases = []
        for k, ph in enumerate(self.config.phases):
            phases.append({"optimizer": self.ensemble.member_spec(
                i, self.config.optimizer_spec(k, self.graph)), "steps": ph.steps})
        section.pop("optimizer", None)
        section.pop("ensemble", None)  # the member trains alone
        section["schedule"] = phases
        g.training = section
        return g

    def member(self, i: int):
        """Member `i` as an ordinary compiled model holding its current weights; its graph
        is ``.graph`` (``dw.export(run.member(i).graph)``)."""
        g = self.member_graph(i)
        model = compile_graph(resolve_auto(g), check=False)
        model.load_state_dict(self.model.members[self._index(i)].state_dict())
        model.graph = g
        return model

    def __repr__(self) -> str:
        how = "batched" if self.batched else "one by one"
        return super().__repr__().replace("<Run ", f"<EnsembleRun {len(self.member_graphs)} "
                                          f"members ({how}) ", 1)

    def _index(self, i: int) -> int:
        n = len(self.member_graphs)
        if not isinstance(i, int) or not -n <= i < n:
            raise ParamError("no such member", port="member", expected=f"0..{n - 1}", found=i)
        return i % n

    def _finish(self, state: str, reason: str | None, exc: BaseException | None = None) -> None:
        super()._finish(state, reason, exc)
        if self.path is None:
            return
        try:
            for i in range(len(self.member_graphs)):
                self._write_member(self.path / "members" / f"{i:03d}", i)
        except Exception as e:  # noqa: BLE001 - the run's own state matters more than files
            self._event("output_error", error=f"{type(e).__name__}: {e}")

    def _write_member(self, folder: pathlib.Path, i: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        weights = {k: v.detach().cpu() for k, v in self.model.members[i].state_dict().items()}
        atomic_write(folder / "weights.pt", lambda tmp: torch.save(weights, tmp))
        self.member_graph(i).save(folder / "model.diffwire")
