"""Exporters of the built-in blocks: one small function per block type.

Each takes ``(node, ctx)`` and returns an :class:`~diffwire.blocks.base.ExportedNode`:
the expression that builds the node's submodule (keyed like the compiled graph's, so
``state_dict`` loads as is) and the forward lines. Stateless nodes are plain torch calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .. import expr as ex
from ..blocks.base import BinaryOp, ExportedNode
from ..blocks.loss_base import LossBlock
from .names import literal
from .registry import EXPORTERS, exporter

__all__ = ["EXPORTERS", "exporter", "family_exporter"]


def _line(ctx, expr: str) -> ExportedNode:
    return ExportedNode(forward=[ctx.assign(expr)])


# -- activations, shared with MLP ----------------------------------------------------

#: activation name -> (functional form with {x}, module constructor, helper it needs)
ACTIVATION_CODE = {
    "relu": ("torch.relu({x})", "nn.ReLU()", None),
    "tanh": ("torch.tanh({x})", "nn.Tanh()", None),
    "gelu": ("F.gelu({x})", "nn.GELU()", None),
    "sigmoid": ("torch.sigmoid({x})", "nn.Sigmoid()", None),
    "softplus": ("F.softplus({x})", "nn.Softplus()", None),
    "sin": ("torch.sin({x})", "Sin()", "Sin"),
    "exp": ("torch.exp({x})", "Exp()", "Exp"),
    "rbf": ("torch.exp(-({x} * {x}))", "RBF()", "RBF"),
}


def activation_module(ctx, name: str) -> str:
    _, module, helper = ACTIVATION_CODE[name]
    if helper:
        ctx.helper(helper)
    return module


@exporter("Activation")
def activation(node, ctx):
    return _line(ctx, ACTIVATION_CODE[node.params["fn"]][0].format(x=ctx.args[0]))


# -- layers and sources ---------------------------------------------------------------


@exporter("Linear")
def linear(node, ctx):
    p = node.params
    bias = "" if p["bias"] else ", bias=False"
    ctx.helper("Slots")
    return ExportedNode(init=f"Slots(inner=nn.Linear({p['in_features']}, {p['out_features']}{bias}))",
                        forward=[ctx.assign(f"{ctx.slot}.inner({ctx.args[0]})")])


@exporter("MLP")
def mlp(node, ctx):
    p = node.params
    widths, bias = p["widths"], "" if p["bias"] else ", bias=False"
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(f"nn.Linear({a}, {b}{bias})")
        if i < len(widths) - 2:
            layers.append(activation_module(ctx, p["activation"]))
    if p["final_activation"] != "none":
        layers.append(activation_module(ctx, p["final_activation"]))
    init = f"nn.Sequential({', '.join(layers)})"
    if p.get("init_std"):
        ctx.helper("_normal_init")
        init = f"_normal_init({init}, {float(p['init_std'])!r})"
    return ExportedNode(init=init, forward=[ctx.assign(f"{ctx.slot}({ctx.args[0]})")])


@exporter("Conv2d")
def conv2d(node, ctx):
    p = node.params
    extra = "".join(f", {k}={p[k]}" for k in ("stride", "padding") if p[k] != (1 if k == "stride" else 0))
    if not p["bias"]:
        extra += ", bias=False"
    init = f"nn.Conv2d({p['in_channels']}, {p['out_channels']}, {p['kernel_size']}{extra})"
    return ExportedNode(init=init, forward=[ctx.assign(f"{ctx.slot}({ctx.args[0]})")])


@exporter("Module")
def opaque(node, ctx):
    from ..errors import GraphError

    raise GraphError(f"an opaque Module node ({node.params.get('class_name')}) has no code to "
                     "export", expected="blocks with code", found="a module held in memory",
                     hint="replace the node with blocks, or register a block for its layer")


@exporter("Parameter")
def parameter(node, ctx):
    shape, init, scale = node.params["shape"], node.params["init"], node.params["scale"]
    s = literal(list(shape))
    if init == "zeros":
        value = f"torch.zeros({s})"
    elif init == "ones":
        value = f"torch.ones({s})"
    elif init == "normal":
        value = f"torch.randn({s})"
    elif init == "uniform":
        value = f"torch.empty({s}).uniform_(-1.0, 1.0)"
    else:
        fan = shape[-1] if shape else 1
        bound = math.sqrt(6.0 / (fan + (shape[0] if len(shape) > 1 else fan)))
        value = f"torch.empty({s}).uniform_({-bound!r}, {bound!r})"
    if scale != 1.0:
        value = f"{value} * {literal(float(scale))}"
    return ExportedNode(init=f"Slots(value=nn.Parameter({value}))",
                        forward=[ctx.assign(f"{ctx.slot}.value")])


@exporter("Constant")
def constant(node, ctx):
    value = f"torch.tensor({literal([float(v) for v in node.params['value']])})"
    shape = node.params.get("shape")
    if shape is not None:
        value = f"{value}.reshape({literal(list(shape))})"
    return ExportedNode(init=f"Slots(value={value})", forward=[ctx.assign(f"{ctx.slot}.value")])


# -- math -------------------------------------------------------------------------------

_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def binary(node, ctx):
    name = getattr(node.block.op, "__name__", "")
    a, b = ctx.args
    if name in _BINARY and getattr(torch, name) is node.block.op:
        return _line(ctx, f"{a} {_BINARY[name]} {b}")
    if getattr(torch, name, None) is node.block.op:
        return _line(ctx, f"torch.{name}({a}, {b})")
    return None


@exporter("Neg")
def neg(node, ctx):
    return _line(ctx, f"-{ctx.args[0]}")


@exporter("MatMul")
def matmul(node, ctx):
    return _line(ctx, f"{ctx.args[0]} @ {ctx.args[1]}")


@exporter("Pow")
def pow_(node, ctx):
    return _line(ctx, f"{ctx.args[0]} ** {literal(node.params['exponent'])}")


@exporter("Sum")
def sum_(node, ctx):
    p = node.params
    total = " + ".join(ctx.args)
    if p["dim"] is not None:
        keep = ", keepdim=True" if p["keepdim"] else ""
        total = f"({total}).sum({p['dim']}{keep})" if len(ctx.args) > 1 else f"{total}.sum({p['dim']}{keep})"
    elif p["n"] == 1:
        total = f"{total}.sum()"
    return _line(ctx, total)


@exporter("Mean")
def mean(node, ctx):
    p, x = node.params, ctx.args[0]
    if p["dim"] is None:
        return _line(ctx, f"{x}.mean()")
    keep = ", keepdim=True" if p["keepdim"] else ""
    return _line(ctx, f"{x}.mean({p['dim']}{keep})")


_COMPARE = {">": "gt", ">=": "ge", "<": "lt", "<=": "le", "==": "eq", "!=": "ne"}


@exporter("Compare")
def compare(node, ctx):
    p = node.params
    a, b = ctx.args
    other = literal(p["value"]) if b == "None" else b
    expr = f"torch.{_COMPARE[p['op']]}({a}, {other})"
    if p["reduce"] != "none":
        expr += f".{p['reduce']}()"
    return _line(ctx, expr)


@exporter("Expression")
def expression(node, ctx):
    p = node.params
    tree = ex.parse(p["expr"])
    inputs = dict(zip(p["inputs"], ctx.args))
    learnable = dict(p["learnable"])

    def name(n: str) -> str:
        if n in inputs:
            return inputs[n]
        if n in learnable:
            return f"{ctx.slot}.learnable[{literal(n)}]"
        return literal(p["constants"][n])

    code = ex.to_source(tree, name, p["constants"])  # folded like the graph evaluates
    if "_stack_components(" in code:
        ctx.helper("_stack_components")
    if not _gives_tensor(tree, set(inputs) | set(learnable)):
        code = (f"torch.full_like({ctx.args[0]}, {code})" if ctx.args else f"torch.tensor({code})")
    init = None
    if learnable:
        entries = ", ".join(f"{literal(k)}: nn.Parameter(torch.tensor({literal(float(v))}))"
                            for k, v in learnable.items())
        init = f"Slots(learnable=nn.ParameterDict({{{entries}}}))"
    return ExportedNode(init=init, forward=[ctx.assign(code)])


def _gives_tensor(tree, tensors: set[str]) -> bool:
    kind = tree[0]
    if kind == "num":
        return False
    if kind == "name":
        return tree[1] in tensors
    if kind in ("index", "call", "stack"):
        return True
    if kind == "neg":
        return _gives_tensor(tree[1], tensors)
    return _gives_tensor(tree[2], tensors) or _gives_tensor(tree[3], tensors)


# -- shape ------------------------------------------------------------------------------


@exporter("Concat")
def concat(node, ctx):
    return _line(ctx, f"torch.cat([{', '.join(ctx.args)}], dim={node.params['dim']})")


@exporter("Split")
def split(node, ctx):
    p = node.params
    expr = f"torch.split({ctx.args[0]}, {literal(list(p['sizes']))}, dim={p['dim']})"
    if len(ctx.outs) == 1:
        return _line(ctx, f"{expr}[0]")
    return _line(ctx, expr)


@exporter("Index")
def index(node, ctx):
    p = node.params
    if p["mode"] == "index":
        i = p["index"]
        key = (f"{i}:{i + 1 if i != -1 else ''}") if p["keepdim"] else str(i)
    else:
        stop = "" if p["stop"] is None else str(p["stop"])
        key = f"{p['start']}:{stop}" + ("" if p["step"] == 1 else f":{p['step']}")
    d = p["dim"]
    if d >= 0:
        sub = ", ".join([":"] * d + [key])
    else:
        sub = ", ".join(["..."] + [key] + [":"] * (-d - 1))
    return _line(ctx, f"{ctx.args[0]}[{sub}]")


@exporter("Reshape")
def reshape(node, ctx):
    p, x = node.params, ctx.args[0]
    dims = [str(int(d)) for d in p["shape"]]
    if p["keep_batch"]:
        dims = [f"{x}.shape[0]"] + dims
    shape = ", ".join(dims) if dims else "()"
    return _line(ctx, f"{x}.reshape({shape})")


# -- losses -----------------------------------------------------------------------------


@exporter("BCE")
def bce(node, ctx):
    p = node.params
    fn = "binary_cross_entropy_with_logits" if p["logits"] else "binary_cross_entropy"
    pred, target = ctx.args
    return _line(ctx, f"F.{fn}({pred}, {target}, reduction={literal(p['reduction'])})")


def loss(node, ctx):
    cls = node.block
    name = getattr(cls.fn, "__name__", "")
    if getattr(F, name, None) is not cls.fn:
        return None
    pred, target = ctx.args
    extra = "".join(f", {k}={literal(node.params[k])}" for k in cls.extra)
    return _line(ctx, f"F.{name}({pred}, {target}, reduction={literal(node.params['reduction'])}{extra})")


def family_exporter(cls) -> Callable | None:
    """An exporter for a block without its own: elementwise ops and losses built on a
    torch function are written from that function's name."""
    if issubclass(cls, BinaryOp):
        return _maybe(binary)
    if issubclass(cls, LossBlock):
        return _maybe(loss)
    return None


def _maybe(fn: Callable) -> Callable:
    from ..errors import GraphError

    def wrapped(node, ctx):
        out = fn(node, ctx)
        if out is None:
            raise GraphError(f"block {node.type} wraps a function export cannot name",
                             hint="give the block an export() classmethod")
        return out

    return wrapped

