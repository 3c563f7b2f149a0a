"""What differed between two kept runs: the graph (nodes added, removed, params changed,
edges) and the hyperparameters (the training section, seed, device, threads, parent).

Both are computed from the runs' own files (``model.diffwire`` as started, ``run.json``),
so a diff shows what each run actually ran, not what the document says now.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from ..document import load as load_graph
from .store import read_record

#: Record fields that describe how a run was set up (not how it went).
RECORD_KEYS = ("seed", "device", "steps", "parent")


def _start_graph(run_dir: pathlib.Path):
    """The graph a run started with (graphs/ holds it at step 0), else its final one."""
    graphs = sorted((run_dir / "graphs").glob("step_*.diffwire")) if (run_dir / "graphs").is_dir() else []
    return load_graph(graphs[0] if graphs else run_dir / "model.diffwire")


def _flat(value: Any, prefix: str, out: dict) -> dict:
    """Nested dicts as dotted keys; lists and scalars stay whole (shown as JSON)."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flat(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = value
    return out


def graph_diff(a, b) -> dict:
    """Nodes added (in `b` only), removed (in `a` only), changed (type, params, label:
    each changed param as ``[before, after]``), and edges added/removed, top level."""
    added = sorted(set(b.nodes) - set(a.nodes))
    removed = sorted(set(a.nodes) - set(b.nodes))
    changed = []
    for nid in sorted(set(a.nodes) & set(b.nodes)):
        na, nb = a.nodes[nid], b.nodes[nid]
        params = {}
        for k in sorted(set(na.params) | set(nb.params)):
            va, vb = na.params.get(k), nb.params.get(k)
            if json.dumps(va, sort_keys=True, default=str) != json.dumps(vb, sort_keys=True, default=str):
                params[k] = [va, vb]
        if na.type != nb.type or params or na.label != nb.label:
            entry: dict = {"node": nid, "params": params}
            if na.type != nb.type:
                entry["type"] = [na.type, nb.type]
            if na.label != nb.label:
                entry["label"] = [na.label, nb.label]
            changed.append(entry)

    def edges(g):
        return {f"{e.source}.{e.source_port} -> {e.target}.{e.target_port}" for e in g.edges}

    ea, eb = edges(a), edges(b)
    return {"added": [{"node": n, "type": b.nodes[n].type} for n in added],
            "removed": [{"node": n, "type": a.nodes[n].type} for n in removed],
            "changed": changed, "edges_added": sorted(eb - ea), "edges_removed": sorted(ea - eb)}


def hparam_diff(a_section: dict, b_section: dict, a_record: dict, b_record: dict) -> list[dict]:
    """Training settings that differ: ``{"key", "a", "b"}`` for the training section's
    entries (dotted keys) and the record's set-up fields; a side that does not set the key
    has no ``a`` (or ``b``)."""
    fa = _flat(a_section or {}, "training", {})
    fb = _flat(b_section or {}, "training", {})
    for k in RECORD_KEYS:
        fa[k] = a_record.get(k)
        fb[k] = b_record.get(k)
    out = []
    for k in sorted(set(fa) | set(fb)):
        va, vb = fa.get(k), fb.get(k)
        if k in fa and k in fb and json.dumps(va, sort_keys=True, default=str) == json.dumps(
                vb, sort_keys=True, default=str):
            continue
        entry: dict = {"key": k}  # a side without the key has no "a"/"b": "(unset)"
        if k in fa:
            entry["a"] = va
        if k in fb:
            entry["b"] = vb
        out.append(entry)
    return out


def diff_runs(a_dir: str | pathlib.Path, b_dir: str | pathlib.Path) -> dict:
    """The graph and hyperparameter diff of two run folders, `a` before `b`."""
    a_dir, b_dir = pathlib.Path(a_dir), pathlib.Path(b_dir)
    ga, gb = _start_graph(a_dir), _start_graph(b_dir)
    ra, rb = read_record(a_dir), read_record(b_dir)
    return {"a": ra.get("id") or a_dir.name, "b": rb.get("id") or b_dir.name,
            "graph": graph_diff(ga, gb),
            "hparams": hparam_diff(ga.training, gb.training, ra, rb)}
