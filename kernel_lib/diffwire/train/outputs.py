"""What a finished run leaves in its output folder: weights, metrics as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import pathlib

import torch

from ..document import atomic_write_bytes, atomic_write_text

SCALAR_KEYS = ("step", "loss", "val_loss", "grad_norm", "lr", "time", "phase")


def metrics_csv(history: list[dict]) -> str:
    """One row per step; columns step, loss, val_loss (blank between evals), grad_norm, lr..."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(SCALAR_KEYS), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in history:
        w.writerow({k: r.get(k, "") for k in SCALAR_KEYS})
    return buf.getvalue()


def write(run, out: pathlib.Path) -> None:
    """weights.pt (the state dict), metrics.csv, metrics.json and the document beside them."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in run.model.state_dict().items()}, buf)
    atomic_write_bytes(out / "weights.pt", buf.getvalue())
    atomic_write_text(out / "metrics.csv", metrics_csv(run.history))
    summary = {"state": run.state, "reason": run.reason, "step": run.step,
               "threads": getattr(run, "threads", None), "history": run.history,
               "events": run.events}
    atomic_write_text(out / "metrics.json", json.dumps(summary, indent=1, default=str) + "\n")
    atomic_write_text(out / "model.diffwire", run.built.to_json())
