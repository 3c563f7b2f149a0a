"""Probes: what flows along chosen edges while a run trains, for the canvas's small plots.

A probe is a forward hook on the compiled module at the edge's target (a pre-hook: it sees
exactly the value on that wire) or, when the target computes nothing (an Output), at its
source. The hook samples every `every`-th call and keeps a bounded summary; the run's
delivery thread drains the samples into one ``probe`` event per edge with new points, as it
does the loss. Nothing heavier than a mean and a std runs in the training thread, and only
on sampled calls.

A sample is ``mean``/``std`` per component: the values themselves for a small tensor (at
most `VALUES` numbers: ``std`` is None), per feature for a batch of at most `COMPONENTS`
features (``[B, 2]``: two lines with their bands), else over all elements (one band).
"""

from __future__ import annotations

import collections
import threading
from typing import Any

import torch

VALUES = 8  # a tensor this small is drawn value by value
COMPONENTS = 4  # up to this many features get a line each
KEEP = 512  # samples kept per probe between two deliveries


def edge_key(e: dict | Any) -> str:
    """The canvas's edge id: ``src.port->dst.port``."""
    get = e.get if isinstance(e, dict) else lambda k: getattr(e, k)
    return f"{get('source')}.{get('source_port')}->{get('target')}.{get('target_port')}"


def summarize(value: Any) -> dict | None:
    """One sample of a wire's value: labels, and mean/std per component."""
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    if not isinstance(value, torch.Tensor) or not value.numel():
        return None
    t = value.detach().float()
    if t.numel() <= VALUES:
        flat = t.reshape(-1)
        labels = [f"[{i}]" for i in range(flat.numel())] if flat.numel() > 1 else ["value"]
        return {"labels": labels, "mean": flat.tolist(), "std": None}
    if t.ndim >= 2 and t.shape[-1] <= COMPONENTS:
        rows = t.reshape(-1, t.shape[-1])
        std, mean = torch.std_mean(rows, dim=0, correction=0)
        labels = [f"[{i}]" for i in range(t.shape[-1])]
    else:
        std, mean = torch.std_mean(t, correction=0)
        mean, std, labels = mean.reshape(1), std.reshape(1), ["mean"]
    return {"labels": labels, "mean": mean.tolist(), "std": std.tolist()}


class Probe:
    """One probed edge: its hook's handle and the samples not yet sent."""

    def __init__(self, edge: dict, every: int):
        self.edge = {k: str(edge[k]) for k in ("source", "source_port", "target", "target_port")}
        self.key = edge_key(self.edge)
        self.every = max(1, int(every))
        self.calls = 0
        self.samples: collections.deque = collections.deque(maxlen=KEEP)
        self.handle: Any = None
        self.error: str | None = None

    def take(self, step: int, value: Any) -> None:
        self.calls += 1
        if (self.calls - 1) % self.every:
            return
        s = summarize(value)
        if s is not None:
            self.samples.append((step, s))

    def drain(self) -> list:
        out = []
        while self.samples:
            out.append(self.samples.popleft())
        return out


class ProbeSet:
    """The probes an editor asked for, attached to whichever model its run trains now."""

    def __init__(self, every: int = 5):
        self.every = every
        self.probes: dict[str, Probe] = {}
        self._lock = threading.Lock()
        self._run: Any = None

    def set(self, edge: dict, on: bool) -> Probe | None:
        """Add (or remove) the probe of `edge`; a live run gets its hook at once."""
        key = edge_key(edge)
        with self._lock:
            old = self.probes.pop(key, None)
            if old is not None and old.handle is not None:
                old.handle.remove()
            if not on:
                return None
            probe = self.probes[key] = Probe(edge, self.every)
            if self._run is not None:
                self._hook(probe, self._run)
            return probe

    def keep_only(self, keys: set[str]) -> None:
        """Drop the probes of edges that are gone from the document."""
        for key in [k for k in self.probes if k not in keys]:
            self.set(self.probes[key].edge, False)

    def attach(self, run: Any) -> None:
        """Hook every probe into `run`'s model (a new run, or a rebuilt model)."""
        with self._lock:
            self._run = run
            for p in self.probes.values():
                self._hook(p, run)

    def _hook(self, probe: Probe, run: Any) -> None:
        if probe.handle is not None:
            probe.handle.remove()
            probe.handle = None
        blocks = getattr(getattr(run, "model", None), "blocks", None)
        graph = getattr(run, "graph", None)
        if blocks is None:
            return
        e = probe.edge

        def index(node: str, port: str, side: str) -> tuple[int, int]:
            n = graph.nodes.get(node) if graph is not None else None
            ports = [p.name for p in (n.input_ports() if side == "in" else n.output_ports())] if n else []
            return (ports.index(port) if port in ports else 0), len(ports)

        def step() -> int:
            return int(getattr(run, "step", 0))

        if e["target"] in blocks:  # the value as it enters the target
            i, _ = index(e["target"], e["target_port"], "in")

            def pre(_m, args, i=i):
                if i < len(args):
                    probe.take(step(), args[i])

            probe.handle = blocks[e["target"]].register_forward_pre_hook(pre)
        elif e["source"] in blocks:  # an Output computes nothing: as it leaves
            i, n = index(e["source"], e["source_port"], "out")

            def post(_m, _args, out, i=i, many=n > 1):
                probe.take(step(), out[i] if many and isinstance(out, (tuple, list)) else out)

            probe.handle = blocks[e["source"]].register_forward_hook(post)
        else:
            probe.error = "nothing is computed along this wire (an Input wired to an Output)"

    def events(self) -> list[dict]:
        """One ``probe`` event per probe with new samples since the last call."""
        out = []
        with self._lock:
            probes = list(self.probes.values())
        for p in probes:
            samples = p.drain()
            if not samples and p.error is None:
                continue
            ev: dict = {"event": "probe", "edge": p.key, "step": [s for s, _ in samples],
                        "mean": [x["mean"] for _, x in samples],
                        "std": [x["std"] for _, x in samples],
                        "labels": samples[-1][1]["labels"] if samples else []}
            if p.error:
                ev["error"], p.error = p.error, None  # said once
            out.append(ev)
        return out
