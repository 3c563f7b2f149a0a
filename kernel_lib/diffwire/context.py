"""What a block may know of the compiler that runs it, kept below the blocks: whether shapes
are being inferred, whether an ensemble runs its members as one batched call, and the build
context a block's ``build()`` is handed (and the collector pause that loading, checking and
building a large document run under). :mod:`diffwire.compile` sets the modes and provides
the context; blocks only read them, so no block imports the compiler."""

from __future__ import annotations

import contextlib
import contextvars
import gc
import threading
from typing import TYPE_CHECKING, Any, Protocol

from torch.compiler import is_compiling

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

_INFER: contextvars.ContextVar[bool] = contextvars.ContextVar("diffwire_infer", default=False)


def inferring() -> bool:
    """True while shapes are being inferred on meta tensors (control flow runs its body once)."""
    # torch.compile cannot read a ContextVar; a compiled step never infers shapes, never
    # runs inside an ensemble's vmap and records nothing (see train/compiled.py)
    return False if is_compiling() else _INFER.get()


def infer_mode():
    """Within it, inferring() is True."""
    return _on(_INFER)


_BATCHED: contextvars.ContextVar[bool] = contextvars.ContextVar("diffwire_batched", default=False)


def batched() -> bool:
    """True while members of an ensemble run as one batched call (``torch.func.vmap``): a
    block must not read a value back to Python then (``float(t)``, ``.item()``), since a
    batched tensor has no single value. The ensemble checks its members' losses itself."""
    return False if is_compiling() else _BATCHED.get()


def batch_mode():
    """Within it, batched() is True."""
    return _on(_BATCHED)


@contextlib.contextmanager
def _on(flag: contextvars.ContextVar[bool]):
    token = flag.set(True)
    try:
        yield
    finally:
        flag.reset(token)


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
    #: a :class:`diffwire.blocks.weight_store.WeightStore` to take small parameters from
    #: (``store.parameter(shape)``), or None: the top graph of a large document has one
    weights: Any

    def compile_body(self, node, body: str) -> nn.Module:
        """Compile the named body graph of `node` into a module (its weights nest under it)."""
        ...


_GC_LOCK = threading.Lock()
_GC_DEPTH = 0
_GC_WAS_ON = False


@contextlib.contextmanager
def gc_paused():
    """Python's cycle collector off while a document is loaded, checked or built. Those
    allocate hundreds of thousands of containers that all stay alive (nodes, modules,
    their hook dicts), and every collection walks all of them again: on a 20,000-node
    chain the collector took half of compile's time. Nothing of theirs forms a cycle to
    collect; whatever garbage a cycle leaves is collected when the collector resumes.
    Nested and concurrent pauses count: the last to finish turns it back on."""
    global _GC_DEPTH, _GC_WAS_ON
    with _GC_LOCK:
        if _GC_DEPTH == 0:
            _GC_WAS_ON = gc.isenabled()
            gc.disable()
        _GC_DEPTH += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_DEPTH -= 1
            if _GC_DEPTH == 0 and _GC_WAS_ON:
                gc.enable()
