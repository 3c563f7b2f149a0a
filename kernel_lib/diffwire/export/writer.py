"""Assembling the exported files: the model module, the training harness, the document."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import keyword
import re
import subprocess
import tokenize

from ..document import Graph
from ..errors import GraphError, raise_errors
from ..shapes import resolve_auto
from .codegen import ModuleWriter
from .names import comment

#: Hex digits of the document's sha256 a model file's docstring gives.
DIGEST = 16

#: The loader line of a model file's docstring (the editor names a run's weights in it).
LOADER = 'model.load_state_dict(torch.load("weights.pt", weights_only=True))'

MODEL_HEADER = '''"""{title}

Plain PyTorch: runs without diffwire.
Graph: {document} (sha256 {digest}), as dw.from_python reads it back.{training}

    model = Model()
    {loader}
"""
'''

TRAIN_HEADER = '''"""Trains {model}'s Model as {source}'s training section says.

Plain PyTorch: runs without diffwire.

    python {file} --out weights.pt
    torchrun --nproc_per_node=2 {file}  # data-parallel (DDP)
"""
'''

#: (name the code uses as `name.attr`, import line), in the order imports are written.
IMPORTS = (
    ("argparse", "import argparse"),
    ("hashlib", "import hashlib"),
    ("importlib", "import importlib"),
    ("math", "import math"),
    ("os", "import os"),
    ("pathlib", "import pathlib"),
    (None, ""),
    ("np", "import numpy as np"),
    ("torch", "import torch"),
    ("dist", "import torch.distributed as dist"),
    ("F", "import torch.nn.functional as F"),
    ("torchdiffeq", "import torchdiffeq"),
    ("nn", "from torch import nn"),
)


@dataclasses.dataclass(frozen=True)
class FileNames:
    """The files one export writes, side by side: ``model.py`` (the model),
    ``model_train.py`` (the training harness) and ``model.diffwire.json`` (the document)."""

    model: str
    train: str
    document: str

    @classmethod
    def of(cls, name: str) -> FileNames:
        stem = _safe_file(name).removesuffix(".py") or "model"
        return cls(f"{stem}.py", f"{stem}_train.py", f"{stem}.diffwire.json")

    @property
    def module(self) -> str:
        return self.model.removesuffix(".py")


def export_files(graph: Graph, *, name: str = "model.py", training: bool = True,
                 check: bool = True, source: str | None = None,
                 format: bool = True) -> dict[str, str]:
    """Every file of an export, by file name (see :func:`diffwire.export`)."""
    if check:
        raise_errors(graph.validate())
    names = FileNames.of(name)
    document = graph.to_json()
    files = {names.model: model_source(graph, names, document, training=training,
                                       source=source, format=format),
             names.document: document}
    if training:
        files[names.train] = training_file(graph, names, source=source, format=format)
    return files


def model_source(graph: Graph, names: FileNames, document: str, *, training: bool = True,
                 source: str | None = None, format: bool = True) -> str:
    """The model module: helpers, body classes and ``Model``, under a short docstring that
    names the source document and the side file holding the graph as exported."""
    module = ModuleWriter()
    module.class_names.reserve("Model")
    from .training import loss_nodes

    # code for the sizes the wires give; the document keeps "auto" as the person wrote it
    module.write_graph(resolve_auto(graph), "Model", "", top=True, taps=loss_nodes(graph))
    parts = [h.strip("\n") for h in module.helpers.values()] + [c.strip("\n") for c in module.classes]
    body = "\n\n\n".join(parts) + "\n"
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()[:DIGEST]
    title = (f"{comment(source)[1:-1]} as plain PyTorch, exported by diffwire." if source
             else "A diffwire graph as plain PyTorch, exported by diffwire.")
    text = MODEL_HEADER.format(
        title=title, loader=LOADER, document=names.document, digest=digest,
        training=f"\nTraining: python {names.train} (or under torchrun)" if training else "")
    text += "\n" + _imports(body) + "\n\n" + body
    return ruff_format(text) if format else text


def training_file(graph: Graph, names: FileNames, *, source: str | None = None,
                  format: bool = True) -> str:
    """The training harness: imports ``Model`` from the model file and trains it as the
    document's training section says, written out (a ``__main__``, DDP under torchrun)."""
    from .training import training_source

    module = names.module
    if module.isidentifier() and not keyword.iskeyword(module):
        load = f"from {module} import Model"
    else:  # a file name that is not an identifier (my-model.py) still imports by name
        load = f"Model = importlib.import_module({module!r}).Model"
    body = "\n\n\n".join([training_source(graph).strip("\n"),
                           'if __name__ == "__main__":\n    main()']) + "\n"
    text = TRAIN_HEADER.format(model=names.model, file=names.train,
                               source=comment(source)[1:-1] if source else "the document")
    imports = _imports(load + "\n" + body).rstrip("\n")
    if load.startswith("from "):  # last among the third-party imports, as isort sorts it
        imports, load = imports + "\n" + load, ""
    else:
        load = load + "\n"
    # isort's spacing: two blank lines before a definition, one before anything else
    gap = "\n\n" if body.startswith(("def ", "class ", "@")) else "\n"
    text += "\n" + imports + "\n" + ("\n" + load if load else "") + gap + body
    return ruff_format(text) if format else text


def _used_modules(text: str) -> set[str]:
    """Names used as ``name.attr`` in code (``torch.nn.x`` uses ``torch``, not ``nn``):
    comments and strings (which may quote user text, say an output called "math.pi") do
    not count."""
    used, before, prev = set(), None, None
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                        tokenize.DEDENT):
            continue
        if tok.type == tokenize.OP and tok.string == "." and prev is not None and \
                prev.type == tokenize.NAME and not (before is not None and before.string == "."):
            used.add(prev.string)
        before, prev = prev, tok
    return used


def _imports(body: str) -> str:
    used = _used_modules(body)
    lines, group = [], []
    for name, line in IMPORTS:
        if name is None:
            if group:
                lines += group + [""]
            group = []
            continue
        if name in used:
            group.append(line)
    return "\n".join(lines + group) + "\n"


def _safe_file(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", str(name).rsplit("/", 1)[-1]) or "model.py"
    return name


def ruff_format(text: str) -> str:
    """`text` through ``ruff format`` when ruff is installed; as it is otherwise."""
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError:
        return text
    try:
        done = subprocess.run([find_ruff_bin(), "format", "--isolated", "-"], input=text,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError, FileNotFoundError):
        return text
    if done.returncode != 0:
        raise GraphError("the exported code does not parse (a bug in an export hook)",
                         found=done.stderr.strip()[:500])
    return done.stdout
