import torch
from torch import nn

from .. import expr as ex
from .. import symbolic as sym
from ..errors import ExpressionError, ParamError
from ..ports import Param, Port
from .base import Block, ExportedNode


class Expression(Block):
    """An arithmetic expression over named inputs and constants, e.g.
    ``alpha*x - beta*x*y``. ``y[0]`` takes entry 0 of the last dimension; commas make
    components stacked on a new last dimension (``a*y[0], -d*y[1]``). Names in
    `constants` are fixed; names in `learnable` are trained. Parsed by a whitelist
    parser: functions sin cos tan exp log sqrt abs tanh sigmoid relu softplus."""

    type = "Expression"
    category = "math"
    outputs = (Port("out"),)
    params = (
        Param("expr", "string", "x", doc="the expression", multiline=True),
        Param("inputs", "list", ["x"], item="string", doc="names that become input ports"),
        Param("constants", "dict", {}, doc="fixed constants: name -> value"),
        Param("learnable", "dict", {}, doc="learned constants: name -> initial value"),
        Param("ablatable", "bool", False,
              doc="a term of a vector field that dw.ablate may withhold (its output then "
                  "zero, its job left to the neural part)"),
    )
    example_params = {"expr": "alpha*x - beta*x*y, -x", "inputs": ["x", "y"],
                      "constants": {"beta": 0.5}, "learnable": {"alpha": 1.3}}
    example_inputs = {"x": (4,), "y": (4,)}

    @classmethod
    def input_ports(cls, params):
        return tuple(Port(n) for n in params.get("inputs", ["x"]))

    @classmethod
    def check_params(cls, params, node=None):
        try:
            tree = ex.parse(params["expr"])
        except ExpressionError as e:
            raise _relabel(e, node) from None
        ins = params["inputs"]
        for n in ins:
            if not isinstance(n, str) or not n.isidentifier():
                raise ParamError("input names are identifiers", node=node, port="inputs",
                                 expected="identifiers", found=n)
        if len(set(ins)) != len(ins):
            raise ParamError("input names repeat", node=node, port="inputs", found=ins)
        known = set(ins) | set(params["constants"]) | set(params["learnable"])
        clash = (set(ins) & (set(params["constants"]) | set(params["learnable"]))) | (
            set(params["constants"]) & set(params["learnable"]))
        if clash:
            raise ParamError("a name is both an input and a constant", node=node, port="expr",
                             found=sorted(clash))
        for name in params["learnable"]:
            # Learnables live in an nn.ParameterDict: a key that is one of its attributes
            # ("__class__", "forward", "to") cannot be registered (a bare KeyError at build).
            if not isinstance(name, str) or not name.isidentifier() or hasattr(_PLAIN, name):
                raise ParamError(f"'{name}' cannot name a learnable constant (it is an "
                                 "attribute of torch modules)", node=node, port="learnable",
                                 expected="an identifier that is not a torch.nn.Module "
                                          "attribute", found=name, hint="rename it")
        for name in sorted(ex.names(tree)):
            if name not in known:
                raise ExpressionError(f"unknown name '{name}' in expression", node=node, port="expr",
                                      expected=f"one of {sorted(known)}", found=name,
                                      hint="add it to inputs, constants or learnable")

    @classmethod
    def symbolic(cls, node, args, width):
        return sym.expression(ex.parse(node.read_params()["expr"]), args)

    @classmethod
    def formula(cls, node, path, shapes):
        return sym.expression_lines(node.read_params()["expr"])

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        return ExpressionModule(p["expr"], p["inputs"], p["constants"], p["learnable"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        tree = ex.parse(p["expr"])
        inputs = dict(zip(p["inputs"], ctx.args))
        learnable = dict(p["learnable"])

        def name(n: str) -> str:
            if n in inputs:
                return inputs[n]
            if n in learnable:
                return f"{ctx.slot}.learnable[{ctx.literal(n)}]"
            return ctx.literal(p["constants"][n])

        code = ex.to_source(tree, name, p["constants"])  # folded like the graph evaluates
        if "_stack_components(" in code:
            ctx.helper("_stack_components")
        if not _gives_tensor(tree, set(inputs) | set(learnable)):
            code = (f"torch.full_like({ctx.args[0]}, {code})" if ctx.args else f"torch.tensor({code})")
        init = None
        if learnable:
            entries = ", ".join(f"{ctx.literal(k)}: nn.Parameter(torch.tensor({ctx.literal(float(v))}))"
                                for k, v in learnable.items())
            init = f'nn.ModuleDict({{"learnable": nn.ParameterDict({{{entries}}})}})'
        return ExportedNode(init=init, forward=[ctx.assign(code)])


_PLAIN = nn.ParameterDict()


def _relabel(e: ExpressionError, node):
    e.node, e.port = node, "expr"
    e.args = (e._text(),)
    return e


class ExpressionModule(nn.Module):
    """Evaluates a parsed expression; learnable constants are parameters named after them."""

    def __init__(self, text: str, inputs: list[str], constants: dict, learnable: dict):
        super().__init__()
        self.text = text
        self.tree = ex.parse(text)
        self.input_names = list(inputs)
        self.constants = dict(constants)
        self.learnable = nn.ParameterDict(
            {k: nn.Parameter(torch.tensor(float(v))) for k, v in learnable.items()})

    def forward(self, *xs):
        fn = self.__dict__.get("_fn")
        if fn is None:  # the tree as closures, prepared once (a copy or a pickle makes its own)
            fn = self.__dict__["_fn"] = ex.compile_tree(
                self.tree, self.input_names, self.constants, list(self.learnable.keys()))
        out = fn(self.learnable._parameters, *xs)
        if not isinstance(out, torch.Tensor):
            ref = xs[0] if xs else None
            out = torch.full_like(ref, out) if ref is not None else torch.tensor(out)
        return out

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_fn", None)
        return state

    def extra_repr(self) -> str:
        return repr(self.text)


def _gives_tensor(tree, tensors: set[str]) -> bool:
    """Whether an expression tree evaluates to a tensor (else a Python number, which the
    exported code wraps so the output is a tensor as the graph's is)."""
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
