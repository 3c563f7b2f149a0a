"""What the subcommands share: loading a file and printing located problems."""

from __future__ import annotations

import pathlib
import sys

from ..document import Graph, load
from ..errors import GraphError, GraphErrors, printable


def describe(e: GraphError) -> str:
    """``error: node 'mlp', port 'widths': bad parameter value (...)``; problems of the
    training section carry no node and name their place (``training.data.x``) instead."""
    where = f"{printable(e.port)}: " if e.node is None and e.port else ""
    return f"{e.severity}: {where}{e}"  # str(e) escapes control characters itself


def load_file(path: str) -> tuple[Graph | None, list[GraphError]]:
    """The graph in `path`, or the problem that kept it from loading."""
    p = pathlib.Path(path)
    if not p.is_file():
        return None, [GraphError(f"no such file: {path}")]
    try:
        return load(p), []
    except GraphErrors as e:
        return None, list(e.errors)
    except GraphError as e:
        return None, [e]
    except (OSError, ValueError) as e:
        return None, [GraphError(f"cannot read {path}: {e}")]


def check(path: str, kernel: bool = False) -> tuple[Graph | None, list[GraphError]]:
    """Load and validate a file, graph and training section: (graph, problems)."""
    from ..train import validate_training

    g, errs = load_file(path)
    if g is None:
        return None, errs
    errs = list(g.validate())
    if not any(e.severity == "error" for e in errs):
        errs += validate_training(g, root=pathlib.Path(path).parent, kernel=kernel)
    return g, errs


def report(path: str, errs: list[GraphError], file=None) -> bool:
    """Print every problem; True when one of them is an error."""
    file = file or sys.stderr
    for e in errs:
        print(f"{printable(path)}: {describe(e)}", file=file)
    return any(e.severity == "error" for e in errs)
