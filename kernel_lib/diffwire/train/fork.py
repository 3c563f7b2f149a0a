"""Forks: a new run that starts from a kept checkpoint of another run, with the graph as it
is edited now.

Nodes whose block type and tensor shapes are unchanged take the checkpoint's weights (the
rule a live rebuild uses); the others start afresh. The optimizer's state comes along only
when nothing changed (same nodes, same phase); otherwise the fork's optimizer starts fresh.
Hyperparameters edited on the phase's Optimizer node since the checkpoint (its lr...) take
effect in the fork, as they would in a rebuild; the others stay as the checkpoint had them.
The fork's record names its parent run and step, and its history begins with the parent's
records up to that step.
"""

from __future__ import annotations

import os
import pathlib

from ..document import Graph
from . import checkpoint as ckpt
from . import optim
from .config import phase_spec
from .rebuild import _same, transfer
from .store import StoreError, read_record


def find_checkpoint(source: str | os.PathLike, step: int | None = None) -> pathlib.Path:
    """The checkpoint file of run folder `source` at `step` (None: its latest kept one), or
    `source` itself when it is a checkpoint file."""
    src = pathlib.Path(source)
    if src.is_file():
        return src
    rec = read_record(src)
    kept = sorted(rec.get("checkpoints") or [], key=lambda c: c["step"])
    if not kept:
        raise StoreError(f"run {rec.get('id')} has no kept checkpoint", port="fork",
                         hint="set checkpoint_every, or fork a run that ended (the last "
                              "step is always kept)")
    if step is None:
        return src / kept[-1]["file"]
    for c in kept:
        if c["step"] == step:
            return src / c["file"]
    raise StoreError(f"run {rec.get('id')} has no kept checkpoint at step {step}",
                     port="fork", expected=[c["step"] for c in kept], found=step)


def start_from(run, path: pathlib.Path, ck: dict) -> dict:
    """Put checkpoint `ck` (read from `path`) into `run`, whose graph may differ from the
    checkpoint's. Returns the report: ``kept``/``reset``/``removed`` nodes, ``optimizer``
    ("kept" or "fresh"), ``parent``, ``step``."""
    old_graph = Graph.from_json(ck["document"])
    old = old_graph.compile(seed=0)
    old.load_state_dict(ck["model"])
    report = transfer({nid: n.type for nid, n in old_graph.nodes.items()}, old, run.graph,
                      run.model)
    report.pop("pairs")
    run.step = int(ck["step"])
    phase = run.config.phase_index(run.step)
    run._setup_phase(phase)
    report["optimizer"] = "fresh"
    if not report["reset"] and not report["removed"] and phase == int(ck["phase"]):
        try:
            run.optimizer.load_state_dict(ck["optimizer"])
            if run.scheduler is not None and ck.get("scheduler"):
                run.scheduler.load_state_dict(ck["scheduler"])
            report["optimizer"] = "kept"
            report["edited"] = _follow_edits(run, old_graph, phase)
        except (ValueError, KeyError, RuntimeError):  # another optimizer kind or options
            run._setup_phase(phase)
    run.rec.from_parent("fork", path, ck)
    run._rng = ck["rng"]
    run._fresh = False
    report.update(step=run.step, parent=run.rec.parent.get("run"))
    run._event("fork", **report)
    return report


def _follow_edits(run, old_graph: Graph, phase: int) -> list[str]:
    """Apply the hyperparameters the person changed on the phase's Optimizer node since the
    checkpoint (the optimizer's loaded state carries the checkpoint's values, a lr set live
    included); returns their names."""
    node = run.config.phases[phase].node
    if node is None or node not in old_graph.nodes:
        return []
    old_spec, _ = phase_spec(old_graph, node)
    edited = []
    for k in sorted(optim.LIVE_KEYS | set(optim.SCHEDULE_KEYS)):
        if k in run.spec and not _same(run.spec.get(k), old_spec.get(k)):
            optim.apply_live(run.optimizer, run.scheduler, k, run.spec[k])
            edited.append(k)
    return edited


def parent_root(path: pathlib.Path) -> pathlib.Path | None:
    """The runs folder a checkpoint's run lives in (where its forks and resumptions go)."""
    run_dir = path.resolve().parent.parent
    return run_dir.parent if (run_dir / "run.json").is_file() else None


def load(source, step=None) -> tuple[pathlib.Path, dict]:
    path = find_checkpoint(source, step)
    return path, ckpt.load(path)
