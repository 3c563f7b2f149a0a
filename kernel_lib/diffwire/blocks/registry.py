"""The one registry of block types: a dict, plus `register` for blocks defined by users."""

from __future__ import annotations

import difflib
import re

from .. import document
from ..errors import GraphError, UnknownBlockType
from .appearance import KIND_COLOURS, category_table
from .base import Block

BLOCKS: dict[str, type[Block]] = {}

_listeners: list = []


def register(cls: type[Block], *, replace: bool = True) -> type[Block]:
    """Add a block class to the registry (usable as a decorator: ``@dw.block``).

    A block defined in a notebook cell appears in the palette of every open editor.
    Re-running the cell replaces the earlier definition.
    """
    if not (isinstance(cls, type) and issubclass(cls, Block)):
        raise GraphError(f"{cls!r} is not a Block subclass", expected="a Block subclass",
                         found=type(cls).__name__)
    name = cls.type or cls.__name__
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        raise GraphError("block type names are identifiers", expected="an identifier",
                         found=name)
    cls.type = name
    if name in BLOCKS and not replace:
        raise GraphError(f"block type {name} is already registered")
    BLOCKS[name] = cls
    for fn in list(_listeners):
        fn(name)
    return cls


block = register


def unregister(name: str) -> None:
    """Remove a block type (mostly for tests and notebook experiments)."""
    BLOCKS.pop(name, None)
    for fn in list(_listeners):
        fn(name)


def on_change(fn) -> None:
    """Call `fn(type_name)` whenever the registry changes (the editor refreshes its palette)."""
    _listeners.append(fn)


def get_block(name: str, node: str | None = None) -> type[Block]:
    """The block class registered as `name`, or an error suggesting the nearest names."""
    try:
        return BLOCKS[name]
    except KeyError:
        near = difflib.get_close_matches(str(name), list(BLOCKS), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(near)}?" if near else "is it defined in a notebook cell that has not run?"
        raise UnknownBlockType(f"unknown block type '{name}'", node=node, hint=hint,
                               expected="a registered block type", found=name) from None


def catalog() -> dict:
    """Every registered block as JSON: the palette, port types and param forms come from this."""
    from ..ports import compatibility_table

    blocks = [BLOCKS[name].catalog_entry() for name in sorted(BLOCKS)]
    return {
        "blocks": blocks,
        "kinds": compatibility_table(),
        "categories": category_table({b["category"] for b in blocks}),
        "kind_colours": dict(KIND_COLOURS),
    }


document.use_registry(BLOCKS, get_block)
