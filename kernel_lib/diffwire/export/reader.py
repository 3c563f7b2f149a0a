"""Reading back the document a model file was exported from, without running the file."""

from __future__ import annotations

import ast
import hashlib
import os
import pathlib
import re

from ..document import Graph
from ..errors import FormatError

NAME = "DIFFWIRE_DOCUMENT"


#: The docstring line of a model file naming the document beside it.
GRAPH_LINE = re.compile(r"^Graph: ([A-Za-z0-9_.-]+\.diffwire\.json) \(sha256 ([0-9a-f]{8,64})\)",
                        re.MULTILINE)


def read_document(path: str | os.PathLike) -> Graph:
    """The graph a model file was exported from: the side document its docstring names
    (same folder, same sha256), or an older file's ``DIFFWIRE_DOCUMENT`` string constant.

    The file is parsed with :mod:`ast`; nothing in it is imported or run.
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
    line = GRAPH_LINE.search(ast.get_docstring(tree) or "")
    if line is None:
        raise FormatError(f"{path.name} names no graph: was it written by dw.export?",
                          expected=f"a docstring line 'Graph: NAME.diffwire.json (sha256 ...)' "
                                   f"or a module-level {NAME} = '...'", found="none")
    return _side_document(path, line.group(1), line.group(2))


def _side_document(path: pathlib.Path, name: str, digest: str) -> Graph:
    # The name is a bare file name (the pattern allows no separator): the document is read
    # from the model file's own folder, and a link leading out of it is refused.
    folder = path.resolve().parent
    side = (folder / name).resolve()
    if side.parent != folder:
        raise FormatError(f"{name} leads out of the folder of {path.name}",
                          expected="a file beside the model file", found=str(side))
    try:
        data = side.read_bytes()
    except OSError as exc:
        raise FormatError(f"{path.name} was exported from {name}, which cannot be read: "
                          f"{exc.strerror or exc}", expected=f"{name} beside {path.name}",
                          found="missing") from None
    found = hashlib.sha256(data).hexdigest()
    if not found.startswith(digest):
        raise FormatError(f"{name} changed since {path.name} was exported from it",
                          expected=f"sha256 {digest}", found=f"sha256 {found[:len(digest)]}",
                          hint="export the graph again")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{name} is not UTF-8 text") from None
    return Graph.from_json(text)
