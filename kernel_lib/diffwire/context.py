"""What a block may know of the compiler that runs it, kept below the blocks: whether shapes
are being inferred, whether an ensemble runs its members as one batched call, and the build
context a block's ``build()`` is handed. :mod:`diffwire.compile` sets the modes and provides
the context; blocks only read them, so no block imports the compiler."""

from __future__ import annotations

import contextlib
import contextvars
from typing import TYPE_CHECKING, Protocol

from torch.compiler import is_compiling

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

_INFER: contextvars.ContextVar[bool] = contextvars.ContextVar("diffwire_infer", default=False)


def inferring() -> bool:
    """True while shapes are being inferred on meta tensors (control flow runs its body once)."""
    # torch.compile cannot read a ContextVar; a compiled step never infers shapes, never
    # runs inside an ensemble's vmap and records nothing (see train/compiled.py)
    return False if is_compiling() else _INFER.get()


@contextlib.contextmanager
def infer_mode():
    token = _INFER.set(True)
    try:
        yield
    finally:
        _INFER.reset(token)


_BATCHED: contextvars.ContextVar[bool] = contextvars.ContextVar("diffwire_batched", default=False)


def batched() -> bool:
    """True while members of an ensemble run as one batched call (``torch.func.vmap``): a
    block must not read a value back to Python then (``float(t)``, ``.item()``), since a
    batched tensor has no single value. The ensemble checks its members' losses itself."""
    return False if is_compiling() else _BATCHED.get()


@contextlib.contextmanager
def batch_mode():
    token = _BATCHED.set(True)
    try:
        yield
    finally:
        _BATCHED.reset(token)


_RECORD: contextvars.ContextVar = contextvars.ContextVar("diffwire_record", default=None)


def recorder():
    """The function every graph run, bodies included, reports its nodes' values to while
    shapes are inferred (:func:`recording`); None otherwise."""
    return None if is_compiling() else _RECORD.get()


@contextlib.contextmanager
def recording(tap):
    """Within this block, every graph run that is not given a `tap` of its own (a body run
    by its node) calls `tap(node_path, value)` for its inputs and after each node."""
    token = _RECORD.set(tap)
    try:
        yield
    finally:
        _RECORD.reset(token)


class BuildContext(Protocol):
    """What a block's build() may ask of the compiler (:class:`diffwire.compile.BuildContext`
    is the one it gets)."""

    path: str
    meta: bool

    def compile_body(self, node, body: str) -> nn.Module:
        """Compile the named body graph of `node` into a module (its weights nest under it)."""
        ...
