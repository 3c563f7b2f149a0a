"""C source for a traced solve: the step graph and the vjp graph (plain aten graphs from
``make_fx``, :mod:`diffwire.ode.compiled`) written out as straight-line C over fixed shapes,
with the forward scan and the reverse adjoint scan as two C loops around them.

Why: AOTInductor builds the same two programs in 13-19 s each on a 2-core machine (export,
its Python code generator, then a C++ compile of its runtime's headers), most of it work
a small solve does not need. Every shape here is known when tracing, so each aten op is a
loop nest with constant bounds and strides that the C compiler unrolls; views (select,
transpose, split, expand, view) are only strides into a buffer, never copies. One ``cc -O2``
of a few hundred lines takes well under a second and the programs run faster than
inductor's, because nothing is allocated inside the loop (one workspace per call).

Only what an ODE field traces to is covered (elementwise arithmetic and the usual
activations with their backward ops, matrix products, reductions, stack/cat, select and
slice backward). Anything else raises :class:`Unsupported` with the op's name, and the
caller uses AOTInductor instead. Values are computed in the graph's one floating dtype
(float64 or float32); the math functions in double.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import torch
from torch import fx

aten = torch.ops.aten

#: the most work an op of the step may do on average (elements written, multiply-adds of a
#: matrix product) for the writer to take it. The C program wins by dropping torch's
#: per-op dispatch (microseconds an op); past this the arithmetic dominates and torch's
#: kernels and BLAS are as fast. bench/compiled_sizes.py (neural ODE 2-H-H-2 tanh, RK4,
#: per Adam step, C vs eager): B 1 x H 64, 564 an op: 7.5x; B 16 x H 64, 7,289: 2.5x;
#: B 1 x H 256, 8,438: 1.3x; B 64 x H 64, 28,807: 0.89x; B 256 x H 32, 31,126: 0.77x.
#: The mean, not the largest tensor: a lone 64 x 64 weight gradient does not make a
#: field large
MAX_WORK_PER_OP = 12000

#: in the library's file name: a change to what is written here builds new libraries
VERSION = 4


class Unsupported(Exception):
    """The graph holds something this generator does not write (the message says what)."""


@dataclass(frozen=True)
class View:
    """A strided view of a buffer: element ``i`` (a multi-index) is at
    ``buf[offset + sum(i[d] * strides[d])]``."""

    buf: str
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    invariant: bool = False  # computed once per program call (from theta alone)

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def contiguous(self) -> bool:
        # a dimension of size 1 may have any stride
        return self.numel <= 1 or all(
            st == c for st, c, s in zip(self.strides, _contiguous(self.shape), self.shape)
            if s != 1)


def _contiguous(shape) -> tuple[int, ...]:
    strides, step = [], 1
    for s in reversed(shape):
        strides.append(step)
        step *= max(s, 1)
    return tuple(reversed(strides))


def lit(x) -> str:
    """A C literal of a Python number (inf and nan included), as the element type T."""
    x = float(x)
    if math.isnan(x):
        return "((T)NAN)"
    if math.isinf(x):
        return "((T)INFINITY)" if x > 0 else "((T)-INFINITY)"
    return f"((T){x!r})"


# elementwise ops: aten overload -> C expression of the operands a, b (T values)
_UNARY = {
    aten.neg.default: "-({a})", aten.exp.default: "(T)exp((double){a})",
    aten.log.default: "(T)log((double){a})", aten.tanh.default: "(T)tanh((double){a})",
    aten.sin.default: "(T)sin((double){a})", aten.cos.default: "(T)cos((double){a})",
    aten.sqrt.default: "(T)sqrt((double){a})", aten.abs.default: "(T)fabs((double){a})",
    aten.rsqrt.default: "(T)(1.0 / sqrt((double){a}))",
    aten.sigmoid.default: "(T)(1.0 / (1.0 + exp(-(double){a})))",
    aten.relu.default: "({a} > 0 ? {a} : ({a} != {a} ? {a} : (T)0))",
    aten.reciprocal.default: "((T)1 / {a})", aten.expm1.default: "(T)expm1((double){a})",
    aten.log1p.default: "(T)log1p((double){a})",
    # torch's sign of NaN is 0, as these comparisons give
    aten.sign.default: "(T)(({a} > 0) - ({a} < 0))",
    aten.sgn.default: "(T)(({a} > 0) - ({a} < 0))",
    aten.clone.default: "{a}", aten.alias.default: "{a}", aten.lift_fresh_copy.default: "{a}",
    aten.detach.default: "{a}",
}
_BINARY = {
    aten.mul.Tensor: "({a} * {b})", aten.mul.Scalar: "({a} * {b})",
    aten.div.Tensor: "({a} / {b})", aten.div.Scalar: "({a} / {b})",
    aten.maximum.default: "dw_max({a}, {b})", aten.minimum.default: "dw_min({a}, {b})",
    aten.pow.Tensor_Tensor: "(T)pow((double){a}, (double){b})",
    aten.pow.Scalar: "(T)pow((double){a}, (double){b})",
    aten.tanh_backward.default: "({a} * ((T)1 - {b} * {b}))",
    aten.sigmoid_backward.default: "({a} * {b} * ((T)1 - {b}))",
    aten.atan2.default: "(T)atan2((double){a}, (double){b})",
}
# in-place overloads (``exp_``, ``mul_.Tensor``) -> their out-of-place op; make_fx keeps the
# in-place calls a module makes on its own temporaries (the rbf's ``neg_().exp_()``)
_INPLACE = {}
for _op in [*_UNARY, *_BINARY, aten.add.Tensor, aten.sub.Tensor, aten.pow.Tensor_Scalar,
            aten.clamp.default, aten.clamp_min.default, aten.clamp_max.default]:
    _inplace = getattr(aten, _op._schema.name.split("::")[1] + "_", None)
    if _inplace is not None and hasattr(_inplace, _op._overloadname):
        _INPLACE[getattr(_inplace, _op._overloadname)] = _op

# ops whose result shares its input's memory in torch (written here as copies, which is
# the same unless something writes into the result in place)
_ALIASES = {aten.detach.default, aten.alias.default}
_MATMULS = {aten.mm.default, aten.mv.default, aten.dot.default, aten.bmm.default,
            aten.addmm.default, aten.addmv.default, aten.baddbmm.default}
_VIEWS = {aten.view.default, aten._unsafe_view.default, aten.reshape.default,
          aten.select.int, aten.slice.Tensor, aten.t.default, aten.transpose.int,
          aten.permute.default, aten.unsqueeze.default, aten.squeeze.dim,
          aten.squeeze.default, aten.squeeze.dims, aten.expand.default,
          aten.split_with_sizes.default, aten.split.Tensor, aten.unbind.int}


class _Writer:
    """Writes one graph as a C function ``static void NAME(inputs..., outputs...)``; every
    value it materialises is a slice of the caller's workspace ``ws``."""

    def __init__(self, gm: fx.GraphModule, name: str, dtype: torch.dtype, ws_start: int):
        self.gm, self.name, self.dtype = gm, name, dtype
        self.lines: list[str] = []  # the step's body
        self.pre: list[str] = []  # once per call, before the loop: what theta alone gives
        self.target = self.lines
        self.ws = ws_start  # next free element of the workspace
        self.env: dict[fx.Node, object] = {}
        self.consts: list[str] = []
        self.ops = 0  # ops run at every step (views not counted)
        self.work = 0  # their elements written, or multiply-adds for a matrix product
        self.n = 0

    # -- buffers -------------------------------------------------------------------------
    def fresh(self, shape) -> View:
        shape = tuple(int(s) for s in shape)
        off = self.ws
        self.ws += max(math.prod(shape), 1)
        return View("ws", off, shape, _contiguous(shape))

    def value(self, a):
        if isinstance(a, fx.Node):
            return self.env[a]
        if isinstance(a, (list, tuple)):
            return [self.value(x) for x in a]
        return a

    # -- index arithmetic ------------------------------------------------------------------
    @staticmethod
    def at(v, idx: list[str], out_shape) -> str:
        """C expression of `v`'s element at the output multi-index `idx` (right-aligned
        broadcasting: a dimension of size 1 or a missing one stays put)."""
        if not isinstance(v, View):
            return lit(v)
        terms = [str(v.offset)] if v.offset else []
        lead = len(out_shape) - len(v.shape)
        for d, (s, st) in enumerate(zip(v.shape, v.strides)):
            if s != 1 and st:
                terms.append(f"{idx[lead + d]}*{st}" if st != 1 else idx[lead + d])
        return f"{v.buf}[{' + '.join(terms) or '0'}]"

    def loops(self, shape, body: str):
        """A loop nest over `shape` with `body` (using i0, i1, ...) inside."""
        idx = [f"i{d}" for d in range(len(shape))]
        open_ = "".join(f"for (int64_t {i} = 0; {i} < {s}; {i}++) "
                        for i, s in zip(idx, shape))
        self.target.append(f"  {open_}{{ {body} }}")
        return idx

    def elementwise(self, expr: str, operands, shape) -> View:
        out = self.fresh(shape)
        idx = [f"i{d}" for d in range(len(shape))]
        vals = {k: self.at(v, idx, shape) for k, v in operands.items()}
        self.loops(shape, f"{self.at(out, idx, shape)} = {expr.format(**vals)};")
        return out

    def copy(self, src: View, dst: View):
        idx = [f"i{d}" for d in range(len(dst.shape))]
        self.loops(dst.shape, f"{self.at(dst, idx, dst.shape)} = "
                              f"{self.at(src, idx, dst.shape)};")

    def fill(self, dst: View, value):
        idx = [f"i{d}" for d in range(len(dst.shape))]
        self.loops(dst.shape, f"{self.at(dst, idx, dst.shape)} = {lit(value)};")

    def materialise(self, v: View) -> View:
        if v.contiguous():
            return v
        out = self.fresh(v.shape)
        self.copy(v, out)
        return out

    # -- ops -----------------------------------------------------------------------------
    def view_op(self, op, args):
        v = args[0]
        if op in (aten.split_with_sizes.default, aten.split.Tensor):
            dim = args[2] if len(args) > 2 else 0
            dim %= len(v.shape)
            sizes = args[1] if op is aten.split_with_sizes.default else (
                [args[1]] * (v.shape[dim] // args[1]) + (
                    [v.shape[dim] % args[1]] if v.shape[dim] % args[1] else []))
            parts, start = [], 0
            for s in sizes:
                parts.append(self._slice(v, dim, start, start + s, 1))
                start += s
            return parts
        if op is aten.unbind.int:
            dim = (args[1] if len(args) > 1 else 0) % len(v.shape)
            return [self._select(v, dim, i) for i in range(v.shape[dim])]
        if op in (aten.view.default, aten._unsafe_view.default, aten.reshape.default):
            shape = list(args[1])
            if -1 in shape:
                known = math.prod(s for s in shape if s != -1)
                shape[shape.index(-1)] = v.numel // max(known, 1)
            v = self.materialise(v)
            return View(v.buf, v.offset, tuple(shape), _contiguous(shape))
        if op is aten.select.int:
            return self._select(v, args[1] % len(v.shape), args[2])
        if op is aten.slice.Tensor:
            dim = (args[1] if len(args) > 1 else 0) % len(v.shape)
            start = args[2] if len(args) > 2 and args[2] is not None else 0
            end = args[3] if len(args) > 3 and args[3] is not None else v.shape[dim]
            step = args[4] if len(args) > 4 else 1
            return self._slice(v, dim, start, end, step)
        if op is aten.t.default:
            if len(v.shape) < 2:
                return v
            return View(v.buf, v.offset, v.shape[::-1], v.strides[::-1])
        if op is aten.transpose.int:
            d0, d1 = args[1] % len(v.shape), args[2] % len(v.shape)
            return self._permute(v, _swap(list(range(len(v.shape))), d0, d1))
        if op is aten.permute.default:
            return self._permute(v, [d % len(v.shape) for d in args[1]])
        if op is aten.unsqueeze.default:
            dim = args[1] % (len(v.shape) + 1)
            return View(v.buf, v.offset, v.shape[:dim] + (1,) + v.shape[dim:],
                        v.strides[:dim] + (0,) + v.strides[dim:])
        if op in (aten.squeeze.dim, aten.squeeze.dims, aten.squeeze.default):
            dims = (set(range(len(v.shape))) if op is aten.squeeze.default else
                    {d % len(v.shape) for d in ([args[1]] if op is aten.squeeze.dim
                                                 else args[1])})
            keep = [d for d in range(len(v.shape)) if not (d in dims and v.shape[d] == 1)]
            return View(v.buf, v.offset, tuple(v.shape[d] for d in keep),
                        tuple(v.strides[d] for d in keep))
        if op is aten.expand.default:
            shape = list(args[1])
            lead = len(shape) - len(v.shape)
            strides = [0] * lead
            for d, (s, st) in enumerate(zip(v.shape, v.strides)):
                target = shape[lead + d]
                if target == -1:
                    target = shape[lead + d] = s
                strides.append(st if s == target else 0)
            return View(v.buf, v.offset, tuple(shape), tuple(strides))
        raise Unsupported(str(op))

    @staticmethod
    def _select(v, dim, index):
        index %= v.shape[dim]
        return View(v.buf, v.offset + index * v.strides[dim], v.shape[:dim] + v.shape[dim + 1:],
                    v.strides[:dim] + v.strides[dim + 1:])

    @staticmethod
    def _slice(v, dim, start, end, step):
        size = v.shape[dim]
        start, end = (start + size if start < 0 else start), (end + size if end < 0 else end)
        start, end = max(0, min(start, size)), max(0, min(end, size))
        n = max(0, (end - start + step - 1) // step)
        return View(v.buf, v.offset + start * v.strides[dim],
                    v.shape[:dim] + (n,) + v.shape[dim + 1:],
                    v.strides[:dim] + (v.strides[dim] * step,) + v.strides[dim + 1:])

    @staticmethod
    def _permute(v, order):
        return View(v.buf, v.offset, tuple(v.shape[d] for d in order),
                    tuple(v.strides[d] for d in order))

    def matmul(self, a: View, b: View, bias=None, beta=1, alpha=1) -> View:
        """``beta * bias + alpha * (a @ b)`` for a, b of 1 or 2 dimensions (mm, mv, dot,
        addmm, addmv) or 3 (bmm).

        Written as updates of the output (``out[i, :] += a[i, k] * b[k, :]``, and for a
        matrix-vector product ``out[:] += a[:, k] * b[k]``): the innermost loop runs over
        independent outputs, which the compiler vectorises, where a dot product per output
        waits on each addition before the next (four times slower for 64 wide layers)."""
        batched = len(a.shape) == 3
        if batched:
            out_shape = (a.shape[0], a.shape[1], b.shape[2])
        else:
            out_shape = tuple(a.shape[:-1]) + tuple(b.shape[1:])
        out = self.fresh(out_shape)
        k = a.shape[-1]
        idx = [f"i{d}" for d in range(len(out_shape))]
        o = self.at(out, idx, out_shape)
        if bias is None or beta == 0:
            self.fill(out, 0)
        else:
            scaled = self.at(bias, idx, out_shape)
            self.loops(out_shape, f"{o} = {scaled if beta == 1 else f'{lit(beta)} * {scaled}'};")
        scale = "" if alpha == 1 else f"{lit(alpha)} * "
        if not out_shape:  # dot: one sum
            self.target.append(f"  for (int64_t k = 0; k < {k}; k++) {o} += {scale}"
                              f"{self.at(a, ['k'], a.shape)} * {self.at(b, ['k'], b.shape)};")
            return out
        if batched:
            ia, ib = [idx[0], idx[1], "k"], [idx[0], "k", idx[2]]
            outer, inner = [idx[0], idx[1]], idx[2]
        elif len(a.shape) == 2 and len(b.shape) == 2:
            ia, ib = [idx[0], "k"], ["k", idx[1]]
            outer, inner = [idx[0]], idx[1]
        elif len(a.shape) == 2:  # matrix-vector: out[i] += a[i, k] * b[k], k outermost
            ia, ib = [idx[0], "k"], ["k"]
            outer, inner = [], idx[0]
        else:  # vector-matrix
            ia, ib = ["k"], ["k", idx[0]]
            outer, inner = [], idx[0]
        sizes = dict(zip(idx, out_shape))
        # the factor that does not depend on the inner index is read once per k
        a_inner = inner in ia
        # the other one is read along the inner index: give it unit stride there (a
        # layer's weight, transposed by F.linear, is copied once per call, not per step)
        if a_inner:
            a = self.relayout(a, len(a.shape) - 2)
        else:
            b = self.relayout(b, len(b.shape) - 1)
        fixed = self.at(b, ib, b.shape) if a_inner else self.at(a, ia, a.shape)
        moving = self.at(a, ia, a.shape) if a_inner else self.at(b, ib, b.shape)
        nest = "".join(f"for (int64_t {i} = 0; {i} < {sizes[i]}; {i}++) " for i in outer)
        self.target.append(
            f"  {nest}for (int64_t k = 0; k < {k}; k++) {{ const T s = {scale}{fixed}; "
            f"for (int64_t {inner} = 0; {inner} < {sizes[inner]}; {inner}++) "
            f"{o} += s * {moving}; }}")
        return out

    def relayout(self, v: View, dim: int) -> View:
        """`v`, copied so that dimension `dim` has unit stride when it has not (its other
        dimensions in their order); the copy goes before the loop when `v` is invariant."""
        if v.shape[dim] <= 1 or v.strides[dim] == 1:
            return v
        order = [d for d in range(len(v.shape)) if d != dim] + [dim]
        packed = self.fresh([v.shape[d] for d in order])
        strides = [0] * len(v.shape)
        for pos, d in enumerate(order):
            strides[d] = packed.strides[pos]
        out = View(packed.buf, packed.offset, v.shape, tuple(strides), v.invariant)
        saved, self.target = self.target, (self.pre if v.invariant else self.target)
        self.copy(v, out)
        self.target = saved
        return out

    def reduce_sum(self, v: View, dims, keepdim: bool, mean: bool) -> View:
        nd = len(v.shape)
        dims = sorted({d % nd for d in dims}) if dims else list(range(nd))
        kept = [d for d in range(nd) if d not in dims]
        out_shape = tuple(1 if d in dims else v.shape[d] for d in range(nd)) if keepdim \
            else tuple(v.shape[d] for d in kept)
        out = self.fresh(out_shape)
        count = math.prod(v.shape[d] for d in dims)
        # loop over the input's full index, accumulate into the output element
        self.fill(out, 0)
        idx = [f"i{d}" for d in range(nd)]
        oidx = [("0" if d in dims else idx[d]) for d in range(nd)] if keepdim else \
            [idx[d] for d in kept]
        target = self.at(out, oidx, out_shape)
        self.loops(v.shape, f"{target} += {self.at(v, idx, v.shape)};")
        if mean:
            o = [f"i{d}" for d in range(len(out_shape))]
            self.loops(out_shape, f"{self.at(out, o, out_shape)} /= {lit(count)};")
        return out

    def node(self, n: fx.Node):  # noqa: C901 - one branch per kind of op
        op, args = n.target, self.value(list(n.args))
        kw = {k: self.value(v) for k, v in n.kwargs.items()}
        val = n.meta.get("val")
        if op is operator.getitem:
            return args[0][args[1]]
        if op in _VIEWS:
            return self.view_op(op, args)
        if op in _INPLACE:
            # written out of place, which is the same only when nothing else can see the
            # buffer: a temporary of an op (not a view, not an input) read by this op alone
            src = n.args[0]
            if (not isinstance(src, fx.Node) or src.op != "call_function"
                    or src.target in _VIEWS or src.target in _ALIASES
                    or src.target is operator.getitem or len(src.users) != 1):
                raise Unsupported(f"{op} writes into a value that is read elsewhere")
            op = _INPLACE[op]
        if op in (aten.add.Tensor, aten.sub.Tensor, aten.add.Scalar, aten.sub.Scalar,
                  aten.rsub.Scalar, aten.rsub.Tensor):
            alpha = kw.get("alpha", args[2] if len(args) > 2 else 1)
            a, b = args[0], args[1]
            if op in (aten.rsub.Scalar, aten.rsub.Tensor):
                a, b = b, a
                expr = "({a} - {b})" if alpha == 1 else f"({{a}} - {lit(alpha)} * {{b}})"
            elif op in (aten.add.Tensor, aten.add.Scalar):
                expr = "({a} + {b})" if alpha == 1 else f"({{a}} + {lit(alpha)} * {{b}})"
            else:
                expr = "({a} - {b})" if alpha == 1 else f"({{a}} - {lit(alpha)} * {{b}})"
            return self.elementwise(expr, {"a": a, "b": b}, tuple(val.shape))
        if op in (aten.div.Tensor, aten.div.Tensor_mode) and kw.get("rounding_mode"):
            raise Unsupported(f"{op} with rounding_mode")
        if op is aten.pow.Tensor_Scalar:
            e = float(args[1])
            expr = {2.0: "({a} * {a})", 1.0: "({a})", 0.5: "(T)sqrt((double){a})",
                    3.0: "({a} * {a} * {a})", 0.0: "((T)1)", -1.0: "((T)1 / {a})"}.get(
                e, f"(T)pow((double){{a}}, (double){lit(e)})")
            return self.elementwise(expr, {"a": args[0]}, tuple(val.shape))
        if op in _BINARY:
            return self.elementwise(_BINARY[op], {"a": args[0], "b": args[1]},
                                    tuple(val.shape))
        if op is aten.softplus.default or op is aten.softplus_backward.default:
            return self.softplus(op, args, kw, tuple(val.shape))
        if op in (aten.gelu.default, aten.gelu_backward.default):
            return self.gelu(op, args, kw, tuple(val.shape))
        if op is aten.threshold_backward.default:
            thr = lit(args[2])
            return self.elementwise(f"({{b}} <= {thr} ? (T)0 : {{a}})",
                                    {"a": args[0], "b": args[1]}, tuple(val.shape))
        if op in (aten.clamp.default, aten.clamp_min.default, aten.clamp_max.default):
            lo = args[1] if op is not aten.clamp_max.default else None
            hi = (args[2] if len(args) > 2 else kw.get("max")) if op is aten.clamp.default \
                else (args[1] if op is aten.clamp_max.default else None)
            expr = "{a}"
            if lo is not None:
                expr = f"dw_max({expr}, {lit(lo)})"
            if hi is not None:
                expr = f"dw_min({expr}, {lit(hi)})"
            return self.elementwise(expr, {"a": args[0]}, tuple(val.shape))
        if op in _UNARY:
            return self.elementwise(_UNARY[op], {"a": args[0]}, tuple(val.shape))
        if op in (aten.mm.default, aten.mv.default, aten.dot.default, aten.bmm.default):
            return self.matmul(args[0], args[1])
        if op in (aten.addmm.default, aten.addmv.default, aten.baddbmm.default):
            return self.matmul(args[1], args[2], bias=args[0],
                               beta=kw.get("beta", 1), alpha=kw.get("alpha", 1))
        if op in (aten.sum.dim_IntList, aten.mean.dim):
            if kw.get("dtype") is not None:
                raise Unsupported(f"{op} with a dtype")
            keep = args[2] if len(args) > 2 else kw.get("keepdim", False)
            return self.reduce_sum(args[0], args[1], keep, op is aten.mean.dim)
        if op in (aten.sum.default, aten.mean.default):
            return self.reduce_sum(args[0], None, False, op is aten.mean.default)
        if op in (aten.stack.default, aten.cat.default):
            return self.join(op, args, tuple(val.shape))
        if op in (aten.select_backward.default, aten.slice_backward.default):
            out = self.fresh(tuple(args[1]))
            self.fill(out, 0)
            if op is aten.select_backward.default:
                dst = self._select(out, args[2] % len(out.shape), args[3])
            else:
                dim = args[2] % len(out.shape)
                end = min(args[4], out.shape[dim])
                dst = self._slice(out, dim, args[3], end, args[5])
            self.copy(args[0], dst)
            return out
        if op in (aten.zeros_like.default, aten.ones_like.default, aten.full_like.default,
                  aten.zeros.default, aten.ones.default, aten.full.default,
                  aten.new_zeros.default, aten.new_ones.default, aten.scalar_tensor.default):
            value = {aten.zeros_like.default: 0, aten.zeros.default: 0,
                     aten.new_zeros.default: 0, aten.ones_like.default: 1,
                     aten.ones.default: 1, aten.new_ones.default: 1}.get(op)
            if value is None:
                value = args[1] if op in (aten.full_like.default, aten.full.default) \
                    else args[0]
            out = self.fresh(tuple(val.shape))
            self.fill(out, value)
            return out
        if op is aten._to_copy.default or op is aten.copy.default:
            src = args[0] if op is aten._to_copy.default else args[1]
            out = self.fresh(tuple(val.shape))
            self.copy(src, out)
            return out
        raise Unsupported(str(op))

    def softplus(self, op, args, kw, shape):
        # the dispatcher drops arguments equal to their defaults (F.softplus(x): beta=1,
        # threshold=20 as ints), so they may be missing
        first = 1 if op is aten.softplus.default else 2
        beta = args[first] if len(args) > first else kw.get("beta", 1)
        thr = args[first + 1] if len(args) > first + 1 else kw.get("threshold", 20)
        b = f"(double){lit(beta)}"
        if op is aten.softplus.default:
            expr = (f"({lit(beta)} * {{a}} > {lit(thr)} ? {{a}} : "
                    f"(T)(log1p(exp({b} * (double){{a}})) / {b}))")
            return self.elementwise(expr, {"a": args[0]}, shape)
        expr = (f"({lit(beta)} * {{b}} > {lit(thr)} ? {{a}} : "
                f"(T)((double){{a}} / (1.0 + exp(-{b} * (double){{b}}))))")
        return self.elementwise(expr, {"a": args[0], "b": args[1]}, shape)

    def gelu(self, op, args, kw, shape):
        """GELU and its backward, erf form or torch's tanh approximation (in double)."""
        forward = op is aten.gelu.default
        approximate = kw.get("approximate", args[1 if forward else 2]
                             if len(args) > (1 if forward else 2) else "none")
        x = "(double){a}" if forward else "(double){b}"
        if approximate == "tanh":
            inner = f"(0.7978845608028654 * ({x} + 0.044715 * {x} * {x} * {x}))"
            if forward:
                return self.elementwise(f"(T)(0.5 * {x} * (1.0 + tanh({inner})))",
                                        {"a": args[0]}, shape)
            d = (f"(0.5 * (1.0 + tanh({inner})) + 0.5 * {x} * (1.0 - tanh({inner}) * "
                 f"tanh({inner})) * 0.7978845608028654 * (1.0 + 0.134145 * {x} * {x}))")
        elif approximate == "none":
            if forward:
                return self.elementwise(f"(T)(0.5 * {x} * (1.0 + erf({x} * M_SQRT1_2)))",
                                        {"a": args[0]}, shape)
            d = (f"(0.5 * (1.0 + erf({x} * M_SQRT1_2)) + {x} * 0.3989422804014327 * "
                 f"exp(-0.5 * {x} * {x}))")
        else:
            raise Unsupported(f"{op} approximate={approximate!r}")
        return self.elementwise(f"(T)((double){{a}} * {d})", {"a": args[0], "b": args[1]},
                                shape)

    def join(self, op, args, shape):
        parts = args[0]
        dim = (args[1] if len(args) > 1 else 0) % len(shape)
        out = self.fresh(shape)
        at = 0
        for p in parts:
            if op is aten.stack.default:
                self.copy(p, self._select(out, dim, at))
                at += 1
            else:
                if p.numel == 0 and len(p.shape) == 1:
                    continue  # torch's cat skips legacy empty tensors
                self.copy(p, self._slice(out, dim, at, at + p.shape[dim], 1))
                at += p.shape[dim]
        return out

    def write(self, inputs: list[str]) -> tuple[list[str], list[View]]:
        """The body's lines and the output values. `inputs`: the C pointer name of each
        placeholder, in order."""
        ph = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(ph) != len(inputs):
            raise Unsupported(f"{len(ph)} inputs, expected {len(inputs)}")
        invariant: set[fx.Node] = set()
        for n, ptr in zip(ph, inputs):
            val = n.meta["val"]
            self.check_dtype(val, n)
            self.env[n] = View(ptr, 0, tuple(val.shape), _contiguous(val.shape),
                               ptr == "theta")
            if ptr == "theta":
                invariant.add(n)
        outputs = None
        for n in self.gm.graph.nodes:
            if n.op == "placeholder":
                continue
            if n.op == "output":
                outputs = n.args[0]
                break
            if n.op == "get_attr":
                self.env[n] = self.constant(n)
                invariant.add(n)
                continue
            if n.op != "call_function":
                raise Unsupported(f"{n.op} {n.target}")
            val = n.meta.get("val")
            if isinstance(val, torch.Tensor):
                self.check_dtype(val, n)
            # a value of theta and constants alone is the same at every step: computed
            # once before the loop (a transposed weight, a product of two parameters)
            inv = all(a in invariant for a in n.all_input_nodes) and bool(n.all_input_nodes)
            if not inv and n.target not in _VIEWS and n.target is not operator.getitem:
                self.ops += 1
                self.work += _work(n)
            self.target = self.pre if inv else self.lines
            res = self.node(n)
            self.target = self.lines
            if inv:
                invariant.add(n)
                res = [_mark(r) for r in res] if isinstance(res, list) else _mark(res)
            self.env[n] = res
        flat = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        return self.lines, [self.env[o] for o in flat]

    def check_dtype(self, val, n):
        if isinstance(val, torch.Tensor) and val.dtype != self.dtype:
            raise Unsupported(f"{n.target} gives {val.dtype}, the solve is {self.dtype}")

    def constant(self, n: fx.Node) -> View:
        t = getattr(self.gm, n.target)
        if not isinstance(t, torch.Tensor) or t.dtype != self.dtype:
            raise Unsupported(f"constant {n.target}")
        name = f"k_{self.name}_{len(self.consts)}"
        values = ", ".join(lit(x) for x in t.detach().cpu().reshape(-1).tolist()) or "0"
        self.consts.append(f"static const T {name}[{max(t.numel(), 1)}] = {{{values}}};")
        return View(name, 0, tuple(t.shape), _contiguous(t.shape), True)


def _mark(v):
    return View(v.buf, v.offset, v.shape, v.strides, True) if isinstance(v, View) else v


def _work(n: fx.Node) -> int:
    """Elements an op writes, or the multiply-adds of a matrix product."""
    val = n.meta.get("val")
    out = val.numel() if isinstance(val, torch.Tensor) else 1
    if n.target in _MATMULS:
        first = n.args[1] if n.target in (aten.addmm.default, aten.addmv.default,
                                           aten.baddbmm.default) else n.args[0]
        return out * int(first.meta["val"].shape[-1])
    return out


_MVEC = ["exp(double)", "log(double)", "tanh(double)", "sin(double)", "cos(double)",
         "expm1(double)", "log1p(double)", "erf(double)", "pow(double, double)",
         "atan2(double, double)"]


def _swap(order, a, b):
    order[a], order[b] = order[b], order[a]
    return order


def source(step_graph: fx.GraphModule, vjp_graph: fx.GraphModule, dtype: torch.dtype,
           state: int, n_theta: int) -> str:
    """The C program of the solve: ``dw_forward`` (all states after the first) and
    ``dw_adjoint`` (gradients of y0 and theta), see :mod:`diffwire.ode.compiled`. `state`:
    elements of one state; `n_theta`: of the flat parameter vector."""
    if dtype not in (torch.float64, torch.float32):
        raise Unsupported(f"dtype {dtype}")
    fw = _Writer(step_graph, "step", dtype, 0)
    f_lines, f_out = fw.write(["y", "theta", "dt"])
    vj = _Writer(vjp_graph, "vjp", dtype, 0)
    v_lines, v_out = vj.write(["y", "lam", "theta", "dt"])
    per_op = (fw.work + vj.work) / max(fw.ops + vj.ops, 1)
    if per_op > MAX_WORK_PER_OP:
        raise Unsupported(
            f"ops of {per_op:.0f} elements or multiply-adds on average (more than "
            f"{MAX_WORK_PER_OP}): at that size the time is in the arithmetic, where torch's "
            "kernels and BLAS are as fast as these loops")
    if len(f_out) != 1 or len(v_out) != 2:
        raise Unsupported("the step must give one tensor and its vjp two")
    (f_y,), (v_y, v_t) = f_out, v_out
    if f_y.numel != state or v_y.numel != state or v_t.numel != n_theta:
        raise Unsupported("the traced outputs do not match the state and parameters")

    def out_copy(w, v, dst):
        idx = [f"i{d}" for d in range(len(v.shape))]
        flat = View(dst, 0, v.shape, _contiguous(v.shape))
        w.target = w.lines = []
        w.loops(v.shape, f"{w.at(flat, idx, v.shape)} = {w.at(v, idx, v.shape)};")
        return w.lines

    f_copy = out_copy(fw, f_y, "out")
    v_copy = out_copy(vj, v_y, "g_y") + out_copy(vj, v_t, "g_t")
    ctype = "double" if dtype == torch.float64 else "float"
    ws = max(fw.ws, vj.ws, 1)
    return "\n".join([
        f"// diffwire solve: {fw.ops + vj.ops} ops a step, {per_op:.0f} elements or "
        "multiply-adds an op on average",
        "#define _GNU_SOURCE", "#include <math.h>", "#include <stdint.h>", "#include <stdlib.h>",
        "#include <string.h>",
        f"typedef {ctype} T;",
        # glibc's vector math (libmvec, <= 4 ulp): with these declarations the compiler
        # turns a loop of tanh/exp calls into calls of their 4- or 8-wide versions, as
        # torch's own kernels are vectorised (glibc declares them only under -ffast-math,
        # which would also change NaN handling)
        "#if defined(__x86_64__) && defined(DW_MVEC)",
        *[f"__attribute__((__simd__(\"notinbranch\"))) double {f};" for f in _MVEC],
        "#endif",
        "static inline T dw_max(T a, T b) { return (a != a || a > b) ? a : b; }",
        "static inline T dw_min(T a, T b) { return (a != a || a < b) ? a : b; }",
        *fw.consts, *vj.consts,
        "static void step(const T *restrict y, const T *restrict theta, const T *restrict dt,",
        "                 T *restrict ws, T *restrict out) {",
        *f_lines, *f_copy, "}",
        "static void vjp(const T *restrict y, const T *restrict lam, const T *restrict theta,",
        "                const T *restrict dt, T *restrict ws, T *restrict g_y,"
        " T *restrict g_t) {",
        *v_lines, *v_copy, "}",
        "static void step_pre(const T *restrict theta, T *restrict ws) {", *fw.pre, "}",
        "static void vjp_pre(const T *restrict theta, T *restrict ws) {", *vj.pre, "}",
        "int dw_forward(const T *y0, const T *theta, const T *dts, int64_t n, T *ys) {",
        f"  T *ws = malloc(sizeof(T) * {ws});",
        "  if (!ws) return 1;",
        "  step_pre(theta, ws);",
        "  const T *y = y0;",
        f"  for (int64_t i = 0; i < n; i++) {{ step(y, theta, dts + i, ws, ys + i * {state});"
        f" y = ys + i * {state}; }}",
        "  free(ws);", "  return 0;", "}",
        "int dw_adjoint(const T *ys_prev, const T *g_after, const T *theta, const T *dts,",
        "               int64_t n, T *g_y0, T *g_theta) {",
        f"  T *ws = malloc(sizeof(T) * ({ws} + {3 * state + n_theta}));",
        "  if (!ws) return 1;",
        f"  T *lam = ws + {ws}, *seed = lam + {state}, *g_y = seed + {state},"
        f" *g_t = g_y + {state};",
        "  vjp_pre(theta, ws);",
        f"  memset(lam, 0, sizeof(T) * {state});",
        f"  memset(g_theta, 0, sizeof(T) * {n_theta});",
        "  for (int64_t i = n - 1; i >= 0; i--) {",
        f"    for (int64_t j = 0; j < {state}; j++) seed[j] = lam[j] + g_after[i * {state} + j];",
        f"    vjp(ys_prev + i * {state}, seed, theta, dts + i, ws, g_y, g_t);",
        f"    memcpy(lam, g_y, sizeof(T) * {state});",
        f"    for (int64_t j = 0; j < {n_theta}; j++) g_theta[j] += g_t[j];",
        "  }",
        f"  memcpy(g_y0, lam, sizeof(T) * {state});",
        "  free(ws);", "  return 0;", "}", ""])
