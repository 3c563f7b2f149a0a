"""Checkpoints: one ``torch.save`` file per save, written atomically, loadable with
``torch.load(weights_only=True)``: the document is stored as JSON text and RNG states as
tensors, so nothing in the file needs pickle to come back."""

from __future__ import annotations

import os
import pathlib
import pickle
import warnings
import zipfile

import torch

from ..document import atomic_write
from ..errors import FormatError, GraphError
from .paths import checkpoint_file
from .store import StoreError

FORMAT = "diffwire-checkpoint/1"


def rng_state() -> dict:
    out = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def payload(run) -> dict:
    """What a checkpoint of `run` holds, as plain data. With a run folder the history stays
    there (the checkpoint names the run); without one it travels in the checkpoint."""
    rec = run.rec
    return {
        "step": run.step,
        "phase": run.phase,
        "model": {k: v.detach().cpu() for k, v in run.model.state_dict().items()},
        "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict() if run.scheduler is not None else {},
        "document": run.built.to_json(),
        "rng": rng_state(),
        "summary": rec.summary.state_dict(),
        **({"run": rec.store.id} if rec.open else
           {"history": [{k: v for k, v in r.items() if k != "nodes"} for r in run.history]}),
    }


def save(path: str | os.PathLike, payload: dict) -> pathlib.Path:
    """Write `payload` (plus the format tag) to `path` atomically: temp file, then rename."""
    return atomic_write(path, lambda tmp: torch.save({"format": FORMAT, **payload}, tmp))


def write(run, path=None) -> pathlib.Path:
    """Checkpoint `run` now: to `path`, or (None) into its folder, where the history up to
    here is flushed first and the retention rule then prunes the older checkpoints."""
    kept = path is None
    if kept:
        if not run.rec.open:
            raise GraphError("no checkpoint path and no folder for the run",
                             hint="pass out= to dw.train, or a path here")
        run.rec.flush(run)  # the history up to here is on disk before the checkpoint
        path = run.rec.checkpoint_path(run.step)
    try:
        p = save(path, payload(run))
    except OSError as exc:
        raise StoreError(f"cannot write the checkpoint {path}: {exc.strerror or exc}",
                         found=f"{type(exc).__name__}: {exc}") from None
    run.last_checkpoint = p
    run._event("checkpoint", path=str(p))
    if kept:
        removed = run.rec.kept(run, p)
        if removed:
            run._event("checkpoints_pruned", steps=[c["step"] for c in removed])
    return p


def load(path: str | os.PathLike, map_location="cpu") -> dict:
    """Read a checkpoint with ``weights_only=True``; anything that needs pickle is refused."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FormatError(f"no checkpoint at {path}")
    try:
        path = checkpoint_file(path)  # a link into another folder is refused
    except GraphError as e:
        raise FormatError(e.message, found=e.found, expected=e.expected) from None
    try:
        with warnings.catch_warnings():  # torch's note about pickle protocols is noise here
            warnings.simplefilter("ignore", UserWarning)
            ck = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, AttributeError, EOFError, ValueError,
            OSError, KeyError, IndexError, TypeError, zipfile.BadZipFile) as exc:
        # OSError: a truncated zip (a partial copy, a full disk) makes torch's reader fail
        # with "Invalid argument"; the rest: pickle payloads and corrupted records.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FormatError(f"refusing to load {path.name}: not a complete, plain-data "
                          f"checkpoint ({type(exc).__name__}: {first[:200]})",
                          hint="checkpoints load with weights_only=True; pickled objects are "
                               "never unpickled") from None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise FormatError(f"{path.name} is not a diffwire checkpoint", expected=FORMAT,
                          found=ck.get("format") if isinstance(ck, dict) else type(ck).__name__)
    return ck
