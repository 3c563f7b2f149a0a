"""Assembling the exported file: header, imports, helpers, classes, train(), document."""

from __future__ import annotations

import io
import json
import re
import subprocess
import tokenize

from ..document import Graph
from ..errors import GraphError, raise_errors
from ..shapes import resolve_auto
from .codegen import ModuleWriter

HEADER = '''"""{title}

Exported from diffwire: plain PyTorch, no diffwire needed to run it.

    model = Model()
    model.load_state_dict(torch.load("weights.pt"))  # or state_dict() of the compiled graph
{usage}"""
'''

USAGE_TRAIN = '''
Train from the command line (the document's training section):

    python {file} --steps 1000 --out weights.pt
    torchrun --nproc_per_node=2 {file}    # data-parallel, DistributedDataParallel
'''

#: (name the code uses as `name.attr`, import line), in the order imports are written.
IMPORTS = (
    ("argparse", "import argparse"),
    ("hashlib", "import hashlib"),
    ("math", "import math"),
    ("os", "import os"),
    ("pathlib", "import pathlib"),
    (None, ""),
    ("torch", "import torch"),
    ("dist", "import torch.distributed as dist"),
    ("F", "import torch.nn.functional as F"),
    ("torchdiffeq", "import torchdiffeq"),
    ("nn", "from torch import nn"),
)


def export_source(graph: Graph, *, training: bool = True, name: str = "model.py",
                  check: bool = True, format: bool = True) -> str:
    """The standalone module for `graph` (see :func:`diffwire.export`)."""
    if check:
        raise_errors(graph.validate())
    module = ModuleWriter()
    module.class_names.reserve("Model")
    from .training import loss_nodes

    # code for the sizes the wires give; the document below keeps "auto" as the person wrote it
    module.write_graph(resolve_auto(graph), "Model", "", top=True,
                       taps=loss_nodes(graph) if training else ())
    parts = [h.strip("\n") for h in module.helpers.values()] + [c.strip("\n") for c in module.classes]
    usage = ""
    if training:
        from .training import training_source

        parts.append(training_source(graph).strip("\n"))
        usage = USAGE_TRAIN.format(file=_safe_file(name))
    imports = _imports("\n".join(parts))
    parts.append("# The graph document this file was exported from (dw.from_python reads it).\n"
                 f"DIFFWIRE_DOCUMENT = {_document_literal(graph)}")
    if training:
        parts.append('if __name__ == "__main__":\n    main()')
    body = "\n\n\n".join(parts) + "\n"
    text = HEADER.format(title="A differentiable program exported from diffwire.", usage=usage)
    text += "\n" + imports + "\n\n" + body
    return ruff_format(text) if format else text


def _used_modules(text: str) -> set[str]:
    """Names used as ``name.attr`` in code: comments and strings (which may quote user
    text, say an output called "math.pi") do not count."""
    used, prev = set(), None
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                        tokenize.DEDENT):
            continue
        if tok.type == tokenize.OP and tok.string == "." and prev is not None and \
                prev.type == tokenize.NAME:
            used.add(prev.string)
        prev = tok
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


def _document_literal(graph: Graph) -> str:
    # One line of ASCII JSON, repr()'d: no user text can end the string early.
    text = json.dumps(graph.to_dict(), sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return repr(text)


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
