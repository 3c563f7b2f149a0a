"""How each block type is written as code. A block owns its exporter (its ``export``
classmethod, in its own file); :func:`exporter` registers one from outside for a block that
has none, or to override it (a user's own code generator for a block they did not write)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping

from ..blocks.registry import BLOCKS

_OVERRIDES: dict[str, Callable] = {}


class _Exporters(MutableMapping):
    """block type -> exporter(node, ctx) -> ExportedNode: a registered override, else the
    block's own ``export``."""

    def __getitem__(self, type_: str) -> Callable:
        if type_ in _OVERRIDES:
            return _OVERRIDES[type_]
        cls = BLOCKS.get(type_)
        hook = getattr(cls, "export", None) if cls is not None else None
        if hook is None:
            raise KeyError(type_)
        return hook

    def __setitem__(self, type_: str, fn: Callable) -> None:
        _OVERRIDES[type_] = fn

    def __delitem__(self, type_: str) -> None:
        del _OVERRIDES[type_]

    def __iter__(self) -> Iterator[str]:
        yield from _OVERRIDES
        yield from (t for t, c in list(BLOCKS.items())
                    if t not in _OVERRIDES and getattr(c, "export", None) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


EXPORTERS: MutableMapping[str, Callable] = _Exporters()


def override_for(type_: str) -> Callable | None:
    """The exporter registered from outside for block `type_`, if any."""
    return _OVERRIDES.get(type_)


def exporter(*types: str) -> Callable:
    """Register an exporter for block `types` (a decorator)."""

    def deco(fn: Callable) -> Callable:
        for t in types:
            EXPORTERS[t] = fn
        return fn

    return deco
