"""Graph <-> plain PyTorch: export a graph as a standalone module, import modules back.

- :func:`export`: a graph as one readable Python file (an ``nn.Module``, ``train()`` and
  a ``__main__`` that trains, also under torchrun).
- :func:`from_python`: the graph a file written by :func:`export` carries.
- :func:`from_module`: an existing ``nn.Module`` traced with torch.fx into a graph.

``dw.export`` is both this package and the function: calling the package calls
:func:`export` (a plain function of that name would shadow the package, and
``import diffwire.export.codegen`` would break), as ``dw.train`` does.
"""

from __future__ import annotations

import inspect as _inspect
import os
import pathlib
import sys as _sys
import types as _types

from ..blocks.module import MODULES, Module
from ..document import Graph
from .codegen import BodyRef, NodeContext, exporter_for
from .registry import EXPORTERS, exporter


def export(graph: Graph, path: str | os.PathLike | None = None, *, training: bool = True,
           check: bool = True) -> str:
    """Write `graph` as one standalone PyTorch module and return its source.

    **Arguments:**

    - `graph`: the graph to export (validated first unless `check` is false).
    - `path`: when given, the file is also written there (atomically).
    - `training`: include ``train()`` and a ``__main__`` built from the document's
      training section (with torchrun / DistributedDataParallel support).

    **Returns:** the source text. It imports only torch (and torchdiffeq for ODE solves);
    ``Model().load_state_dict(graph.compile().state_dict())`` works without renaming.
    """
    from ..document import atomic_write_text
    from .writer import export_source

    name = pathlib.Path(path).name if path is not None else "model.py"
    text = export_source(graph, training=training, name=name, check=check)
    if path is not None:
        atomic_write_text(pathlib.Path(path), text)
    return text


def from_python(path: str | os.PathLike) -> Graph:
    """Read back the graph that a file written by :func:`export` carries.

    The file is parsed with ``ast`` and only its ``DIFFWIRE_DOCUMENT`` string constant is
    read: nothing in it is imported or run. Raises :class:`~diffwire.FormatError` when the
    file holds no document.
    """
    from .reader import read_document

    return read_document(path)


def from_module(module, example_inputs=(), **kwargs) -> Graph:
    """Turn an ``nn.Module`` into a graph by tracing it with torch.fx.

    **Arguments:**

    - `module`: the module to import.
    - `example_inputs`: a tensor or a tuple of tensors, one per ``forward`` argument;
      they give the Input nodes their shapes (the first dimension stays symbolic).

    **Returns:** a :class:`~diffwire.Graph` whose compiled module computes what `module`
    does, with its weights copied. Layers and functions with a matching block become
    that block (Linear, MLP, Activation, Add, Concat, Reshape, ...); anything else
    becomes an opaque ``Module`` block that holds the submodule in memory and shows its
    class name.
    """
    from .fx_import import import_module

    return import_module(module, example_inputs, **kwargs)


class _CallablePackage(_types.ModuleType):
    def __call__(self, *args, **kwargs):
        return export(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallablePackage
__signature__ = _inspect.signature(export)  # what Shift-Tab and help() show for dw.export(...)
__doc__ = f"{export.__doc__}\n{__doc__}"

__all__ = ["BodyRef", "EXPORTERS", "MODULES", "Module", "NodeContext", "export", "exporter",
           "exporter_for", "from_module", "from_python"]
