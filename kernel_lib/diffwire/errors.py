"""Errors are values with a place: a node, a port, what was expected and what was found.

Every problem diffwire reports about a graph is a :class:`GraphError` (or one of its
subclasses), so callers catch one family and never a bare ``KeyError`` from deep inside.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 control characters (ESC starts terminal sequences that clear the screen or
# retitle the window), DEL, and the Unicode marks that reorder or break displayed text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029"
                                   "\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match) -> str:
    o = ord(m.group())
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def printable(text: Any, newlines: bool = False) -> str:
    """`text` with control characters written as escapes (``\\x1b``), so that ids, labels,
    names and paths that came from a document can go to a terminal or a log as they are.
    With `newlines`, line breaks stay (a message of several lines)."""
    pattern = _CONTROL_KEEP_NEWLINE if newlines else _CONTROL
    return pattern.sub(_escape, str(text))


class GraphError(Exception):
    """A problem with a graph, located at a node and port where possible.

    **Arguments:**

    - `message`: what is wrong, in words.
    - `node`: the id (a ``/``-joined path inside bodies) of the node at fault.
    - `port`: the port or parameter name at fault.
    - `expected`, `found`: what was expected there and what was found.
    - `hint`: how to fix it, when diffwire can tell.
    - `severity`: ``"error"`` (blocks compiling) or ``"warning"``.
    """

    code = "graph_error"

    def __init__(
        self,
        message: str,
        *,
        node: str | None = None,
        port: str | None = None,
        expected: Any = None,
        found: Any = None,
        hint: str | None = None,
        severity: str = "error",
    ):
        self.message = message
        self.node = node
        self.port = port
        self.expected = expected
        self.found = found
        self.hint = hint
        self.severity = severity
        super().__init__(self._text())

    def _text(self) -> str:
        # Every part may hold document text (an id, a label, a path): escaped here, so no
        # str(error) carries a terminal escape sequence.
        where = ""
        if self.node is not None:
            where = f"node '{printable(self.node)}'"
            if self.port is not None:
                where += f", port '{printable(self.port)}'"
            where += ": "
        text = where + printable(self.message, newlines=True)
        if self.expected is not None or self.found is not None:
            text += f" (expected {printable(self.expected)}, found {printable(self.found)})"
        if self.hint:
            text += f". {printable(self.hint)}"
        return text

    def to_dict(self) -> dict:
        """A JSON-ready description, as the editor shows it."""
        return {
            "code": self.code,
            "severity": self.severity,
            "node": self.node,
            "port": self.port,
            "message": self.message,
            "expected": None if self.expected is None else str(self.expected),
            "found": None if self.found is None else str(self.found),
            "hint": self.hint,
            "text": str(self),
        }

    def at(self, prefix: str) -> GraphError:
        """The same error, its node path prefixed by an enclosing node's path."""
        self.node = prefix if self.node is None else f"{prefix}/{self.node}"
        self.args = (self._text(),)
        return self


class FormatError(GraphError):
    """The file is not a valid diffwire document."""

    code = "format"


class UnknownBlockType(GraphError):
    """A node names a block type that is not registered."""

    code = "unknown_block"


class UnknownNode(GraphError):
    """A reference to a node id that the graph does not have."""

    code = "unknown_node"


class DuplicateId(GraphError):
    """Two nodes share one id."""

    code = "duplicate_id"


class UnknownPort(GraphError):
    """An edge names a port that the block does not have."""

    code = "unknown_port"


class MissingInput(GraphError):
    """A required input port has no edge."""

    code = "missing_input"


class DuplicateInput(GraphError):
    """Two edges go into one input port."""

    code = "duplicate_input"


class KindMismatch(GraphError):
    """An edge joins ports of incompatible kinds."""

    code = "kind_mismatch"


class ShapeMismatch(GraphError):
    """A value has the wrong shape for the port it flows into."""

    code = "shape_mismatch"


class CycleError(GraphError):
    """The graph has a cycle outside a Loop body."""

    code = "cycle"


class ParamError(GraphError):
    """A parameter value is missing, of the wrong type or out of range."""

    code = "param"


class DanglingOutput(GraphError):
    """A node's outputs go nowhere."""

    code = "dangling_output"


class ExpressionError(GraphError):
    """An Expression block's text could not be parsed."""

    code = "expression"


class RuntimeGraphError(GraphError):
    """A node failed while the compiled graph ran."""

    code = "runtime"


class GraphErrors(GraphError):
    """Several problems at once, as :meth:`Graph.validate` finds them."""

    code = "many"

    def __init__(self, errors: list[GraphError]):
        self.errors = list(errors)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(f"{len(self.errors)} problem(s) in the graph:\n{lines}")
        self.node = self.errors[0].node if self.errors else None
        self.port = self.errors[0].port if self.errors else None

    def _text(self) -> str:
        return self.message


def raise_errors(errors: list[GraphError]) -> None:
    """Raise the problems of severity "error": one as itself, several as :class:`GraphErrors`."""
    errors = [e for e in errors if e.severity == "error"]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise GraphErrors(errors)
