from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode


class Index(Block):
    """Picks along `dim`: one entry (`index`, the dimension disappears unless `keepdim`)
    or a slice ``start:stop:step`` (``stop`` null means to the end)."""

    type = "Index"
    category = "shape"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (
        Param("mode", "choice", "index", choices=("index", "slice")),
        Param("dim", "int", -1),
        Param("index", "int", 0, doc="the entry, in index mode (negative counts from the end)"),
        Param("start", "int", 0, doc="slice start"),
        Param("stop", "int", None, nullable=True, doc="slice stop (null: to the end)"),
        Param("step", "int", 1, min=1),
        Param("keepdim", "bool", False, doc="keep a size-1 dimension in index mode"),
    )
    example_params = {"mode": "slice", "start": 1}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        return _Index(**node.read_params())

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
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
        return ExportedNode(forward=[ctx.assign(f"{ctx.args[0]}[{sub}]")])


class _Index(nn.Module):
    def __init__(self, mode, dim, index, start, stop, step, keepdim):
        super().__init__()
        self.dim = dim
        if mode == "index":
            self.key = slice(index, index + 1 if index != -1 else None) if keepdim else index
        else:
            self.key = slice(start, stop, step)

    def forward(self, x):
        d = self.dim if self.dim >= 0 else x.dim() + self.dim
        return x[(slice(None),) * d + (self.key,)]
