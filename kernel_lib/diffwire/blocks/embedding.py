from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, module_rule, weights


class Embedding(Block):
    """A lookup table: each index in `indices` becomes its row of a learned
    [num_embeddings, embedding_dim] matrix (torch.nn.Embedding). Indices are an integer
    tensor; a float tensor of whole numbers (an Input left at float32) is rounded."""

    type = "Embedding"
    category = "layers"
    inputs = (Port("indices", doc="[...] integers in [0, num_embeddings)"),)
    outputs = (Port("out", shape=("*", "embedding_dim")),)
    params = (
        Param("num_embeddings", "int", 10, min=1, doc="how many rows"),
        Param("embedding_dim", "int", 4, min=1, doc="the size of each row"),
        Param("padding_idx", "int", None, nullable=True,
              doc="a row kept at zero that gets no gradient"),
    )
    example_params = {"num_embeddings": 3, "embedding_dim": 2}
    example_inputs = {"indices": (4, 3)}
    #: the contract tests feed these ports integers 0 and 1 (valid rows of any table)
    example_dtypes = {"indices": "int64"}

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        return _Embedding(p["num_embeddings"], p["embedding_dim"], padding_idx=p["padding_idx"])

    @classmethod
    def export(cls, node, ctx):
        p, slot, i = node.read_params(), ctx.slot, ctx.args[0]
        pad = "" if p["padding_idx"] is None else f", padding_idx={p['padding_idx']}"
        init = f"nn.Embedding({p['num_embeddings']}, {p['embedding_dim']}{pad})"
        idx = ctx.fresh(f"{node.id}_idx")
        return ExportedNode(init=init, forward=[
            f"{idx} = {i}.round().long() if {i}.is_floating_point() else {i}",
            ctx.assign(f"{slot}({idx})")])


class _Embedding(nn.Embedding):
    """nn.Embedding (same weight key) that also takes whole numbers stored as floats."""

    def forward(self, indices):
        if indices.is_floating_point():
            indices = indices.round().long()
        return super().forward(indices)


@module_rule(nn.Embedding)
def _from_layer(m, x):
    if m.max_norm is not None or m.scale_grad_by_freq or m.sparse:
        return None
    params = {"num_embeddings": m.num_embeddings, "embedding_dim": m.embedding_dim,
              "padding_idx": m.padding_idx}
    return Imported("Embedding", params, [x], weights(m))
