"""Reading the document back out of an exported file, without running it."""

from __future__ import annotations

import ast
import os
import pathlib

from ..document import Graph
from ..errors import FormatError

NAME = "DIFFWIRE_DOCUMENT"


def read_document(path: str | os.PathLike) -> Graph:
    """The graph in the ``DIFFWIRE_DOCUMENT`` string constant of an exported file.

    The file is parsed with :mod:`ast`; only a module-level assignment of a string
    literal is accepted, so nothing in the file is imported or run.
    """
    path = pathlib.Path(path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"{path.name} is not a Python file: {exc}") from None
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}", expected="a readable file",
                          found=str(path)) from None
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == NAME):
            value = stmt.value
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                raise FormatError(f"{NAME} in {path.name} is not a string literal",
                                  found=type(value).__name__)
            return Graph.from_json(value.value)
    raise FormatError(f"{path.name} carries no {NAME}: was it written by dw.export?",
                      expected=f"a module-level {NAME} = '...'", found="none")
