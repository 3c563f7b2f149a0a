import inspect

from torch import nn

from ..errors import ParamError, ShapeMismatch
from ..ports import Param, Port
from ..runtime import autodiff
from .base import Block, ExportedNode
from .body import BodyCall, body_call


class Gradient(Block):
    """The derivative of its body's output `f` with respect to the input `wrt`: ``grad`` =
    ∂f/∂wrt, shaped like `wrt`, and `f` itself. `f` is one number or one per sample
    ([B] or [B, 1]); the batch is summed before differentiating, so each row of `grad`
    is that sample's derivative. The derivative stays differentiable (as with
    ``create_graph``), so a loss on it trains the body: Hamiltonian networks (dq/dt =
    ∂H/∂p, dp/dt = -∂H/∂q), physics-informed losses. It is partial: other inputs computed
    from `wrt` upstream count as constants. Body interface: Inputs named like the `inputs`
    entries, one Output `f`. Body weights: ``blocks.<id>.body.body.blocks.<inner id>``."""

    type = "Gradient"
    category = "math"
    bodies = ("body",)
    params = (
        Param("inputs", "list", ["x"], item="string", min_len=1,
              doc="names of the inputs (the body's Inputs)"),
        Param("wrt", "string", "x", doc="the input to differentiate by"),
    )
    example_inputs = {"x": (4, 3)}

    @classmethod
    def check_params(cls, params, node=None):
        names = params["inputs"]
        if len(set(names)) != len(names) or not all(
                isinstance(n, str) and n.isidentifier() for n in names):
            raise ParamError("inputs are distinct identifiers", node=node, port="inputs",
                             found=names)
        if params["wrt"] not in names:
            raise ParamError("wrt names one of the inputs", node=node, port="wrt",
                             expected=f"one of {names}", found=params["wrt"])

    @classmethod
    def input_ports(cls, params):
        return tuple(Port(n) for n in params.get("inputs", ["x"]))

    @classmethod
    def output_ports(cls, params):
        wrt = params.get("wrt", "x")
        return (Port("grad", doc=f"∂f/∂{wrt}, shaped like {wrt}"),
                Port("f", doc="the body's output"))

    @classmethod
    def body_interface(cls, params, body):
        return cls.input_ports(params), (Port("f", doc="one number, or one per sample"),)

    @classmethod
    def make_body(cls, params, body):
        """A starter body with a derivative to show: f = sum over the last dimension of
        wrt * wrt times every other input (replace it with an MLP for a Hamiltonian)."""
        from ..document import Graph

        g = Graph()
        ins = {n: g.add("Input", name=n) for n in params["inputs"]}
        wrt = ins[params["wrt"]]
        value = g.add("Mul")
        g.connect(wrt, (value, "a"))
        g.connect(wrt, (value, "b"))
        for n, node in ins.items():
            if n != params["wrt"]:
                product = g.add("Mul")
                g.connect(value, (product, "a"))
                g.connect(node, (product, "b"))
                value = product
        total = g.add("Sum", dim=-1)
        g.connect(value, total)
        g.add_output(total, name="f")
        return g

    @classmethod
    def formula(cls, node, path, shapes):
        return [f"grad = ∂f/∂{node.read_params()['wrt']}"]

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        return GradientModule(body_call(node, ctx, "body"),
                              p["inputs"], p["wrt"])

    @classmethod
    def export(cls, node, ctx):
        for fn in (autodiff.per_sample_scalar, autodiff.gradient):
            ctx.helper(fn.__name__, inspect.getsource(fn))
        p = node.read_params()
        message = f"{node.id}: the body's output f is one number or one per sample, got shape "
        ref = ctx.body("body")
        values = dict(zip(p["inputs"], ctx.args))
        xw, f, fn = ctx.fresh(p["wrt"]), ctx.fresh("f"), ctx.fresh(f"{node.id}_f")
        call = ctx.call_body(ref, f"{ctx.slot}.body.body", {**values, p["wrt"]: xw}, {"f": f})
        lines = [f"def {fn}({xw}):", f"    {call}",
                 f"    if not per_sample_scalar({f}, {xw}):",
                 f"        raise ValueError({ctx.literal(message)} + str(list({f}.shape)))",
                 f"    return {f}", "",
                 ctx.assign(f"gradient({fn}, {values[p['wrt']]})")]
        return ExportedNode(init=ctx.holder("body", ref), forward=lines)


class GradientModule(nn.Module):
    def __init__(self, body: BodyCall, inputs, wrt):
        super().__init__()
        self.body = body
        self.inputs, self.wrt = list(inputs), wrt

    def forward(self, *xs):
        values = dict(zip(self.inputs, xs))
        x = values[self.wrt]
        if not x.is_floating_point():
            raise ShapeMismatch(f"the input to differentiate by, {self.wrt}, is not a float "
                                "tensor", port=self.wrt, expected="a floating-point tensor",
                                found=str(x.dtype))

        def f_of(xw):
            f = self.body(**{**values, self.wrt: xw})["f"]
            if not autodiff.per_sample_scalar(f, xw):
                raise ShapeMismatch("the body's output f is one number, or one per sample",
                                    port="f", expected=f"[], [B] or [B, 1] (B = {self.wrt}'s "
                                    f"first dimension, {list(x.shape)[:1]})",
                                    found=list(f.shape))
            return f

        return autodiff.gradient(f_of, x)
