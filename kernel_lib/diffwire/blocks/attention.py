from torch import nn

from ..ports import Param, Port
from .base import ExportedNode, LayerBlock, LayerCall
from .fx_rules import Imported, module_rule, weights


class MultiheadAttention(LayerBlock):
    """Multi-head scaled dot-product attention (torch.nn.MultiheadAttention) over
    [B, L, embed_dim] sequences (batch_first). With `key` and `value` unconnected it is
    self-attention on `query`. Its dropout acts on the attention weights while training."""

    type = "MultiheadAttention"
    category = "layers"
    inputs = (
        Port("query", shape=("B", "L", "embed_dim")),
        Port("key", optional=True, doc="unconnected: the query"),
        Port("value", optional=True, doc="unconnected: the key"),
    )
    outputs = (Port("out", shape=("B", "L", "embed_dim")),)
    params = (
        Param("embed_dim", "int", 8, min=1, doc="the feature size, a multiple of num_heads"),
        Param("num_heads", "int", 2, min=1),
        Param("dropout", "float", 0.0, min=0.0, max=1.0, doc="on the attention weights"),
        Param("bias", "bool", True),
        Param("batch_first", "bool", True, doc="false: [L, B, embed_dim] as torch's default"),
    )
    example_params = {"embed_dim": 4, "num_heads": 2}
    example_inputs = {"query": (2, 3, 4)}

    @classmethod
    def check_params(cls, params, node=None):
        cls.check_multiple(params, node, "embed_dim", "num_heads")

    @staticmethod
    def layer(p: dict) -> LayerCall:
        return LayerCall("MultiheadAttention", (p["embed_dim"], p["num_heads"]),
                         {"dropout": p["dropout"], "bias": p["bias"],
                          "batch_first": p["batch_first"]}, build_as=_Attention)

    @classmethod
    def export(cls, node, ctx):
        q, k, v = ctx.args
        k = q if k == "None" else k
        v = k if v == "None" else v
        call = f"{ctx.slot}({q}, {k}, {v}, need_weights=False)[0]"
        return ExportedNode(init=cls.layer(node.read_params()).code(ctx), forward=[ctx.assign(call)])


class _Attention(nn.MultiheadAttention):
    """nn.MultiheadAttention (same weight keys) called as a block: optional key and value,
    one output."""

    def forward(self, query, key=None, value=None):
        key = query if key is None else key
        value = key if value is None else value
        return super().forward(query, key, value, need_weights=False)[0]


@module_rule(nn.MultiheadAttention)
def _from_layer(m, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
    if key_padding_mask is not None or attn_mask is not None or is_causal \
            or not m._qkv_same_embed_dim or m.bias_k is not None or m.add_zero_attn:
        return None  # masks and the rarer options have no block yet: the layer stays whole
    inputs = [query] if key == query and value == query else [query, key, value]
    params = {"embed_dim": m.embed_dim, "num_heads": m.num_heads, "dropout": float(m.dropout),
              "bias": m.in_proj_bias is not None, "batch_first": m.batch_first}
    # torch returns (output, weights): the weights have no block, so only item 0 imports.
    return Imported("MultiheadAttention", params, inputs, weights(m), tuple_of=2)
