"""A sweep's results: one row per trial, a table, and a parallel-coordinates figure."""

from __future__ import annotations

import json
import math
import pathlib

METRICS = {"loss": "final loss", "best_loss": "best loss"}


class SweepResult:
    """What :func:`diffwire.sweep` returns.

    - `id`: the sweep's id (each trial's run record carries it in ``tags.sweep``).
    - `space`: the checked space. `names`: the hyperparameters, in the space's order.
    - `rows`: one dict per trial: ``trial``, ``values``, ``state`` (finished or failed),
      ``reason``, ``loss`` (final), ``best_loss``, ``steps``, ``wall_s``, ``run`` (the
      run's id in the runs folder) and ``path``.
    - `path`: the sweep's record, ``<runs folder>/sweeps/<id>.json``.
    """

    def __init__(self, sweep_id: str, space: dict, rows: list[dict], **meta):
        self.id = sweep_id
        self.space = space
        self.names = list(space)
        self.rows = rows
        self.meta = meta
        self.path: pathlib.Path | None = None

    @property
    def finished(self) -> list[dict]:
        return [r for r in self.rows if r["state"] == "finished"]

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.rows if r["state"] != "finished"]

    @property
    def best(self) -> dict | None:
        """The finished trial with the lowest best loss (None when every trial failed)."""
        ok = [r for r in self.finished if math.isfinite(r["best_loss"])]
        return min(ok, key=lambda r: r["best_loss"]) if ok else None

    def table(self) -> list[dict]:
        """Flat rows: the hyperparameters as columns, then the results."""
        return [{"trial": r["trial"], **r["values"], "state": r["state"], "loss": r["loss"],
                 "best_loss": r["best_loss"], "steps": r["steps"],
                 "wall_s": r.get("wall_s"), "run": r["run"], "reason": r["reason"]}
                for r in self.rows]

    def to_markdown(self) -> str:
        """The table as Markdown, best loss first, failures last with their reason."""
        cols = ["trial", *self.names, "state", "final loss", "best loss", "steps run", "s"]
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        order = sorted(self.rows, key=lambda r: (r["state"] != "finished",
                                                 _key(r["best_loss"]), r["trial"]))
        for r in order:
            cells = [str(r["trial"]), *(_cell(r["values"].get(n)) for n in self.names),
                     r["state"] if r["state"] == "finished" else
                     f"failed: {_clip(r['reason'])}",
                     _cell(r["loss"]), _cell(r["best_loss"]), str(r["steps"]),
                     f"{r.get('wall_s') or 0:.1f}"]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"space": self.space, "names": self.names, **self.meta,
                "rows": [{k: v for k, v in r.items() if k != "files"} for r in self.rows]}

    def figure(self, metric: str = "best_loss"):
        """A parallel-coordinates plot (plotly ``go.Parcoords``) of every finished trial:
        one axis per hyperparameter, then the final and best loss, lines coloured by
        `metric`. See ``figure.py``."""
        from .figure import parallel_coordinates

        return parallel_coordinates(self, metric)

    def __repr__(self) -> str:
        best = self.best
        tail = f", best {best['best_loss']:.4g} (trial {best['trial']})" if best else ""
        return (f"<SweepResult {self.id}: {len(self.rows)} trials, "
                f"{len(self.failed)} failed{tail}>")


def load_sweep(path: str | pathlib.Path) -> SweepResult:
    """A sweep read back from its record (``<runs folder>/sweeps/<id>.json``); JSON only."""
    rec = json.loads(pathlib.Path(path).read_text())
    meta = {k: rec[k] for k in ("backend", "samples", "search_seed") if k in rec}
    out = SweepResult(rec["id"], rec["space"], rec["rows"], **meta)
    out.path = pathlib.Path(path)
    return out


def _key(v) -> float:
    return v if isinstance(v, (int, float)) and math.isfinite(v) else math.inf


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else "-"
    return str(v).replace("|", "/")


def _clip(text, n: int = 80) -> str:
    text = str(text or "").replace("|", "/").replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"
