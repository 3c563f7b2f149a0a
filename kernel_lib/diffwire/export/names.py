"""Turning user text into safe code: identifiers, literals and comments.

Nothing a user typed (labels, port names, string params) reaches the generated file as
code. Names become fresh identifiers made of ``[A-Za-z0-9_]``; values become literals
through ``repr`` of plain Python data; labels appear only in comments, through
``ascii()`` so they carry no newline.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re

from torch import nn

from ..errors import GraphError

_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]")
_SAFE_ATTR = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,60}")
#: Names every generated function must leave alone (modules, helpers, builtins).
RESERVED = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {
    "self", "torch", "nn", "F", "torchdiffeq", "math", "os", "sys", "argparse", "pathlib",
    "hashlib", "json", "dist", "Slots", "Constant", "Model", "DIFFWIRE_DOCUMENT", "train",
    "main", "importlib",
    # the Gradient block's helpers (diffwire.runtime.autodiff)
    "gradient", "per_sample_scalar",
}


_PLAIN = nn.Module()
_DICT = nn.ModuleDict()


class Namer:
    """Hands out distinct identifiers derived from (possibly hostile) hints."""

    def __init__(self, reserved=()):
        self.used: set[str] = set(RESERVED) | set(reserved)

    def fresh(self, hint: object, prefix: str = "") -> str:
        base = _NOT_IDENT.sub("_", str(hint))[:40].strip("_") or "v"
        if base[0].isdigit():
            base = "v_" + base
        base = prefix + base
        name, i = base, 1
        while name in self.used or keyword.iskeyword(name):
            name = f"{base}_{i}"
            i += 1
        self.used.add(name)
        return name

    def reserve(self, name: str) -> str:
        self.used.add(name)
        return name


def camel(hint: object) -> str:
    """``loop_body`` -> ``LoopBody`` (identifier characters only)."""
    parts = [p for p in _NOT_IDENT.sub("_", str(hint)).split("_") if p]
    text = "".join(p[:1].upper() + p[1:] for p in parts) or "Body"
    return text if not text[0].isdigit() else "B" + text


def literal(value: object) -> str:
    """Python source for plain data (numbers, strings, bools, None, lists, dicts)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return f'float("{value}")'
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(literal(v) for v in value)
        return f"[{inner}]"
    if isinstance(value, dict):
        inner = ", ".join(f"{literal(str(k))}: {literal(v)}" for k, v in value.items())
        return "{" + inner + "}"
    raise GraphError("cannot write this value as code", expected="plain data",
                     found=type(value).__name__)


def comment(text: object, limit: int = 80) -> str:
    """Text safe inside a ``#`` comment: ASCII only, no line breaks, bounded length."""
    out = ascii(str(text))
    return out if len(out) <= limit else out[: limit - 3] + "..."


def dict_safe(name: str) -> bool:
    """Whether torch's ``nn.ModuleDict`` can hold `name` as an attribute (``blocks.mlp``):
    an identifier that is none of its methods (``train``, ``keys``, ``forward``...)."""
    return bool(_SAFE_ATTR.fullmatch(name)) and not keyword.iskeyword(name) and \
        not hasattr(_DICT, name)


def member(owner: str, name: str) -> str:
    """``owner.name`` when that is a plain attribute of a module, else ``owner["name"]``.

    Node ids such as ``train`` or ``forward`` are nn.Module methods: they are reached by
    key, as the generated ``Slots`` container allows.
    """
    if _SAFE_ATTR.fullmatch(name) and not keyword.iskeyword(name) and not hasattr(_PLAIN, name):
        return f"{owner}.{name}"
    return f"{owner}[{literal(name)}]"
