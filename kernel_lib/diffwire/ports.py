"""Typed port and parameter declarations: the contract a block states at class level."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from .errors import ParamError

PORT_KINDS = ("tensor", "scalar", "bool", "state", "time", "any")

# dst kind -> src kinds it accepts. State and time are tensors with a role; a scalar
# broadcasts into a tensor; bool only flows into bool (a mask is not a number).
_ACCEPTS = {
    "tensor": {"tensor", "state", "scalar", "time", "any"},
    "state": {"state", "tensor"},
    "time": {"time", "tensor"},
    "scalar": {"scalar", "tensor"},
    "bool": {"bool"},
    "any": {"tensor", "scalar", "bool", "state", "time", "any"},  # graph outputs take anything
}


def kinds_compatible(src: str, dst: str) -> bool:
    """Whether a value of port kind `src` may flow into a port of kind `dst`."""
    return src in _ACCEPTS.get(dst, ())


def compatibility_table() -> dict[str, list[str]]:
    """The rule above as JSON, for the editor to refuse bad connections while dragging."""
    return {dst: sorted(srcs) for dst, srcs in _ACCEPTS.items()}


@dataclasses.dataclass(frozen=True)
class Port:
    """One input or output of a block.

    **Arguments:**

    - `name`: the port's name, unique among the block's inputs (or outputs).
    - `kind`: one of ``tensor``, ``scalar``, ``bool``, ``state``, ``time``.
    - `shape`: an optional symbolic shape such as ``["B", 2]``; ``"*"`` stands for any
      number of leading dimensions.
    - `optional`: an optional input may stay unconnected.
    - `doc`: one line for the editor's tooltip.
    """

    name: str
    kind: str = "tensor"
    shape: tuple | None = None
    optional: bool = False
    doc: str = ""

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "shape": None if self.shape is None else list(self.shape),
            "optional": self.optional,
            "doc": self.doc,
        }


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()

PARAM_KINDS = ("int", "float", "choice", "list", "bool", "string", "dict", "shape")

#: the value of a size param that follows the wire into its node (Param.auto)
AUTO = "auto"


@dataclasses.dataclass(frozen=True)
class Param:
    """One parameter of a block, with its type, default, range and doc.

    ``kind`` is one of ``int``, ``float``, ``choice``, ``list``, ``bool``, ``string``,
    ``dict`` (name -> number) or ``shape`` (a list of ints, ``None`` or symbol names).
    A param with no default is required.
    """

    name: str
    kind: str
    default: Any = REQUIRED
    doc: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None
    item: str | None = None  # element kind of a list: "int", "float", "string"
    min_len: int | None = None
    multiline: bool = False
    nullable: bool = False  # None is a valid value ("all", "to the end", "unset")
    #: "auto" is a valid value (for a list: as its first item): the size follows the wire
    #: into the node, resolved from the inferred shape before the graph is built
    auto: bool = False
    #: how the canvas draws the value in the node's body, beside the form
    #: ("truth_table": a list of 2**k bits as a grid of input rows and output bits)
    view: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def to_json(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "doc": self.doc, "required": self.required}
        if not self.required:
            out["default"] = self.default
        for key in ("min", "max", "item", "min_len"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.choices is not None:
            out["choices"] = list(self.choices)
        if self.multiline:
            out["multiline"] = True
        if self.nullable:
            out["nullable"] = True
        if self.auto:
            out["auto"] = True
        if self.view is not None:
            out["view"] = self.view
        return out

    def check(self, value: Any, node: str | None = None) -> Any:
        """Return `value` normalised to this param's type, or raise :class:`ParamError`."""

        def bad(expected: str, found: Any = value) -> ParamError:
            return ParamError(
                "bad parameter value", node=node, port=self.name, expected=expected,
                found=_short(found),
            )

        k = self.kind
        if value is None and self.nullable:
            return None
        if self.auto and value == AUTO and k != "list":
            return AUTO
        if k == "bool":
            if not isinstance(value, bool):
                raise bad("a boolean")
            return value
        if k == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
                    value = int(value)
                else:
                    raise bad("an integer")
            self._range(value, node)
            return value
        if k == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad("a number")
            value = float(value)
            if not math.isfinite(value):
                raise bad("a finite number")
            self._range(value, node)
            return value
        if k == "choice":
            if value not in (self.choices or ()):
                raise bad(f"one of {list(self.choices or ())}")
            return value
        if k == "string":
            if not isinstance(value, str):
                raise bad("a string")
            return value
        if k == "list":
            if not isinstance(value, (list, tuple)):
                raise bad("a list")
            value = [AUTO if self.auto and i == 0 and v == AUTO else self._item(v, node)
                     for i, v in enumerate(value)]
            if self.min_len is not None and len(value) < self.min_len:
                raise bad(f"a list of at least {self.min_len} items", value)
            return value
        if k == "shape":
            if not isinstance(value, (list, tuple)):
                raise bad("a shape: a list of sizes, null or names")
            out = []
            for v in value:
                if v is None or (isinstance(v, str) and v.isidentifier()):
                    out.append(v)
                elif isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31:
                    out.append(v)
                else:
                    raise bad("a shape of positive sizes, null or names", value)
            return out
        if k == "dict":
            if not isinstance(value, dict):
                raise bad("a mapping of names to numbers")
            out = {}
            for key, v in value.items():
                if not isinstance(key, str) or not key.isidentifier():
                    raise bad("identifier keys", key)
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    raise bad("finite numbers as values", v)
                out[key] = float(v)
            return out
        raise bad(f"a known param kind, not {k}")

    def _item(self, v: Any, node: str | None) -> Any:
        kind = self.item or "float"
        sub = Param(self.name, kind, min=self.min, max=self.max)
        return sub.check(v, node)

    def _range(self, value: float, node: str | None) -> None:
        if self.min is not None and value < self.min:
            raise ParamError("value below range", node=node, port=self.name,
                             expected=f">= {self.min}", found=value)
        if self.max is not None and value > self.max:
            raise ParamError("value above range", node=node, port=self.name,
                             expected=f"<= {self.max}", found=value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
