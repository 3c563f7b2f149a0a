import inspect

import torch
from torch import nn

from ..context import batched, inferring
from ..errors import ParamError, ShapeMismatch
from ..ports import Param, Port
from ..runtime import dmm
from .base import Block, ExportedNode
from .body import BodyCall, body_call, check_same_shape


class DataflowMatrix(Block):
    """A dataflow matrix machine run over a sequence `x` [B, T, inputs]: `streams` lists
    each stream's transform (identity, tanh, relu, sigmoid, accumulator); each step mixes
    the streams' previous outputs, the step's input and a constant 1 through the network
    matrix [streams, streams + inputs + 1] (row i: the links into stream i), then applies
    the transforms. Outputs every step's stream values `y` [B, T, streams] and the last
    matrix `W`.

    The matrix is the block's own parameter (`matrix` = parameter) or the input port `W`
    (`matrix` = port: [N, M], or [B, N, M] per sample), which any part of the graph may
    write. The `update` body is the self-referential neuron: each step, before the
    matrix is used, it maps the state `y` [B, N], the matrix `W` [B, N, M] and the input
    `x` [B, inputs] to the next matrix (its Output `W`), so the network can rewrite its
    own links while it runs; the starter body hands `W` through unchanged.

    Links pruned by sparsification (`prune_below` > 0: every `prune_every` steps of a
    run, links whose magnitude is below it) stay out of every step, and the run logs
    the remaining count as `<node>/links`. Body weights: ``blocks.<id>.update.body.body``."""

    type = "DataflowMatrix"
    category = "layers"
    bodies = ("update",)
    body_modules = {"update": "update.body.body"}  # _Update -> BodyCall -> the graph
    static = False
    outputs = (Port("y", doc="[B, T, streams]: every stream at every step"),
               Port("W", doc="[B, streams, streams + inputs + 1]: the last matrix"))
    params = (
        Param("streams", "list", ["tanh", "tanh", "identity", "accumulator"], item="string",
              min_len=1, doc="each stream's transform: " + ", ".join(dmm.DataflowMatrix.KINDS)),
        Param("inputs", "int", 1, min=0, doc="features of the input at each step"),
        Param("matrix", "choice", "parameter", choices=("parameter", "port"),
              doc="the starting matrix: the block's own weights, or the input port W"),
        Param("init_scale", "float", 0.5, min=0.0, doc="spread of the block's own matrix"),
        Param("prune_below", "float", 0.0, min=0.0,
              doc="sparsification: prune links whose magnitude falls below this (0: never)"),
        Param("prune_every", "int", 100, min=1, doc="steps of training between prunings"),
    )
    example_params = {"streams": ["tanh", "identity", "accumulator"], "inputs": 2,
                      "matrix": "port"}
    example_inputs = {"x": (4, 3, 2), "W": (3, 6)}

    @classmethod
    def shape_of(cls, params) -> tuple[int, int]:
        """The matrix's [streams, streams + inputs + 1]."""
        n = len(params.get("streams") or [])
        return n, n + int(params.get("inputs", 0)) + 1

    @classmethod
    def check_params(cls, params, node=None):
        bad = [s for s in params["streams"] if s not in dmm.DataflowMatrix.KINDS]
        if bad:
            raise ParamError("unknown stream transform", node=node, port="streams",
                             expected=f"each one of {list(dmm.DataflowMatrix.KINDS)}",
                             found=bad[0])

    @classmethod
    def input_ports(cls, params):
        x = Port("x", doc="[B, T, inputs]: the sequence")
        if params.get("matrix", "parameter") != "port":
            return (x,)
        n, m = cls.shape_of(params)
        return (x, Port("W", doc=f"the starting matrix: [{n}, {m}] or [B, {n}, {m}]"))

    @classmethod
    def body_interface(cls, params, body):
        return ((Port("y", kind="state", optional=True, doc="[B, streams]"),
                 Port("W", doc="[B, N, M]"), Port("x", optional=True, doc="[B, inputs]")),
                (Port("W"),))

    @classmethod
    def make_body(cls, params, body):
        from ..document import Graph

        g = Graph()  # the matrix handed through; a body may add Inputs `y` and `x`
        g.add_output(g.add("Input", name="W"), name="W")
        return g

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        update = _Update(body_call(node, ctx, "update"))
        return DataflowMatrixModule(p["streams"], p["inputs"], own_matrix=p["matrix"] != "port",
                                    init_scale=p["init_scale"], update=update,
                                    prune_below=p["prune_below"], prune_every=p["prune_every"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        ctx.helper("DataflowMatrix", inspect.getsource(dmm.DataflowMatrix))
        ctx.helper("_DmmSelf", _EXPORTED_UPDATE)
        ref = ctx.body("update")
        update = f"_DmmSelf({ref.cls}(), {ctx.literal(ref.inputs)}, {ctx.literal(ref.outputs)})"
        init = (f"DataflowMatrix({ctx.literal(list(p['streams']))}, {int(p['inputs'])}, "
                f"own_matrix={p['matrix'] != 'port'}, update={update})")
        return ExportedNode(init=init, forward=[ctx.assign(f"{ctx.slot}({', '.join(ctx.args)})")])


class _Update(nn.Module):
    """The update body called by name: (y, W, x) -> the next W."""

    def __init__(self, body: BodyCall):
        super().__init__()
        self.body = body

    def forward(self, y, W, x):
        W2 = self.body(y=y, W=W, x=x)["W"]
        if inferring():
            check_same_shape("W", W, W2, "", "the update body")
        return W2


class DataflowMatrixModule(dmm.DataflowMatrix):
    """The runtime machine, with readable shape errors, one step while shapes are
    inferred, and the hooks a run uses: `metrics()` (remaining links), `link_magnitude()`
    and `prune()` (sparsification), `heat()` (the canvas's link grid)."""

    def __init__(self, streams, inputs, own_matrix, init_scale, update, prune_below,
                 prune_every):
        super().__init__(streams, inputs, own_matrix, init_scale, update)
        self.prune_below, self.prune_every = float(prune_below), int(prune_every)
        self._magnitude = None  # |starting matrix| of the last forward, for pruning

    def forward(self, x, W=None):
        n, m = self.mask.shape
        if x.dim() != 3 or x.shape[-1] != self.inputs:
            raise ShapeMismatch("the sequence is [batch, steps, inputs]", port="x",
                                expected=f"[B, T, {self.inputs}]", found=list(x.shape))
        if W is not None and (W.dim() not in (2, 3) or tuple(W.shape[-2:]) != (n, m)
                              or (W.dim() == 3 and W.shape[0] != x.shape[0])):
            raise ShapeMismatch("the network matrix has the wrong shape", port="W",
                                expected=f"[{n}, {m}] or [B, {n}, {m}] with B = {x.shape[0]}, "
                                "the batch of x", found=list(W.shape))
        start = self.W0 if W is None else W
        if not inferring():
            if batched():  # an ensemble's members at once: no one matrix to keep
                return super().forward(x, W)
            with torch.no_grad():
                a = start.detach().abs()
                self._magnitude = a.mean(0) if a.dim() == 3 else a
            return super().forward(x, W)
        ys, last = super().forward(x[:, :1], W)  # one step tells every shape
        return ys.expand(x.shape[0], x.shape[1], n), last

    def metrics(self) -> dict:
        return {"links": int(self.mask.sum().item())}

    #: the run plots these of `metrics()` beside the loss
    plotted = ("links",)

    def link_magnitude(self) -> torch.Tensor | None:
        """|links| of the starting matrix in the last forward ([N, M]; batch mean)."""
        return self._magnitude

    def prune(self, threshold: float) -> torch.Tensor:
        """Mask out links whose magnitude is below `threshold`; returns the newly pruned
        entries ([N, M] bool). The mask only ever loses links."""
        mag = self._magnitude if self._magnitude is not None else (
            self.W0.detach().abs() if self.W0 is not None else None)
        if mag is None:
            return torch.zeros_like(self.mask, dtype=torch.bool)
        newly = (mag.to(self.mask.device) < threshold) & (self.mask > 0)
        self.mask[newly] = 0.0
        return newly

    def heat(self) -> dict:
        """The starting matrix's links and the mask, as lists (the canvas's heat grid)."""
        mag = self._magnitude if self._magnitude is not None else (
            self.W0.detach().abs() if self.W0 is not None else torch.zeros_like(self.mask))
        return {"values": mag.float().tolist(), "mask": self.mask.tolist()}


_EXPORTED_UPDATE = '''
class _DmmSelf(nn.Module):
    """A dataflow matrix's update body: (y, W, x) -> the next W."""

    def __init__(self, body, inputs, outputs):
        super().__init__()
        self.body = nn.ModuleDict({"body": body})
        self.inputs, self.at = list(inputs), list(outputs).index("W")

    def forward(self, y, W, x):
        values = {"y": y, "W": W, "x": x}
        return self.body.body(*[values[n] for n in self.inputs])[self.at]
'''


def self_update(node, hidden: int = 8, scale: float = 0.05) -> None:
    """Fill a DataflowMatrix node's `update` body with the Self neuron of the dataflow-matrix
    papers: ``W <- W + scale * tanh(MLP(y))``, an MLP (streams -> `hidden` -> every link)
    reading the streams at each step and rewriting the matrix (the starter body hands W
    through unchanged)."""
    n = len(node.read_params()["streams"])
    m = n + node.read_params()["inputs"] + 1
    body = node.body["update"]
    y = body.add("Input", name="y", kind="state")
    f = body.add("MLP", id="f", widths=[n, hidden, n * m], final_activation="tanh")
    r = body.add("Reshape", id="r", shape=[n, m])
    k = body.add("Constant", id="k", value=[scale])
    s = body.add("Mul", id="s")
    a = body.add("Add", id="a")
    body.connect(y, f)
    body.connect(f, r)
    body.connect(r, (s, "a"))
    body.connect(k, (s, "b"))
    body.connect("W", (a, "a"))
    body.connect(s, (a, "b"))
    body.disconnect(body.outputs()[0])
    body.connect(a, (body.outputs()[0], "x"))
