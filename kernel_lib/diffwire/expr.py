"""A whitelist parser for arithmetic expressions such as ``alpha*x - beta*x*y``.

User text never reaches ``eval``: it is tokenised and parsed into a small tuple tree
(numbers, names, ``+ - * / **``, unary minus, parentheses, ``name[k]`` to take entry k
of the last dimension, and a fixed set of functions), and that tree is evaluated on
tensors or printed as Python source for export. Commas separate components, which are
stacked along a new last dimension.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from .errors import ExpressionError

FUNCTIONS: dict[str, Callable] = {
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "exp": torch.exp, "log": torch.log,
    "sqrt": torch.sqrt, "abs": torch.abs, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
    "relu": torch.relu, "softplus": F.softplus,
}
# How each function is written in exported code (torch only).
FUNCTION_SOURCE = {
    "sin": "torch.sin", "cos": "torch.cos", "tan": "torch.tan", "exp": "torch.exp",
    "log": "torch.log", "sqrt": "torch.sqrt", "abs": "torch.abs", "tanh": "torch.tanh",
    "sigmoid": "torch.sigmoid", "relu": "torch.relu", "softplus": "torch.nn.functional.softplus",
}
MAX_LENGTH = 10_000
MAX_DEPTH = 100
MAX_INDEX_DIGITS = 9  # int() of a 5,000-digit index would raise ValueError, not ours

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/(),\[\]]))")


def tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) tokens; anything outside the whitelist is an error naming it."""
    if not isinstance(text, str):
        raise ExpressionError("an expression is a string", expected="str", found=type(text).__name__)
    if len(text) > MAX_LENGTH:
        raise ExpressionError("expression is too long", expected=f"<= {MAX_LENGTH} characters",
                              found=len(text))
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            bad = text[pos:].strip()[:20]
            raise ExpressionError(f"unexpected character in expression at {pos}: {bad!r}",
                                  expected="numbers, names, + - * / ** ( ) , [ ]", found=bad)
        num, name, op = m.groups()
        at = m.start(m.lastindex)
        out.append(("num", num, at) if num else ("name", name, at) if name else ("op", op, at))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, op: str | None = None):
        t = self.peek()
        if t is None:
            raise ExpressionError("expression ends too early", expected=op or "more",
                                  found="end of text")
        if op is not None and t[1] != op:
            raise ExpressionError(f"unexpected token {t[1]!r} at {t[2]}", expected=op, found=t[1])
        self.i += 1
        return t

    def deeper(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("expression nests too deeply", expected=f"<= {MAX_DEPTH} levels",
                                  found="more")

    def parse(self):
        if not self.toks:
            raise ExpressionError("empty expression", expected="an expression", found="''")
        items = [self.expr()]
        while self.peek() is not None and self.peek()[1] == ",":
            self.take(",")
            items.append(self.expr())
        t = self.peek()
        if t is not None:
            raise ExpressionError(f"unexpected token {t[1]!r} at {t[2]}", expected="an operator",
                                  found=t[1])
        return items[0] if len(items) == 1 else ("stack", items)

    def expr(self):
        return self.chain(("+", "-"), self.term)

    def term(self):
        return self.chain(("*", "/"), self.unary)

    def chain(self, ops: tuple[str, ...], operand):
        """Operands joined by the left-associative operators of one precedence level."""
        left = operand()
        while self.peek() is not None and self.peek()[1] in ops:
            op = self.take()[1]
            left = ("bin", op, left, operand())
        return left

    def unary(self):
        t = self.peek()
        if t is not None and t[1] in ("-", "+"):
            self.take()
            self.deeper()
            inner = self.unary()
            self.depth -= 1
            return ("neg", inner) if t[1] == "-" else inner
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() is not None and self.peek()[1] == "**":
            self.take()
            self.deeper()
            exp = self.unary()
            self.depth -= 1
            return ("bin", "**", base, exp)
        return base

    def atom(self):
        t = self.take()
        kind, text, pos = t
        if kind == "num":
            value = float(text)
            if not math.isfinite(value):
                raise ExpressionError(f"number {text!r} is not finite", found=text)
            return ("num", value)
        if kind == "name":
            nxt = self.peek()
            if nxt is not None and nxt[1] == "(":
                if text not in FUNCTIONS:
                    raise ExpressionError(f"unknown function {text!r} at {pos}",
                                          expected=f"one of {sorted(FUNCTIONS)}", found=text)
                self.take("(")
                self.deeper()
                arg = self.expr()
                self.depth -= 1
                self.take(")")
                return ("call", text, arg)
            if nxt is not None and nxt[1] == "[":
                self.take("[")
                k = self.take()
                if k[0] != "num" or not k[1].isdigit() or len(k[1]) > MAX_INDEX_DIGITS:
                    raise ExpressionError(f"index must be a whole number at {k[2]}",
                                          expected="an integer", found=k[1])
                self.take("]")
                return ("index", text, int(k[1]))
            return ("name", text)
        if text == "(":
            self.deeper()
            inner = self.expr()
            self.depth -= 1
            self.take(")")
            return inner
        raise ExpressionError(f"unexpected token {text!r} at {pos}", expected="a number, name or (",
                              found=text)


def parse(text: str):
    """Parse `text` into a tree, or raise :class:`ExpressionError` naming the bad token."""
    try:
        return _Parser(text).parse()
    except RecursionError:
        raise ExpressionError("expression nests too deeply") from None


def names(tree) -> set[str]:
    """The free names a tree refers to (inputs and constants)."""
    kind = tree[0]
    if kind == "name":
        return {tree[1]}
    if kind == "index":
        return {tree[1]}
    if kind == "num":
        return set()
    if kind == "neg":
        return names(tree[1])
    if kind == "call":
        return names(tree[2])
    if kind == "stack":
        return set().union(*(names(t) for t in tree[1]))
    return names(tree[2]) | names(tree[3])


_BIN = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div}


def evaluate(tree, env: dict[str, Any]):
    """Evaluate a tree on tensors; `env` maps every free name to a tensor or number."""
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "name":
        return env[tree[1]]
    if kind == "index":
        return env[tree[1]][..., tree[2]]
    if kind == "neg":
        return -evaluate(tree[1], env)
    if kind == "call":
        arg = evaluate(tree[2], env)
        return FUNCTIONS[tree[1]](arg if isinstance(arg, torch.Tensor) else torch.tensor(arg))
    if kind == "stack":
        parts = [evaluate(t, env) for t in tree[1]]
        ref = next((p for p in parts if isinstance(p, torch.Tensor)), None)
        parts = [p if isinstance(p, torch.Tensor) else torch.full_like(ref, p) if ref is not None
                 else torch.tensor(p) for p in parts]
        parts = torch.broadcast_tensors(*parts)
        return torch.stack(parts, dim=-1)
    a, b = evaluate(tree[2], env), evaluate(tree[3], env)
    if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):
        return _py(tree[1], a, b)
    if tree[1] == "**":
        return a**b
    return _BIN[tree[1]](a, b)


_TORCH_BIN = {**_BIN, "**": torch.pow}


def _py(op: str, a: float, b: float) -> float:
    """Constant arithmetic with the IEEE semantics torch has: 1/0 is inf, (-1)**0.5 is nan
    and 10**400 is inf, where plain Python floats would raise or turn complex."""
    try:
        if op == "+":
            r = a + b
        elif op == "-":
            r = a - b
        elif op == "*":
            r = a * b
        elif op == "/":
            r = a / b
        else:
            r = a**b
        if isinstance(r, float | int):
            return r
    except ArithmeticError:  # ZeroDivisionError, OverflowError
        pass
    t = _TORCH_BIN[op](torch.tensor(float(a), dtype=torch.float64),
                       torch.tensor(float(b), dtype=torch.float64))
    return float(t)


def _constant(tree, constants: dict | None):
    """The value of a subtree of numbers, `constants` and arithmetic, as :func:`evaluate`
    computes it (IEEE: 1/0 is inf); None when it involves anything else."""
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "name" and constants and tree[1] in constants:
        v = constants[tree[1]]
        return v if isinstance(v, int | float) and not isinstance(v, bool) else None
    if kind == "neg":
        v = _constant(tree[1], constants)
        return None if v is None else -v
    if kind == "bin":
        a, b = _constant(tree[2], constants), _constant(tree[3], constants)
        return None if a is None or b is None else _py(tree[1], a, b)
    return None


def _number_source(v: float) -> str:
    v = float(v)
    if not math.isfinite(v):
        return f'float("{v}")'
    return repr(v) if v >= 0 else f"({v!r})"


def to_source(tree, name: Callable[[str], str], constants: dict | None = None) -> str:
    """Python source for a tree (torch calls only); `name` maps each free name to code.

    Arithmetic on numbers (and on `constants`, when given) is folded here, with the IEEE
    results :func:`evaluate` gives, so exported code never runs Python float arithmetic
    that would raise where the graph gives inf or nan (``1/0``, ``10**400``)."""
    kind = tree[0]
    if kind == "num":
        return repr(float(tree[1]))
    if kind in ("bin", "neg"):
        v = _constant(tree, constants)
        if v is not None:
            return _number_source(v)
    if kind == "name":
        return name(tree[1])
    if kind == "index":
        return f"{name(tree[1])}[..., {int(tree[2])}]"
    if kind == "neg":
        return f"(-{to_source(tree[1], name, constants)})"
    if kind == "call":
        return (f"{FUNCTION_SOURCE[tree[1]]}(torch.as_tensor("
                f"{to_source(tree[2], name, constants)}))")
    if kind == "stack":
        parts = ", ".join(to_source(t, name, constants) for t in tree[1])
        return f"_stack_components([{parts}])"
    return (f"({to_source(tree[2], name, constants)} {tree[1]} "
            f"{to_source(tree[3], name, constants)})")


def to_text(tree) -> str:
    """The tree printed back as an expression (used for recovered equations)."""
    return to_source(tree, lambda n: n).replace("torch.as_tensor", "")


def _stack(parts):
    """`evaluate`'s component stack: numbers filled to the tensors' shape, then broadcast
    (skipped when the components already share one shape)."""
    ref = next((p for p in parts if isinstance(p, torch.Tensor)), None)
    parts = [p if isinstance(p, torch.Tensor) else torch.full_like(ref, p) if ref is not None
             else torch.tensor(p) for p in parts]
    if any(p.shape != parts[0].shape for p in parts):
        parts = torch.broadcast_tensors(*parts)
    return torch.stack(parts, dim=-1)


def compile_tree(tree, inputs: list[str], constants: dict[str, Any], learnable: list[str]):
    """`evaluate` prepared once: returns ``f(params, *inputs)`` computing the tree, with
    learnable constants read from `params` (a dict of name -> tensor). The tree becomes
    nested closures (no source text, no exec): names resolve to an input position, a
    learnable or a number once, constant subtrees fold with evaluate's IEEE results, and a
    call pays no dict building and no dispatch on node kinds."""
    position = {n: i for i, n in enumerate(inputs)}

    def build(t):
        kind = t[0]
        if kind in ("bin", "neg"):
            v = _constant(t, constants)
            if v is not None:
                return lambda p, xs: v
        if kind == "num":
            v = t[1]
            return lambda p, xs: v
        if kind == "name":
            n = t[1]
            if n in position:
                k = position[n]
                return lambda p, xs: xs[k]
            if n in learnable:
                return lambda p, xs: p[n]
            v = constants[n]
            return lambda p, xs: v
        if kind == "index":
            inner, k = build(("name", t[1])), t[2]
            return lambda p, xs: inner(p, xs)[..., k]
        if kind == "neg":
            a = build(t[1])
            return lambda p, xs: -a(p, xs)
        if kind == "call":
            fn, a = FUNCTIONS[t[1]], build(t[2])
            return lambda p, xs: fn(_as_tensor(a(p, xs)))
        if kind == "stack":
            parts = [build(x) for x in t[1]]
            return lambda p, xs: _stack([f(p, xs) for f in parts])
        op, a, b = t[1], build(t[2]), build(t[3])
        tensor_op = (lambda u, w: u**w) if op == "**" else _BIN[op]

        def binary(p, xs):
            u, w = a(p, xs), b(p, xs)
            if isinstance(u, torch.Tensor) or isinstance(w, torch.Tensor):
                return tensor_op(u, w)
            return _py(op, u, w)

        return binary

    root = build(tree)
    return lambda p, *xs: root(p, xs)


def _as_tensor(a):
    return a if isinstance(a, torch.Tensor) else torch.tensor(a)
