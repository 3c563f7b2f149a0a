"""Graph <-> plain PyTorch: export a graph as a standalone module, import modules back.

- :func:`export`: a graph as a readable Python module (``Model``, an ``nn.Module``), with
  its training harness in a second file (``train()`` and a ``__main__``, also under
  torchrun) and the document beside them.
- :func:`files`: the same files' text, not written.
- :func:`from_python`: the graph a model file written by :func:`export` came from.
- :func:`from_module`: an existing ``nn.Module`` traced with torch.fx into a graph.

``dw.export`` is both this package and the function: calling the package calls
:func:`export` (a plain function of that name would shadow the package, and
``import diffwire.export.codegen`` would break), as ``dw.train`` does.
"""

from __future__ import annotations

import os
import pathlib

from ..blocks.module import MODULES, Module
from ..callable_package import make_callable as _make_callable
from ..document import Graph
from .codegen import BodyRef, NodeContext, exporter_for
from .registry import EXPORTERS, exporter


def export(graph: Graph, path: str | os.PathLike | None = None, *, training: bool = True,
           check: bool = True, source: str | os.PathLike | None = None) -> str:
    """Write `graph` as plain PyTorch and return the model module's source.

    **Arguments:**

    - `graph`: the graph to export (validated first unless `check` is false).
    - `path`: when given, the files are written there (each atomically): `path` itself
      (``model.py``: the ``Model`` class), ``model.diffwire.json`` beside it (the document
      as exported, which :func:`from_python` reads back) and, with `training`,
      ``model_train.py`` (trains ``Model`` from the document's training section; also under
      torchrun, with DistributedDataParallel).
    - `source`: the document file the model file's docstring names (default: the file
      the graph was loaded from or saved to).

    **Returns:** the model module's source (without `path`: as it would be written beside
    the graph's file, ``model.py`` when it has none). It imports only torch (and torchdiffeq for ODE
    solves); ``Model().load_state_dict(graph.compile().state_dict())`` works without
    renaming. :func:`files` gives every file's text without writing them.
    """
    from ..document import atomic_write_text

    name = pathlib.Path(path).name if path is not None else None
    written = files(graph, name, training=training, check=check, source=source)
    if path is not None:
        folder = pathlib.Path(path).parent
        for file, text in written.items():
            atomic_write_text(folder / file, text)
    return next(iter(written.values()))


def files(graph: Graph, name: str | None = None, *, training: bool = True, check: bool = True,
          source: str | os.PathLike | None = None) -> dict[str, str]:
    """The text of every file :func:`export` writes for `graph` as `name`, by file name:
    the model module first, then the document and (with `training`) the training file.
    Without `name`: as they would be written beside the graph's file (``quickstart.py``
    for ``quickstart.diffwire``), ``model.py`` when it has none."""
    from .writer import export_files

    if source is None:
        source = graph.file
    if name is None:
        name = f"{pathlib.Path(source).stem}.py" if source is not None else "model.py"
    return export_files(graph, name=name, training=training, check=check,
                        source=None if source is None else pathlib.Path(source).name)


def from_python(path: str | os.PathLike) -> Graph:
    """Read back the graph a model file written by :func:`export` was exported from.

    The file is parsed with ``ast``, never run: its docstring names the document beside it
    (``Graph: model.diffwire.json (sha256 ...)``), which must be in the same folder and
    unchanged. Files from older versions carry the document as a ``DIFFWIRE_DOCUMENT``
    string instead, read the same way. Raises :class:`~diffwire.FormatError` when the file
    holds no document.
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


_make_callable(__name__, export)

__all__ = ["BodyRef", "EXPORTERS", "MODULES", "Module", "NodeContext", "export", "exporter",
           "exporter_for", "files", "from_module", "from_python"]
