"""Data bindings -> tensors, the train/validation split and the batches of each step.

A binding says where one named array comes from:

- ``{"source": "kernel", "name": "X"}``: a variable of the kernel (a tensor or numpy
  array), looked up in the values given to ``dw.train(data=...)`` then in ``__main__``;
- ``{"source": "file", "path": "data.npz", "key": "x"}`` or a ``.csv`` with a header row
  (``"columns": ["a", "b"]``): relative to the document's folder (links resolved, never
  leaving it), sizes checked from headers, read without pickle (see ``datafiles.py``);
- ``{"source": "generator", "name": "sine", "kwargs": {...}, "key": "x"}``.

``"batch": false`` passes an array whole every step (a time grid, an initial state)
instead of slicing it along its first dimension; for an in-memory value write
``data={"t": {"source": "kernel", "value": t, "batch": False}}``.
"""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Any

import numpy as np
import torch

from ..errors import GraphError
from ..runtime import batches
from . import datafiles
from .generators import generate
from .windows import WindowSampler, window_name

SOURCES = ("kernel", "file", "generator")


def _err(name: str, message: str, **kw) -> GraphError:
    return GraphError(message, port=f"training.data.{name}", **kw)


def normalize_binding(name: str, b: Any) -> dict:
    """A binding dict from a binding, a kernel variable name, or a value (kept in memory)."""
    if isinstance(b, str):
        return {"source": "kernel", "name": b}
    if isinstance(b, dict) and "source" in b:
        if b["source"] not in SOURCES:
            raise _err(name, "unknown data source", expected=list(SOURCES), found=b["source"])
        return dict(b)
    if isinstance(b, dict):
        raise _err(name, "a data binding needs a 'source'", expected=list(SOURCES),
                   found=sorted(b))
    return {"source": "kernel", "name": name, "value": b}


def resolve(bindings: dict, root: pathlib.Path | None = None,
            cache: dict | None = None) -> dict[str, torch.Tensor]:
    """Every binding loaded as a tensor (float arrays become float32); `cache` keeps
    generator outputs between calls (validation checks bindings one by one)."""
    root = pathlib.Path(root or ".")
    cache = {} if cache is None else cache
    out = {}
    for name, b in bindings.items():
        value = _load(name, b, root, cache)
        out[name] = _tensor(name, value)
    return out


def _load(name: str, b: dict, root: pathlib.Path, cache: dict) -> Any:
    src = b["source"]
    if src == "kernel":
        if "value" in b:
            return b["value"]
        var = b.get("name", name)
        ns = vars(sys.modules["__main__"])
        if var not in ns:
            raise _err(name, f"no kernel variable '{var}'", hint="pass it as dw.train(data=...)")
        return ns[var]
    if src == "generator":
        key = json.dumps([b.get("name"), b.get("kwargs") or {}], sort_keys=True)
        if key not in cache:
            try:
                cache[key] = generate(b.get("name"), dict(b.get("kwargs") or {}))
            except GraphError as e:
                e.port = f"training.data.{name}" + (f".{e.port}" if e.port == "kwargs" else "")
                e.args = (e._text(),)
                raise
        arrays = cache[key]
        k = b.get("key", name)
        if k not in arrays:
            raise _err(name, f"generator '{b.get('name')}' gives no '{k}'",
                       expected=sorted(arrays), found=k)
        return arrays[k]
    return datafiles.read(name, b, root)


def _tensor(name: str, value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        t = value.detach()
    else:
        try:
            t = torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError, RuntimeError) as exc:
            raise _err(name, f"cannot make a tensor of it: {exc}",
                       found=type(value).__name__) from None
    if t.is_floating_point() and t.dtype == torch.float64:
        t = t.float()
    return t


class Dataset:
    """Named tensors split into train and validation rows; batches chosen by step.

    The batch of step `s` is a function of `(seed, s)` alone (a fresh permutation per
    epoch), so a run resumed from a checkpoint sees the same batches as one that never
    stopped, without saving sampler state.
    """

    def __init__(self, tensors: dict[str, torch.Tensor], whole: set[str], batch_size: int | None,
                 val_split: float, seed: int, device):
        self.whole = {k: v.to(device) for k, v in tensors.items() if k in whole}
        rows = {k: v for k, v in tensors.items() if k not in whole}
        sizes = {k: v.shape[0] if v.dim() else None for k, v in rows.items()}
        if None in sizes.values() or len(set(sizes.values())) > 1:
            raise GraphError("batched data must share their first dimension", port="training.data",
                             found=sizes, hint="mark fixed arrays with \"batch\": false")
        self.n = next(iter(sizes.values()), 0)
        self.seed = seed
        self.batch_size = batch_size
        train_idx, val_idx = batches.split_rows(self.n, val_split, seed)
        n_val = len(val_idx)
        self.train = {k: v[train_idx].to(device) for k, v in rows.items()}
        self.val = {k: v[val_idx].to(device) for k, v in rows.items()} if n_val else None
        self.n_train = self.n - n_val
        self._epoch, self._perm = -1, None

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        """The tensors of step `step` (everything when there is no batch size)."""
        bs = self.batch_size
        if not bs or bs >= self.n_train or not self.train:
            return {**self.train, **self.whole}
        per_epoch = -(-self.n_train // bs)
        epoch, i = divmod(step, per_epoch)
        if epoch != self._epoch:
            self._epoch, self._perm = epoch, batches.epoch_order(self.n_train, self.seed, epoch)
        idx = self._perm[i * bs:(i + 1) * bs]
        dev = next(iter(self.train.values())).device
        idx = idx.to(dev)
        return {**{k: v[idx] for k, v in self.train.items()}, **self.whole}

    def full(self) -> dict[str, torch.Tensor]:
        return {**self.train, **self.whole}

    def validation(self) -> dict[str, torch.Tensor] | None:
        return None if self.val is None else {**self.val, **self.whole}


def run_data(graph, config, root, device) -> Dataset | WindowSampler:
    """A run's data: its bindings' tensors, each in the dtype its Input asks for (integer
    data included), as row batches or, when a binding is windowed, as windows."""
    tensors = resolve(config.bindings, root)
    for n in graph.inputs():
        t = tensors.get(n.params["name"])
        want = {"float32": torch.float32, "float64": torch.float64}.get(
            n.params.get("dtype", "float32"))
        if t is None or want is None or t.is_complex():
            continue
        if n.params.get("dtype") == "float64" and t.is_floating_point():
            tensors[n.params["name"]] = t.double()
        elif not t.is_floating_point():
            tensors[n.params["name"]] = t.to(want)
    windowed = window_name(config.bindings)
    if windowed is not None:
        return WindowSampler(tensors, config.bindings, windowed, graph, config.seed, device,
                             config.val_split)
    whole = {k for k, b in config.bindings.items() if b.get("batch") is False}
    return Dataset(tensors, whole, config.batch_size, config.val_split, config.seed, device)
