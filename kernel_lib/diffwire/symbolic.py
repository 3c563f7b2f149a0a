"""Values as text: what a node computes, written in terms of its inputs, so the canvas can
show a vector field as equations (``dx/dt = alpha*x + U[0](x, y)``).

A :class:`Sym` is either a list of components (one text per entry of the last dimension,
when that size is known) or one opaque text. Blocks turn their inputs' Syms into their
output's with :meth:`diffwire.blocks.base.Block.symbolic`; nothing here is evaluated.
"""

from __future__ import annotations

import dataclasses

from . import expr as ex

# binding strength, to put parentheses only where they are needed
_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5
_PREC = {"+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT, "**": _POWER}


@dataclasses.dataclass(frozen=True)
class Sym:
    """A value as text: `parts` per component when the size is known, else `text`."""

    text: str
    parts: tuple[str, ...] | None = None

    def component(self, i: int) -> str:
        if self.parts is not None and -len(self.parts) <= i < len(self.parts):
            return self.parts[i]
        return f"{wrap(self.text, _ATOM)}[{i}]"


def state_names(dim: int) -> list[str]:
    """Names for a state's components: x, y, z up to three, else y0, y1, ..."""
    return ["x", "y", "z"][:dim] if dim <= 3 else [f"y{i}" for i in range(dim)]


def strength(text: str) -> int:
    """How tightly `text` binds. Texts come from this module's printers, which write a binary
    + and - with spaces and a unary minus without, so one scan at bracket depth 0 tells."""
    depth, weakest = 0, _ATOM
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch in "+-" and text[i - 1:i + 2] in (f" {ch} ",):
            return _SUM
        elif depth == 0 and ch in "*/":
            power = text[i:i + 2] == "**" or text[i - 1:i + 1] == "**"
            weakest = min(weakest, _POWER if power else _PRODUCT)
    if weakest > _UNARY and text.startswith("-"):
        return _UNARY
    return weakest


def wrap(text: str, at_least: int) -> str:
    """`text` in parentheses when it binds less tightly than `at_least`."""
    return text if strength(text) >= at_least else f"({text})"


def binary(op: str, a: str, b: str) -> str:
    """``a op b`` with the parentheses the operator needs; ``a + -b`` becomes ``a - b``."""
    p = _PREC[op]
    negative = b.startswith("-") and strength(b) >= _PRODUCT  # -c*d is -(c*d)
    if op in "+-" and negative:
        return f"{a} {'-' if op == '+' else '+'} {b[1:]}"
    if op == "**":
        return f"{wrap(a, _ATOM)}**{wrap(b, _ATOM)}"
    right = f"({b})" if negative else wrap(b, p + 1 if op in "-/" else p)
    if p == _SUM:
        return f"{a} {op} {right}"
    return f"{wrap(a, p)}{op}{right}"


def negate(a: str) -> str:
    if a.startswith("-") and strength(a) >= _UNARY:
        return a[1:]
    return f"-{wrap(a, _UNARY)}"


def elementwise(op: str, a: Sym, b: Sym) -> Sym:
    """``a op b`` component by component where both sizes are known (or one side is one entry)."""
    text = binary(op, a.text, b.text)
    if a.parts is None and b.parts is None:
        return Sym(text)
    n = len(a.parts) if a.parts is not None else len(b.parts)  # type: ignore[arg-type]
    if a.parts is not None and b.parts is not None and len(a.parts) != len(b.parts):
        return Sym(text)
    left = a.parts if a.parts is not None else (a.text,) * n
    right = b.parts if b.parts is not None else (b.text,) * n
    return Sym(text, tuple(binary(op, x, y) for x, y in zip(left, right, strict=True)))


def call(name: str, args: list[Sym], width: int | None) -> Sym:
    """An opaque function of its inputs (a network, say): ``U(x, y)``, ``U[0](x, y)``, ..."""
    shown = ", ".join(", ".join(a.parts) if a.parts is not None else a.text for a in args)
    text = f"{name}({shown})"
    if width is None:
        return Sym(text)
    return Sym(text, tuple(f"{name}[{i}]({shown})" for i in range(width)))


def expression(tree, env: dict[str, Sym]) -> Sym:
    """An :mod:`diffwire.expr` tree as text, with each free name replaced by its Sym."""
    if tree[0] == "stack":
        parts = tuple(_scalar(t, env) for t in tree[1])
        return Sym(", ".join(parts), parts)
    text = _scalar(tree, env)
    return Sym(text)


def _scalar(tree, env: dict[str, Sym]) -> str:
    kind = tree[0]
    if kind == "num":
        v = float(tree[1])
        return str(int(v)) if v.is_integer() else repr(v)
    if kind == "name":
        s = env.get(tree[1])
        return tree[1] if s is None else s.text
    if kind == "index":
        s = env.get(tree[1])
        return f"{tree[1]}[{tree[2]}]" if s is None else s.component(int(tree[2]))
    if kind == "neg":
        return negate(_scalar(tree[1], env))
    if kind == "call":
        return f"{tree[1]}({_scalar(tree[2], env)})"
    if kind == "stack":
        return ", ".join(_scalar(t, env) for t in tree[1])
    return binary(tree[1], _scalar(tree[2], env), _scalar(tree[3], env))


def expression_lines(text: str) -> list[str]:
    """An Expression's formula as it is shown on its node: one line per component."""
    tree = ex.parse(text)
    items = tree[1] if tree[0] == "stack" else [tree]
    if len(items) == 1:
        return [_scalar(items[0], {})]
    return [f"[{i}] {_scalar(t, {})}" for i, t in enumerate(items)]
